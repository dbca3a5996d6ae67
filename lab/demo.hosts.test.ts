// `npm run demo -- --hosts 2`: from this machine's own namespace, not the lab's, every host of
// the lab is reached at an address of the lab's own, each over its own demo link straight into
// its namespace (HostPlan.demo), its key checked against the lab's known_hosts. The test runs in
// the lab's namespace like every lab suite; what it tests runs in the machine's (machine-ns.ts).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPlan, NAMESPACE } from './config';
import { demoHosts, seedDemoConfig } from './demo';
import { type DemoApp, establishedTo, startDemoApp, stopDemoApp } from './demo-app';
import { namespaceOf } from './host';
import { type LabState, readLabState } from './lab-client';
import { assertOutsideLab, inNetns, launchedFrom } from './machine-ns';
import { run, succeeds } from './run';

const ROOT = resolve(import.meta.dirname, '..');
let state: LabState;
let machineNs = '';
let dir = '';
let app: DemoApp | null = null;
const outside = (argv: readonly string[]) => inNetns(machineNs, argv);
const runOutside = (argv: readonly string[]) => {
  const [cmd, ...args] = outside(argv);
  return run(cmd as string, args, { timeoutMs: 60_000 });
};
const cli = (args: readonly string[]) =>
  runOutside([process.execPath, join(ROOT, 'bin', 'kvm-chaos.js'), ...args]);

