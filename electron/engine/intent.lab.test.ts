// A cut's intent lives on the host: another instance lists the same author and expiry; a libvirtd
// restart and a guest restart keep it; whoever is connected when it expires heals it (or the next
// instance to connect, at once); `kvm-chaos heal --expired` and `kvm-chaos watch` do it without
// any app. Judged by the lab's traffic, the host's bindings and the domain XML, read with virsh.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { restartLibvirtd } from '../../lab/lab';
import { fullyConnected, holds, virsh, waitForMatrix } from '../../lab/lab-client';
import {
  type ActivityEntry,
  asGuestCut,
  type GuestId,
  type HostId,
  unwrap,
} from '../../shared/api';
import { createEngine } from './engine';
import { bindingXmls, type LabEngine, labEngine, ourFilters } from './lab-support';
import { memoryProfiles } from './profiles';
import type { Engine } from './types';

let keeper: LabEngine;
let original: Map<string, string>;

/** Another instance over the local socket: keeps promises or not, as asked. */
async function instance(face: string, keepPromises: boolean) {
  const engine: Engine = await createEngine({
    profiles: memoryProfiles(),
    knownHostsPath: keeper.lab.ssh.knownHosts,
    face,
    keepPromises,
    bindingPollMs: 1000,
  });
  const host = unwrap(
    await engine['hosts.add']({ uri: 'qemu:///system', auth: { method: 'local' }, label: face }),
  );
  unwrap(await engine['hosts.connect']({ hostId: host.id }));
  const entries: ActivityEntry[] = [];
  engine.subscribe((e) => {
    if (e.type === 'activity.appended') entries.push(e.entry);
  });
  const inventory = async () => unwrap(await engine['inventory.get']({ hostId: host.id }));
  const id = async (name: string) =>
    (await inventory()).guests.find((g) => g.name === name)?.id as GuestId;
  return { engine, hostId: host.id as HostId, inventory, id, entries };
}

function isolate(node: GuestId, durationSeconds?: number) {
  return {
    partition: { topology: 'isolate' as const, guestIds: [node] },
    ...(durationSeconds ? { durationSeconds } : {}),
  };
}

const node3Cut = (m: Parameters<typeof holds>[0]) =>
  holds(
    m,
    ['lab-node1', 'lab-node2'].flatMap((peer) =>
      (['icmp', 'tcp'] as const).map((protocol) => ({
        from: 'lab-node3',
        to: peer,
        protocol,
        reach: false,
      })),
    ),
  );

async function intentsInDomainXml(): Promise<number> {
  let n = 0;
  for (const g of ['lab-node1', 'lab-node2', 'lab-node3'])
    for (const flags of [[], ['--inactive']]) {
      const xml = (await virsh(['dumpxml', ...flags, g])).stdout;
      n += (xml.match(/kvm-chaos\.dev\/xmlns\/intent/g) ?? []).length;
    }
  return n;
}

async function expectHealed(what: string) {
  await waitForMatrix(fullyConnected, { timeoutMs: 30_000, state: keeper.lab, what });
  expect(await bindingXmls()).toEqual(original);
  expect(await ourFilters()).toEqual([]);
  expect(await intentsInDomainXml()).toBe(0);
}

beforeAll(async () => {
  keeper = await labEngine();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: keeper.lab, what: 'a lab' });
  original = await bindingXmls();
});
afterAll(async () => {
  await keeper?.engine['chaos.heal']({ all: true });
  await keeper?.close();
});
beforeEach(async () => {
  expect(await ourFilters()).toEqual([]);
});
afterEach(async () => {
  // Whatever a test left (it failed half-way): the suite's keeper heals it before the next.
  if ((await ourFilters()).length === 0) return;
  await keeper.engine['hosts.connect']({ hostId: keeper.hostId });
  await keeper.engine['chaos.heal']({ all: true });
});

