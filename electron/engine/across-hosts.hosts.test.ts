// Cuts across two libvirt hosts through the engine, judged by the lab's traffic matrix and each
// host's own bindings read with virsh over that host's sshd (independent of our RPC client):
// a guest of host 2 isolated from host 1's guests, halves that mix hosts, a split by host, and a
// host whose libvirtd stops answering, or dies, in the middle of a partition (the other host's
// part is undone, the error names the host).
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hostPaths, hostPlan } from '../../lab/config';
import {
  bindingsOfEveryHost,
  expectHostsAsBefore,
  flowsBetween,
  ourFiltersOf,
  virshAt,
  waitAllFlowing,
  waitExactlyCut,
} from '../../lab/hosts-support';
import { startLibvirtdOf } from '../../lab/lab';
import {
  type LabHostState,
  type LabState,
  type Protocol,
  readLabState,
} from '../../lab/lab-client';
import { type Guest, type GuestId, type HostId, unwrap } from '../../shared/api';
import { labHostsEngine } from './lab-support';
import type { Engine } from './types';

const P: readonly Protocol[] = ['icmp', 'tcp'];
let lab: LabState;
let engine: Engine;
const hostIds = new Map<string, HostId>();
let original: Map<string, Map<string, string>>;

const allBindings = () => bindingsOfEveryHost(lab);

async function guest(name: string): Promise<Guest> {
  for (const id of hostIds.values()) {
    const g = unwrap(await engine['inventory.get']({ hostId: id })).guests.find(
      (x) => x.name === name,
    );
    if (g) return g;
  }
  throw new Error(`no guest ${name} in any inventory`);
}
const ids = async (names: readonly string[]) =>
  Promise.all(names.map(async (n) => (await guest(n)).id as GuestId));

const across = (a: readonly string[], b: readonly string[]) => flowsBetween(a, b, P);

async function expectCut(cut: ReturnType<typeof across>, what: string) {
  const r = await waitExactlyCut(lab, P, cut, what);
  console.log(`hosts: ${what}: seen ${(r.elapsedMs / 1000).toFixed(2)} s after the apply returned`);
}

async function expectHealedExactly() {
  unwrap(await engine['chaos.heal']({ all: true }));
  await expectHostsAsBefore(lab, original, 'healed');
  await waitAllFlowing(lab, 'everything healed');
}

/** The names of the cuts' intents each host keeps (read from the domain XML with virsh). */
async function intentHosts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const h of lab.hosts) {
    let n = 0;
    for (const g of h.guests) {
      const xml = (await virshAt(h, ['dumpxml', g.name])).stdout;
      n += (xml.match(/<kvmchaos:cut /g) ?? []).length;
    }
    out[h.id] = n;
  }
  return out;
}

beforeAll(async () => {
  lab = await readLabState();
  const e = await labHostsEngine(lab, lab.hosts.slice(0, 2), { bindingPollMs: 1000 });
  engine = e.engine;
  for (const [labHost, id] of e.ids) hostIds.set(labHost, id);
  original = await allBindings();
  await waitAllFlowing(lab, 'a fully connected lab', 60_000);
});
afterAll(async () => {
  await engine?.['chaos.heal']({ all: true });
  await engine?.close();
});
beforeEach(async () => {
  for (const h of lab.hosts) expect(await ourFiltersOf(h), h.id).toEqual([]);
});

