// The `kvm-chaos` command against the lab, as a test pipeline would run it: JSON output, exit
// codes, and the guests' traffic as the judge. Also: the engine killed mid-partition at several
// points, then `heal --all` from a fresh process restores every binding from host state alone.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exactlyCut,
  fullyConnected,
  holds,
  type LabState,
  type Protocol,
  readLabState,
  waitForMatrix,
} from '../../lab/lab-client';
import { bindingXmls, ourFilters } from '../engine/lab-support';

const P: Protocol[] = ['icmp', 'tcp', 'udp'];
let lab: LabState;
let original: Map<string, string>;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; with killAfterStep, kills it (SIGKILL) as soon as it reports that step done. */
function cli(args: string[], opts: { killAfterStep?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    // One process (no npx wrapper), so a SIGKILL really kills the engine; the bundle users run.
    const child = spawn(process.execPath, ['bin/kvm-chaos.js', '-c', lab.sshUri, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b;
      if (opts.killAfterStep !== undefined && stderr.includes(`[${opts.killAfterStep}/`))
        child.kill('SIGKILL');
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const both = (a: string, b: string) =>
  P.flatMap((protocol) => [
    { from: a, to: b, protocol },
    { from: b, to: a, protocol },
  ]);

beforeAll(async () => {
  lab = await readLabState();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: lab, what: 'a connected lab' });
  original = await bindingXmls();
});
afterAll(async () => {
  await cli(['heal', '--all']);
});

describe('kvm-chaos CLI', () => {
  it('lists guests as JSON', async () => {
    const r = await cli(['--json', 'guests']);
    expect(r.code, r.stderr).toBe(0);
    const inv = JSON.parse(r.stdout) as {
      guests: { name: string; interfaces: { portdev: string }[] }[];
    };
    expect(inv.guests.map((g) => g.name).sort()).toEqual(['lab-node1', 'lab-node2', 'lab-node3']);
    expect(inv.guests.every((g) => g.interfaces[0]?.portdev.startsWith('vnet'))).toBe(true);
  });

  it('prints a plan with --dry-run and changes nothing', async () => {
    const r = await cli(['partition', 'isolate', 'lab-node2', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('dry run');
    expect(r.stdout).toContain('<filter');
    expect(await ourFilters()).toEqual([]);
  });

  it('isolates, cuts one way over UDP, and heals, judged by traffic', async () => {
    let r = await cli(['partition', 'isolate', 'lab-node2']);
    expect(r.code, r.stderr).toBe(0);
    await waitForMatrix(
      (m) =>
        holds(
          m,
          exactlyCut(lab, P, [
            ...both('lab-node2', 'lab-node1'),
            ...both('lab-node2', 'lab-node3'),
          ]),
        ),
      { state: lab, what: 'node2 isolated' },
    );
    r = await cli(['--json', 'cuts']);
    expect(JSON.parse(r.stdout).cuts).toHaveLength(2);
    r = await cli(['heal', '--all']);
    expect(r.code, r.stderr).toBe(0);
    await waitForMatrix(fullyConnected, { state: lab, what: 'healed' });
    expect(await bindingXmls()).toEqual(original);

    r = await cli(['cut', 'lab-node2', 'lab-node1', '--one-way', '--scope', 'udp']);
    expect(r.code, r.stderr).toBe(0);
    await waitForMatrix(
      (m) =>
        holds(m, exactlyCut(lab, P, [{ from: 'lab-node2', to: 'lab-node1', protocol: 'udp' }])),
      { state: lab, what: 'UDP 2->1 only' },
    );
    r = await cli(['heal', '--all']);
    expect(r.code).toBe(0);
    await waitForMatrix(fullyConnected, { state: lab, what: 'healed' });
    expect(await bindingXmls()).toEqual(original);
    expect(await ourFilters()).toEqual([]);
  });

  it('says what is wrong and exits 2 on bad input, changing nothing', async () => {
    const r = await cli(['cut', 'lab-node1', 'no-such-guest']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no guest named 'no-such-guest'");
    expect(await ourFilters()).toEqual([]);
  });

  it('loses nothing when killed mid-partition: heal --all restores every binding', async () => {
    // The plan defines the rule filter, the port's composite, then replaces the port's binding:
    // kill after each of those steps.
    for (const killAfterStep of [1, 2, 3]) {
      const killed = await cli(['partition', 'halves', 'lab-node3', 'lab-node1', 'lab-node2'], {
        killAfterStep,
      });
      expect(killed.code, `killed after step ${killAfterStep}`).toBeNull();
      const r = await cli(['heal', '--all']);
      expect(r.code, r.stderr).toBe(0);
      expect(await bindingXmls()).toEqual(original);
      expect(await ourFilters()).toEqual([]);
    }
    await waitForMatrix(fullyConnected, { state: lab, what: 'healed after the kills' });
  });
});
