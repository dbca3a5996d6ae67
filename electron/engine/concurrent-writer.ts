// One writer of the concurrency lab suite (concurrency.lab.test.ts), run as a process of its own:
// random cuts, heals and partitions between lab-node1 and lab-node2, only in the scopes it owns,
// so what should remain on the host does not depend on how the writers interleave. Every call is
// one JSON line on stdout; the writer's model (the cuts it believes present) changes only when a
// change succeeds, because a failed change must change nothing. The last line is its summary.
//
//   node --import tsx electron/engine/concurrent-writer.ts --writer 2 --transport local \
//     --seed 1234 --seconds 130 --max-ops 300 --start-at <epoch ms>
import { parseArgs } from 'node:util';
import { readLabState } from '../../lab/lab-client';
import {
  type ActiveCut,
  type ApplyResult,
  type CutRequest,
  type CutScope,
  type Guest,
  type GuestEnd,
  type HostId,
  type Result,
  unwrap,
} from '../../shared/api';
import { cutKey, normaliseCuts } from '../../shared/chaos/cut';
import { toPlannerCut } from './cuts';
import { createEngine } from './engine';
import { memoryProfiles } from './profiles';
import type { Engine } from './types';

/** What each writer may cut: disjoint, so every cut has exactly one owner. */
export const WRITER_SCOPES: Record<number, readonly CutScope[]> = {
  1: [{ kind: 'all' }],
  2: [
    { kind: 'udp', port: 7001 },
    { kind: 'udp', port: 5353 },
    { kind: 'udp', port: 9000 },
  ],
  3: [
    { kind: 'tcp', port: 7002 },
    { kind: 'tcp', port: 8080 },
    { kind: 'tcp', port: 2049 },
  ],
  4: [{ kind: 'icmp' }, { kind: 'ipv4' }],
};

/** Only the owner of scope 'all' partitions (groups node1 | node2 is a both-way 'all' cut). */
const PARTITIONS = new Set([1]);

export type WriterOp = 'cut' | 'cuts' | 'partition' | 'heal' | 'heal-mine';

/** One line per call. */
export interface OpLine {
  type: 'op';
  writer: number;
  seq: number;
  op: WriterOp;
  /** Canonical cut keys the call asked for (cut, cuts, partition) or healed (heal). */
  keys: string[];
  ok: boolean;
  code?: string;
  message?: string;
  replans: number;
  ms: number;
  /** From the call to its first write (lock wait, fresh read and plan); null if it wrote nothing. */
  firstWriteMs: number | null;
  operations: number;
}

/** A disagreement between the writer's model and the host as its engine reads it. */
export interface AnomalyLine {
  type: 'anomaly';
  writer: number;
  seq: number;
  what: string;
  missing: string[];
  extra: string[];
}

export interface SummaryLine {
  type: 'summary';
  writer: number;
  seed: number;
  transport: 'ssh' | 'local';
  instance: string;
  model: string[];
  ops: number;
  elapsedMs: number;
}

export type WriterLine =
  | OpLine
  | AnomalyLine
  | SummaryLine
  | { type: 'start'; [k: string]: unknown };

/** mulberry32: small, seedable, the same sequence on every machine. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The canonical keys of a set of requested cuts, as their intents will be kept. */
export function keysOf(cuts: readonly CutRequest[]): string[] {
  return normaliseCuts(cuts.map(toPlannerCut)).map(cutKey);
}

export function keyOfActive(c: ActiveCut): string {
  return cutKey(toPlannerCut(c));
}

