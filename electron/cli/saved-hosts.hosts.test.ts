// `kvm-chaos -c @saved` and `-c @LABEL` against the 2-host lab: a config folder whose hosts.json
// names both lab hosts as the app saves them (ssh URIs, key auth, labelled h1 and h2). The CLI
// runs without an ssh-agent, so only the saved key can get it in: `-c @saved guests --json` lists
// the guests of both hosts, `-c @h2` only host 2's, and `watch -c @saved` connects to both.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKvmChaos } from '../../lab/cli-process';
import { type LabState, readLabState } from '../../lab/lab-client';

let lab: LabState;
let dir: string;

/** The CLI with `-c` as given, this config folder, the lab's known_hosts and no agent. */
async function withSaved(connect: string[], args: readonly string[]) {
  const { SSH_AUTH_SOCK: _agent, ...env } = process.env;
  return startKvmChaos(['--known-hosts', lab.ssh.knownHosts, ...args], {
    connect,
    env: { ...env, KVM_CHAOS_CONFIG: dir },
  }).exited;
}

const guestNames = (stdout: string) =>
  (JSON.parse(stdout) as { guests: { name: string }[] }).guests.map((g) => g.name).sort();

beforeAll(async () => {
  lab = await readLabState();
  expect(lab.hosts.map((h) => h.id)).toEqual(['h1', 'h2']);
  dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-saved-hosts-'));
  const hosts = lab.hosts.map((h) => ({
    id: `${h.ssh.user}@${h.ssh.host}:${h.ssh.port}`,
    uri: `ssh://${h.ssh.user}@${h.ssh.host}:${h.ssh.port}`,
    label: h.id,
    auth: { method: 'key', keyPath: h.ssh.key },
  }));
  await writeFile(join(dir, 'hosts.json'), JSON.stringify({ version: 1, hosts }, null, 2));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kvm-chaos -c @saved', () => {
  it('lists the guests of every saved host, each reached with its saved key', async () => {
    const r = await withSaved(['@saved'], ['guests', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const all = lab.hosts.flatMap((h) => h.guests.map((g) => g.name)).sort();
    expect(all.length).toBeGreaterThan(lab.hosts[0]?.guests.length ?? 0);
    expect(guestNames(r.stdout)).toEqual(all);
    // The run stays within the read deadline: two connections, two inventories.
    expect(r.ms).toBeGreaterThan(10);
    expect(r.ms).toBeLessThan(60_000);
  });

  it('-c @h2: only host 2', async () => {
    const r = await withSaved(['@h2'], ['guests', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(guestNames(r.stdout)).toEqual(lab.hosts[1]?.guests.map((g) => g.name).sort());
  });

  it('watch -c @saved watches both hosts, connected with their saved keys, until stopped', async () => {
    const { SSH_AUTH_SOCK: _agent, ...env } = process.env;
    const w = startKvmChaos(['--known-hosts', lab.ssh.knownHosts, 'watch', '--json'], {
      connect: ['@saved'],
      env: { ...env, KVM_CHAOS_CONFIG: dir },
    });
    const lines = () =>
      w
        .output()
        .stdout.split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { event: string; host?: string; state?: string });
    const t0 = performance.now();
    while (lines().filter((l) => l.state === 'connected').length < 2) {
      if (performance.now() - t0 > 30_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(w.pid, 'SIGTERM');
    const r = await w.exited;
    expect(r.code, r.stderr).toBe(0);
    const seen = lines();
    expect(seen.filter((l) => l.event === 'watching').map((l) => l.host)).toEqual(['h1', 'h2']);
    // Each host line names its host: each was dialled once, connected, and none failed before
    // the stop; "stopped" is the last line.
    for (const host of ['h1', 'h2'])
      expect(seen.filter((l) => l.event === 'host' && l.host === host).map((l) => l.state)).toEqual(
        ['connecting', 'connected'],
      );
    expect(seen.at(-1)?.event).toBe('stopped');
  });

  it('without the saved key (-c with the same address, no -i, no agent) it does not get in', async () => {
    // The witness that the saved auth is what got the runs above in.
    const h2 = lab.hosts[1];
    if (!h2) throw new Error('no host 2');
    const r = await withSaved([`ssh://${h2.ssh.user}@${h2.ssh.host}:${h2.ssh.port}`], ['guests']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('refused our keys (tried: nothing: no agent and no key files)');
  });
});