describe('cuts across two libvirt hosts', () => {
  it('sees one segment spanning both hosts, joined by a DHCP lease', async () => {
    const { sharedSegments } = await import('../../shared/inventory/fabric');
    const invs = await Promise.all(
      [...hostIds.values()].map(async (id) =>
        unwrap(await engine['inventory.get']({ hostId: id })),
      ),
    );
    const shared = sharedSegments(invs);
    expect(shared).toHaveLength(1);
    expect(shared[0]?.hosts.length).toBe(2);
    expect(shared[0]?.evidence.some((e) => e.kind === 'lease' && e.words.includes('h2-node'))).toBe(
      true,
    );
  });

  it("isolates a guest of host 2 from host 1's guests, kept and enforced on host 2 only", async () => {
    const h1Names = lab.hosts[0]?.guests.map((g) => g.name) ?? [];
    const r = unwrap(
      await engine['chaos.apply']({
        partition: { topology: 'groups', groups: [await ids(['h2-node1']), await ids(h1Names)] },
      }),
    );
    expect(r.cutIds).toHaveLength(h1Names.length);
    expect(r.plan.portsTouched).toHaveLength(1);
    expect(await intentHosts()).toEqual({ h1: 0, h2: h1Names.length });
    // Host 1's bindings are untouched: the rules are on h2-node1's port.
    expect((await allBindings()).get('h1')).toEqual(original.get('h1'));
    await expectCut(across(['h2-node1'], h1Names), "h2-node1 cut from host 1's guests");
    // Each host lists the cut with both ends (the far one from the other host's inventory).
    const inv2 = unwrap(await engine['inventory.get']({ hostId: hostIds.get('h2') as HostId }));
    expect(inv2.cuts.map((c) => c.state)).toEqual(h1Names.map(() => 'applied'));
    await expectHealedExactly();
  });

  it('splits halves that mix hosts, on the fewest ports over both hosts', async () => {
    const names = ['lab-node1', 'h2-node1', 'lab-node2', 'h2-node2'];
    const r = unwrap(
      await engine['chaos.apply']({
        partition: { topology: 'halves', guestIds: await ids(names) },
      }),
    );
    // halves: the first floor(n/2) against the rest; a 2x2 complete bipartite graph needs 2 ports.
    expect(r.cutIds).toHaveLength(4);
    expect(r.plan.portsTouched).toHaveLength(2);
    await expectCut(
      across(['lab-node1', 'h2-node1'], ['lab-node2', 'h2-node2']),
      'halves across hosts',
    );
    await expectHealedExactly();
  });

  it('splits by host: every pair across the hosts cut, every pair within a host flowing', async () => {
    const h1Names = lab.hosts[0]?.guests.map((g) => g.name) ?? [];
    const h2Names = lab.hosts[1]?.guests.map((g) => g.name) ?? [];
    const r = unwrap(
      await engine['chaos.apply']({
        partition: { topology: 'groups', groups: [await ids(h1Names), await ids(h2Names)] },
      }),
    );
    expect(r.cutIds).toHaveLength(h1Names.length * h2Names.length);
    expect(r.plan.portsTouched).toHaveLength(Math.min(h1Names.length, h2Names.length));
    await expectCut(across(h1Names, h2Names), 'split by host');
    await expectHealedExactly();
  });

  it("undoes host 1's part when host 2's libvirtd stops answering mid-partition, and names host 2", async () => {
    // Frozen once the change is under way: host 2's part hangs until keepalive gives up on it,
    // while host 1's part runs to the end and must then be undone.
    const { r, seconds } = await partitionWith('SIGSTOP', async (pid) => {
      process.kill(pid, 'SIGCONT');
    });
    console.log(`hosts: the apply with host 2 frozen failed after ${seconds.toFixed(1)} s`);
    await expectHost1UndoneAndH2Named(r);
    await healH2FromItsOwnState();
  });

  it("undoes host 1's part when host 2's libvirtd dies as the partition starts, and names host 2", async () => {
    // Killed, not frozen: the connection closes, so host 2's part fails at once rather than after
    // keepalive, while host 1's part is under way.
    const { r, seconds } = await partitionWith('SIGKILL', () => startLibvirtdOf('h2'));
    const said = r.ok ? 'no error' : r.error.message;
    console.log(
      `hosts: the apply with host 2's libvirtd killed failed after ${seconds.toFixed(1)} s: ${said}`,
    );
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(20);
    await expectHost1UndoneAndH2Named(r);
    await healH2FromItsOwnState();
  });
});

/**
 * A partition of halves mixing hosts (a 2x2 cover takes one port on each side, so both hosts have
 * a part), with `signal` sent to host 2's libvirtd right after it is asked for; `mend` brings the
 * daemon back however the apply ends. The apply's result and how long it took to come.
 */
async function partitionWith(signal: NodeJS.Signals, mend: (pid: number) => Promise<void>) {
  const root = hostPlan(2).root as string;
  const pid = Number((await readFile(hostPaths(root).libvirtdPid, 'utf8')).trim());
  expect(pid).toBeGreaterThan(1);
  const guestIds = await ids(['lab-node1', 'h2-node1', 'h2-node2', 'lab-node2']);
  const t0 = performance.now();
  const pending = engine['chaos.apply']({ partition: { topology: 'halves', guestIds } });
  process.kill(pid, signal);
  try {
    const r = await pending;
    return { r, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await mend(pid);
  }
}

/** The apply failed on host 2, said so first, and host 1 holds nothing of it. */
async function expectHost1UndoneAndH2Named(r: Awaited<ReturnType<Engine['chaos.apply']>>) {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error.message).toMatch(/^h2: /);
  expect(r.error.message).toContain('h1');
  // Host 1 holds nothing of this change: bindings as before, no filter of ours, no intent.
  expect((await allBindings()).get('h1')).toEqual(original.get('h1'));
  expect(await ourFiltersOf(lab.hosts[0] as LabHostState)).toEqual([]);
  expect((await intentHosts()).h1).toBe(0);
}

/** Host 2 back: whatever its daemon still did before it went, a heal from its own state ends it. */
async function healH2FromItsOwnState() {
  await expect
    .poll(async () => (await engine['hosts.connect']({ hostId: hostIds.get('h2') as HostId })).ok, {
      timeout: 60_000,
      interval: 2_000,
    })
    .toBe(true);
  unwrap(await engine['chaos.repair']({ hostId: hostIds.get('h2') as HostId }));
  await expectHealedExactly();
}