async function main() {
  const { values } = parseArgs({
    options: {
      writer: { type: 'string' },
      transport: { type: 'string' },
      seed: { type: 'string' },
      seconds: { type: 'string', default: '130' },
      'max-ops': { type: 'string', default: '300' },
      'start-at': { type: 'string', default: '0' },
    },
  });
  const writer = Number(values.writer);
  const transport = values.transport === 'ssh' ? 'ssh' : 'local';
  const seed = Number(values.seed);
  const scopes = WRITER_SCOPES[writer];
  if (!scopes || !Number.isInteger(seed)) throw new Error('usage: --writer 1-4 --seed N');
  const seconds = Number(values.seconds);
  const maxOps = Number(values['max-ops']);
  const out = (line: WriterLine) => process.stdout.write(`${JSON.stringify(line)}\n`);
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

  const lab = await readLabState();
  const engine: Engine = await createEngine({
    profiles: memoryProfiles(),
    knownHostsPath: lab.ssh.knownHosts,
    face: `writer${writer}`,
  });
  const added = unwrap(
    await engine['hosts.add'](
      transport === 'ssh'
        ? {
            uri: `ssh://${lab.ssh.user}@${lab.ssh.host}:${lab.ssh.port}`,
            auth: { method: 'key', keyPath: lab.ssh.key },
            label: `writer${writer}`,
          }
        : { uri: 'qemu:///system', auth: { method: 'local' }, label: `writer${writer}` },
    ),
  );
  const hostId = added.id as HostId;
  unwrap(await engine['hosts.connect']({ hostId }));
  const inventory = async () => unwrap(await engine['inventory.get']({ hostId }));
  const guests = (await inventory()).guests;
  const node = (name: string): Guest => {
    const g = guests.find((x) => x.name === name);
    if (!g) throw new Error(`no guest ${name}`);
    return g;
  };
  const ends: [GuestEnd, GuestEnd] = [node('lab-node1'), node('lab-node2')].map((g) => ({
    guestId: g.id,
    mac: g.interfaces[0]?.mac as string,
  })) as [GuestEnd, GuestEnd];
  const instance = engine.author.instance;
  out({ type: 'start', writer, seed, transport, instance, hostId });

  // The first write of a call is its first apply.progress; this process makes one call at a time.
  let callStart = 0;
  let firstWrite: number | null = null;
  engine.subscribe((e) => {
    if (e.type === 'apply.progress' && e.status === 'running' && firstWrite === null)
      firstWrite = performance.now() - callStart;
  });

  const startAt = Number(values['start-at']);
  if (startAt > Date.now()) await new Promise((r) => setTimeout(r, startAt - Date.now()));
  const t0 = Date.now();
  const deadline = t0 + seconds * 1000;
  const model = new Set<string>();

  const randomCut = (): CutRequest => {
    const [from, to] = rnd() < 0.5 ? [ends[0], ends[1]] : [ends[1], ends[0]];
    return {
      from,
      to,
      direction: rnd() < 0.5 ? 'both' : 'one-way',
      scope: pick(scopes),
    };
  };

  const call = async (
    seq: number,
    op: WriterOp,
    keys: string[],
    f: () => Promise<Result<ApplyResult>>,
  ): Promise<ApplyResult | null> => {
    callStart = performance.now();
    firstWrite = null;
    let r: Result<ApplyResult>;
    try {
      r = await f();
    } catch (e) {
      r = { ok: false, error: { code: 'internal', message: `threw: ${String(e)}` } };
    }
    const line: OpLine = {
      type: 'op',
      writer,
      seq,
      op,
      keys,
      ok: r.ok,
      replans: r.ok ? (r.value.replans ?? 0) : 0,
      ms: Math.round(performance.now() - callStart),
      firstWriteMs: firstWrite === null ? null : Math.round(firstWrite),
      operations: r.ok ? r.value.plan.operations.length : 0,
      ...(r.ok ? {} : { code: r.error.code, message: r.error.message }),
    };
    out(line);
    return r.ok ? r.value : null;
  };

  /** My cuts as my engine reads the host, and any disagreement with my model. */
  const mineChecked = async (seq: number, what: string) => {
    const mine = (await inventory()).cuts.filter((c) => c.author?.instance === instance);
    const held = new Set(mine.map(keyOfActive));
    const missing = [...model].filter((k) => !held.has(k));
    const extra = [...held].filter((k) => !model.has(k));
    if (missing.length || extra.length) out({ type: 'anomaly', writer, seq, what, missing, extra });
    return mine;
  };

  let seq = 0;
  for (; seq < maxOps && Date.now() < deadline; seq++) {
    const roll = rnd();
    const mine = await mineChecked(seq, 'model vs inventory');

    if (mine.length > 0 && roll < 0.3) {
      // Heal one or two of my cuts, by the ids the inventory gives them.
      const chosen = [...mine].sort(() => rnd() - 0.5).slice(0, rnd() < 0.6 ? 1 : 2);
      const keys = chosen.map(keyOfActive);
      const r = await call(seq, 'heal', keys, () =>
        engine['chaos.heal']({ cutIds: chosen.map((c) => c.id) }),
      );
      if (r) for (const k of keys) model.delete(k);
    } else if (mine.length > 0 && roll < 0.36) {
      const keys = mine.map(keyOfActive);
      const r = await call(seq, 'heal-mine', keys, () =>
        engine['chaos.heal']({ cutIds: mine.map((c) => c.id) }),
      );
      if (r) for (const k of keys) model.delete(k);
    } else if (PARTITIONS.has(writer) && roll < 0.5) {
      const [a, b] = rnd() < 0.5 ? [ends[0], ends[1]] : [ends[1], ends[0]];
      const keys = keysOf([{ from: a, to: b, direction: 'both', scope: { kind: 'all' } }]);
      const r = await call(seq, 'partition', keys, () =>
        engine['chaos.apply']({
          partition: { topology: 'groups', groups: [[a.guestId], [b.guestId]] },
        }),
      );
      if (r) for (const k of keys) model.add(k);
    } else if (roll < 0.65) {
      const cuts = [randomCut(), randomCut(), ...(rnd() < 0.5 ? [randomCut()] : [])];
      const keys = keysOf(cuts);
      const r = await call(seq, 'cuts', keys, () => engine['chaos.apply']({ cuts }));
      if (r) for (const k of keys) model.add(k);
    } else {
      const cuts = [randomCut()];
      const keys = keysOf(cuts);
      const r = await call(seq, 'cut', keys, () => engine['chaos.apply']({ cuts }));
      if (r) for (const k of keys) model.add(k);
    }
    await new Promise((r) => setTimeout(r, Math.floor(rnd() * 300)));
  }

  await mineChecked(seq, 'final model vs inventory');
  out({
    type: 'summary',
    writer,
    seed,
    transport,
    instance,
    model: [...model].sort(),
    ops: seq,
    elapsedMs: Date.now() - t0,
  });
  await engine.close();
}

if (process.argv[1]?.endsWith('concurrent-writer.ts'))
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`writer failed: ${e instanceof Error ? (e.stack ?? e.message) : e}\n`);
      process.exit(1);
    },
  );
