// The demo link (issue 14): from this machine's own network namespace, not the lab's, the CLI
// and `npm run demo`'s app reach the lab's sshd at an address of the lab's own, checking its key
// against the lab's known_hosts. The test itself runs in the lab's namespace, like every lab
// suite; the processes under test are started in the machine's (the namespace the test run was
// launched from: `ip netns exec kvmchaos ...` from the machine's own).
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE } from './config';
import { type DemoApp, establishedTo, startDemoApp, stopDemoApp } from './demo-app';
import { namespaceOf } from './host';
import { type LabState, readLabState } from './lab-client';
import { assertOutsideLab, inNetns, launchedFrom } from './machine-ns';
import { run } from './run';

const ROOT = resolve(import.meta.dirname, '..');
let state: LabState;
/** /proc/PID/ns/net of a process in the machine's namespace. */
let machineNs = '';
let demo: DemoApp | null = null;
/** Runs argv in the machine's own network namespace. */
const outside = (argv: readonly string[]) => inNetns(machineNs, argv);

beforeAll(async () => {
  state = await readLabState();
  // The premise: this test runs in the lab's namespace, the processes below in none of the lab's.
  expect(await namespaceOf(process.pid)).toBe(NAMESPACE);
  machineNs = await launchedFrom();
  await assertOutsideLab(machineNs);
});
afterAll(() => stopDemoApp(demo));

const demoConnections = () => establishedTo(machineNs, state.demo.ssh.host, state.demo.ssh.port);

describe('the lab from the machine’s own namespace (npm run demo)', () => {
  it('lab.json names the demo address, and known_hosts pins host 1’s key for it', async () => {
    expect(state.demo.ssh.host).toMatch(/^169\.254\.\d+\.\d+$/);
    expect(state.demo.sshUri).toContain(`@${state.demo.ssh.host}:${state.demo.ssh.port}/`);
    const known = (await run('cat', [state.ssh.knownHosts])).stdout.split('\n');
    const keyOf = (h: string) =>
      known.find((l) => l.startsWith(`[${h}]:${state.ssh.port} `))?.split(' ')[2];
    expect(keyOf(state.demo.ssh.host)).toBeTruthy();
    expect(keyOf(state.demo.ssh.host)).toBe(keyOf(state.ssh.host));
  });

  it('kvm-chaos -c <demo uri> --known-hosts <lab known_hosts> guests --json, run outside the lab, lists the lab guests', async () => {
    const [cmd, ...args] = outside([
      process.execPath,
      join(ROOT, 'bin', 'kvm-chaos.js'),
      '-c',
      state.demo.sshUri,
      '--known-hosts',
      state.demo.ssh.knownHosts,
      'guests',
      '--json',
    ]);
    const { stdout } = await run(cmd as string, args, { timeoutMs: 60_000 });
    const inventory = JSON.parse(stdout) as { guests: { name: string; state: string }[] };
    const names = inventory.guests.map((g) => g.name).sort();
    expect(names).toEqual(expect.arrayContaining(state.guests.map((g) => g.name)));
  });

  it('a wrong known_hosts is refused from outside too (the key is really checked)', async () => {
    const [cmd, ...args] = outside([
      process.execPath,
      join(ROOT, 'bin', 'kvm-chaos.js'),
      '-c',
      `ssh://root@${state.demo.ssh.host}:${state.demo.ssh.port}`,
      '-i',
      state.demo.ssh.key,
      '--known-hosts',
      '/dev/null',
      'guests',
    ]);
    await expect(run(cmd as string, args, { timeoutMs: 60_000 })).rejects.toThrow(
      /host key|known/i,
    );
  });

  it('npm run demo (on the lab as it is) starts the app, which connects to the lab over the demo link', async () => {
    expect(await demoConnections()).toEqual([]);
    demo = startDemoApp(machineNs);
    const out = demo.output;
    // The UI may need building first (launch.ts does it when stale).
    await expect
      .poll(out, { timeout: 150_000, interval: 250 })
      .toMatch(/serving on http:\/\/127\.0\.0\.1:\d+\//);
    expect(out()).toContain(`the lab at ${state.demo.ssh.host}`);
    await expect.poll(demoConnections, { timeout: 30_000, interval: 250 }).not.toEqual([]);
    expect((await demoConnections()).join('\n')).toMatch(/users:\(\("node"/);
  }, 200_000);
});