describe('intent kept on the host', () => {
  it('shows every instance the same author and expiry, survives libvirtd and guest restarts, and goes with heal', async () => {
    const writer = await instance('cli', false);
    const node3 = await writer.id('lab-node3');
    const t0 = Date.now();
    unwrap(await writer.engine['chaos.apply'](isolate(node3, 3600)));
    const mine = (await writer.inventory()).cuts;
    await writer.engine.close();
    // Both views present in the live and the persistent definition.
    expect(await intentsInDomainXml()).toBe(4);

    const reader = await instance('reader', false);
    const theirs = (await reader.inventory()).cuts;
    expect(sorted(theirs.map((c) => [c.id, c.author, c.expiresAt, c.state]))).toEqual(
      sorted(mine.map((c) => [c.id, writer.engine.author, c.expiresAt, 'applied'])),
    );
    for (const c of theirs) {
      expect(c.author?.instance).toMatch(/^cli:/);
      expect(c.expiresAt).toBeGreaterThanOrEqual(t0 + 3_600_000);
      expect(c.expiresAt).toBeLessThan(Date.now() + 3_600_000 + 1000);
    }
    await reader.engine.close();

    await restartLibvirtd();
    const afterRestart = await instance('after-libvirtd', false);
    expect(
      sorted((await afterRestart.inventory()).cuts.map((c) => [c.id, c.author, c.expiresAt])),
    ).toEqual(sorted(theirs.map((c) => [c.id, c.author, c.expiresAt])));
    await afterRestart.engine.close();

    // A destroyed guest loses its port's bindings; its intent stays, and an instance that keeps
    // promises puts the cut back when the guest returns, whoever made it.
    await keeper.engine['hosts.disconnect']({ hostId: keeper.hostId });
    unwrap(await keeper.engine['hosts.connect']({ hostId: keeper.hostId }));
    await virsh(['destroy', 'lab-node3']);
    await virsh(['start', 'lab-node3']);
    await waitForMatrix(node3Cut, {
      timeoutMs: 90_000,
      state: keeper.lab,
      what: 'lab-node3 cut again after its restart',
    });
    const back = (await keeper.inventory()).cuts;
    const what = (c: (typeof back)[number]) => {
      const g = asGuestCut(c);
      return [g.from.mac, g.to.mac, g.direction, g.author];
    };
    expect(sorted(back.map((c) => [...what(c), c.state]))).toEqual(
      sorted(theirs.map((c) => [...what(c), 'applied'])),
    );

    unwrap(await keeper.engine['chaos.heal']({ all: true }));
    await expectHealed('healed');
  });

  it('is healed at once by the next instance to connect when none ran at its expiry, which says so', async () => {
    await keeper.engine['hosts.disconnect']({ hostId: keeper.hostId });
    const writer = await instance('cli', false);
    unwrap(await writer.engine['chaos.apply'](isolate(await writer.id('lab-node3'), 2)));
    await writer.engine.close();
    await new Promise((r) => setTimeout(r, 8000));
    // Nobody healed it: the cut is still on the wire, listed as expired by a reader.
    await waitForMatrix(node3Cut, { timeoutMs: 10_000, state: keeper.lab, what: 'still cut' });
    const reader = await instance('reader', false);
    expect((await reader.inventory()).cuts.map((c) => c.state)).toEqual(['expired', 'expired']);
    expect((await reader.inventory()).interruptions.map((i) => i.kind)).toContain('expired-cut');
    await reader.engine.close();

    const t0 = Date.now();
    const next = await instance('next', true);
    await waitForMatrix(fullyConnected, { timeoutMs: 20_000, state: keeper.lab, what: 'healed' });
    const took = Date.now() - t0;
    const repair = next.entries.find((e) => e.kind === 'repair' && e.outcome === 'ok');
    expect(repair?.summary).toMatch(
      /heal 2 expired cuts \(due \d+ s ago: no instance was running then\)/,
    );
    console.log(
      `expired cuts healed ${took} ms after the next instance connected: ${repair?.summary}`,
    );
    await next.engine.close();
    await expectHealed('healed by the next instance');
    unwrap(await keeper.engine['hosts.connect']({ hostId: keeper.hostId }));
  });

  it('two instances keeping promises at expiry converge: one heals, the other finds nothing to do', async () => {
    const a = await instance('keeper-a', true);
    const b = await instance('keeper-b', true);
    unwrap(await a.engine['chaos.apply'](isolate(await a.id('lab-node3'), 4)));
    await waitForMatrix(node3Cut, { timeoutMs: 20_000, state: keeper.lab, what: 'cut' });
    await waitForMatrix(fullyConnected, { timeoutMs: 30_000, state: keeper.lab, what: 'healed' });
    await new Promise((r) => setTimeout(r, 3000));
    const healedBy = [...a.entries, ...b.entries].filter(
      (e) => e.kind === 'repair' && e.operations.length > 0,
    );
    const failed = [...a.entries, ...b.entries].filter((e) => e.outcome !== 'ok');
    await a.engine.close();
    await b.engine.close();
    expect(failed).toEqual([]);
    // The keeper of this suite keeps promises too: three instances, the cut healed once.
    expect(healedBy.length).toBeLessThanOrEqual(1);
    await expectHealed('healed once');
  });

  it('`heal --expired` heals only expired cuts, for cron', async () => {
    await keeper.engine['hosts.disconnect']({ hostId: keeper.hostId });
    const writer = await instance('cli', false);
    unwrap(await writer.engine['chaos.apply'](isolate(await writer.id('lab-node3'), 1)));
    const node1 = await writer.id('lab-node1');
    const node2 = await writer.id('lab-node2');
    const inv = await writer.inventory();
    const mac = (id: GuestId) => inv.guests.find((g) => g.id === id)?.interfaces[0]?.mac as string;
    unwrap(
      await writer.engine['chaos.apply']({
        cuts: [
          {
            from: { guestId: node1, mac: mac(node1) },
            to: { guestId: node2, mac: mac(node2) },
            direction: 'one-way',
            scope: { kind: 'udp', port: 7001 },
          },
        ],
      }),
    );
    await writer.engine.close();
    await new Promise((r) => setTimeout(r, 2500));
    const out = await cli(['heal', '--expired', '--json']);
    expect(out.code).toBe(0);
    const left = await instance('reader', false);
    const cuts = (await left.inventory()).cuts;
    expect(cuts.map((c) => [c.scope, c.state])).toEqual([[{ kind: 'udp', port: 7001 }, 'applied']]);
    await left.engine.close();
    unwrap(await keeper.engine['hosts.connect']({ hostId: keeper.hostId }));
    unwrap(await keeper.engine['chaos.heal']({ all: true }));
    await expectHealed('healed');
  });

  it('`kvm-chaos watch` heals at expiry with no app running, and prints what it did', async () => {
    await keeper.engine['hosts.disconnect']({ hostId: keeper.hostId });
    const lines: string[] = [];
    const watcher: ChildProcess = spawn(
      process.execPath,
      ['bin/kvm-chaos.js', '-c', 'qemu:///system', '--json', 'watch'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    watcher.stdout?.on('data', (d: Buffer) =>
      lines.push(...d.toString().split('\n').filter(Boolean)),
    );
    try {
      const writer = await instance('cli', false);
      const t0 = Date.now();
      unwrap(await writer.engine['chaos.apply'](isolate(await writer.id('lab-node3'), 5)));
      await writer.engine.close();
      await waitForMatrix(node3Cut, { timeoutMs: 20_000, state: keeper.lab, what: 'cut' });
      await waitForMatrix(fullyConnected, { timeoutMs: 40_000, state: keeper.lab, what: 'healed' });
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(5000);
      const did = lines.map((l) => JSON.parse(l) as Record<string, string>);
      expect(
        did.some((d) => d.kind === 'repair' && /heal 2 expired cuts/.test(d.summary ?? '')),
      ).toBe(true);
      console.log(`watch healed a 5 s cut ${took} ms after it was made`);
    } finally {
      watcher.kill('SIGTERM');
      await new Promise((r) => watcher.once('exit', r));
    }
    await expectHealed('healed by watch');
    unwrap(await keeper.engine['hosts.connect']({ hostId: keeper.hostId }));
  });
});

describe('a run and the cuts it did not make', () => {
  it('a run applying a cut that is already in force leaves its intent as it was, and its heal leaves it', async () => {
    const hand = await instance('cli', false);
    const node3 = await hand.id('lab-node3');
    unwrap(await hand.engine['chaos.apply'](isolate(node3, 3600)));
    const before = (await hand.inventory()).cuts.map((c) => [c.id, c.author, c.expiresAt, c.runId]);
    expect(before).toHaveLength(2);
    expect(before.every(([, , , run]) => run === null)).toBe(true);

    const run = await instance('run', false);
    const made = unwrap(
      await run.engine['chaos.apply']({
        ...isolate(await run.id('lab-node3'), 60),
        runId: 'run-r1',
      }),
    );
    // Nothing of it is the run's: no cut ids to hold, and the intents untouched.
    expect(made.cutIds).toEqual([]);
    const after = (await run.inventory()).cuts.map((c) => [c.id, c.author, c.expiresAt, c.runId]);
    expect(sorted(after)).toEqual(sorted(before));
    unwrap(await run.engine['chaos.heal']({ runId: 'run-r1' }));
    expect(
      sorted((await run.inventory()).cuts.map((c) => [c.id, c.author, c.expiresAt, c.runId])),
    ).toEqual(sorted(before));
    await waitForMatrix(node3Cut, {
      timeoutMs: 30_000,
      state: keeper.lab,
      what: 'the hand cut holds',
    });
    await run.engine.close();
    unwrap(await hand.engine['chaos.heal']({ all: true }));
    await hand.engine.close();
    await expectHealed('the hand cut healed by hand');
  });
});

/** Listings in a stable order, whatever order the host returned its domains in. */
function sorted<T>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ['bin/kvm-chaos.js', '-c', 'qemu:///system', ...args],
      (e, stdout, stderr) =>
        resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}