beforeAll(async () => {
  state = await readLabState();
  expect(await namespaceOf(process.pid)).toBe(NAMESPACE);
  machineNs = await launchedFrom();
  await assertOutsideLab(machineNs);
  dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-demo-hosts-'));
});
afterAll(async () => {
  await stopDemoApp(app);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('every host of the lab from the machine’s own namespace (npm run demo -- --hosts N)', () => {
  it('lab.json names one demo address per host, host 1’s the one it always had', () => {
    const demo = demoHosts(state);
    expect(demo.map((h) => h.id)).toEqual(state.hosts.map((h) => h.id));
    expect(demo.length).toBeGreaterThanOrEqual(2);
    expect(demo[0]?.sshUri).toBe(state.demo.sshUri);
    for (const h of demo) {
      expect(h.ssh.host).toBe(hostPlan(Number(h.id.slice(1))).demo.far.ip);
      expect(h.ssh.host).toMatch(/^169\.254\.\d+\.2$/);
      expect(h.sshUri).toContain(`@${h.ssh.host}:${h.ssh.port}/`);
    }
    expect(new Set(demo.map((h) => h.ssh.host)).size).toBe(demo.length);
  });

  it('known_hosts pins each host’s own key for its demo address', async () => {
    const known = (await readFile(state.ssh.knownHosts, 'utf8')).split('\n');
    const keyOf = (h: string) =>
      known.find((l) => l.startsWith(`[${h}]:${state.ssh.port} `))?.split(' ')[2];
    const demo = demoHosts(state);
    for (const [i, h] of state.hosts.entries()) {
      const at = demo[i]?.ssh.host as string;
      expect(keyOf(at), at).toMatch(/^AAAA/);
      expect(keyOf(at), at).toBe(keyOf(h.ssh.host));
    }
    expect(new Set(demo.map((h) => keyOf(h.ssh.host))).size).toBe(demo.length);
  });

  it('each link has one end in the machine’s namespace and one in its host’s, routed nowhere else', async () => {
    for (const h of state.hosts) {
      const { demo } = hostPlan(Number(h.id.slice(1)));
      const near = await runOutside(['ip', '-o', '-4', 'addr', 'show', 'dev', demo.near.dev]);
      expect(near.stdout).toContain(`inet ${demo.near.ip}/30`);
      const far = await run('ip', [
        '-n',
        h.namespace,
        '-o',
        '-4',
        'addr',
        'show',
        'dev',
        demo.far.dev,
      ]);
      expect(far.stdout).toContain(`inet ${demo.far.ip}/30`);
      // The host's namespace forwards nothing, and no other namespace of the lab (where the
      // guests' gateway is) has a route to the machine's end: guests cannot reach the machine.
      const forward = await run('ip', [
        'netns',
        'exec',
        h.namespace,
        'sysctl',
        '-n',
        'net.ipv4.ip_forward',
      ]);
      expect(forward.stdout.trim()).toBe('0');
      for (const other of state.hosts.filter((o) => o.id !== h.id))
        expect(
          await succeeds('ip', ['-n', other.namespace, 'route', 'get', demo.near.ip]),
          `${other.namespace} -> ${demo.near.ip}`,
        ).toBe(false);
    }
  });

  it('kvm-chaos -c <h1 demo uri> -c <h2 demo uri> guests --json, run outside the lab, lists both hosts’ guests', async () => {
    const demo = demoHosts(state);
    const { stdout } = await cli([
      ...demo.flatMap((h) => ['-c', h.sshUri]),
      '--known-hosts',
      state.demo.ssh.knownHosts,
      'guests',
      '--json',
    ]);
    const inventory = JSON.parse(stdout) as { hostname: string; guests: { name: string }[] };
    const names = inventory.guests.map((g) => g.name);
    for (const h of state.hosts)
      expect(names, h.id).toEqual(expect.arrayContaining(h.guests.map((g) => g.name)));
    // Host 2's libvirtd answered, not host 1's twice (its own hostname, lab/hosts.ts).
    expect(inventory.hostname).toContain('kvm-chaos-lab-h2');
  });

  it('a wrong known_hosts is refused for host 2’s demo address (its key is really checked)', async () => {
    const h2 = demoHosts(state)[1];
    if (!h2) throw new Error('no host 2 in lab.json');
    // Host 1's key under host 2's address: a known_hosts that names the address, wrongly.
    const known = await readFile(state.ssh.knownHosts, 'utf8');
    const h1Key = known.split('\n').find((l) => l.startsWith(`[${state.demo.ssh.host}]:`));
    const wrong = join(dir, 'known_hosts');
    expect(h1Key).toBeTruthy();
    await writeFile(wrong, `${h1Key?.replace(state.demo.ssh.host, h2.ssh.host)}\n`);
    await expect(
      cli([
        '-c',
        `ssh://root@${h2.ssh.host}:${h2.ssh.port}`,
        '-i',
        h2.ssh.key,
        '--known-hosts',
        wrong,
        'guests',
      ]),
    ).rejects.toThrow(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });

  it('the demo’s app config names every host, each by its demo uri', async () => {
    const seeded = await seedDemoConfig(state, join(dir, 'demo'));
    const file = JSON.parse(await readFile(join(seeded, 'hosts.json'), 'utf8')) as {
      hosts: { id: string; uri: string; label: string }[];
    };
    expect(file.hosts.map((h) => h.uri)).toEqual(demoHosts(state).map((h) => h.sshUri));
    expect(new Set(file.hosts.map((h) => h.id)).size).toBe(file.hosts.length);
    expect(new Set(file.hosts.map((h) => h.label)).size).toBe(file.hosts.length);
  });

  it('npm run demo (on the lab as it is) starts the app, which connects to every host over its own demo link', async () => {
    const demo = demoHosts(state);
    const connections = () =>
      Promise.all(demo.map((h) => establishedTo(machineNs, h.ssh.host, h.ssh.port)));
    for (const c of await connections()) expect(c).toEqual([]);
    app = startDemoApp(machineNs);
    const out = app.output;
    // The UI may need building first (launch.ts does it when stale).
    await expect
      .poll(out, { timeout: 150_000, interval: 250 })
      .toMatch(/serving on http:\/\/127\.0\.0\.1:\d+\//);
    expect(out()).toContain(
      `the lab at ${demo.map((h) => `${h.ssh.host}:${h.ssh.port}`).join(', ')}`,
    );
    await expect
      .poll(async () => (await connections()).map((c) => c.length > 0), {
        timeout: 30_000,
        interval: 250,
      })
      .toEqual(demo.map(() => true));
    for (const c of await connections()) expect(c.join('\n')).toMatch(/users:\(\("node"/);
  }, 200_000);
});
