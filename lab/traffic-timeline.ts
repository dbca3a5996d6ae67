// The lab's traffic over time: every probe round the guests print, stamped with the host's
// clock the moment it appears on the console (guest clocks run slow under TCG). Suites that ask
// "when did this flow stop, and when did it come back" record while something runs, then read
// the answer from the rounds: the matrix as it stood at any moment, or when a flow changed.
import { open } from 'node:fs/promises';
import type { LabState } from './lab';
import { buildFlows, type Matrix, type Protocol, parseRound, type Round } from './matrix';

export interface TimedRound extends Round {
  /** Date.now() when the host first read the round's line. */
  readonly seenAt: number;
}

export interface FlowRef {
  readonly from: string;
  readonly to: string;
  readonly protocol: Protocol;
}

export interface TrafficRecording {
  /** Every round seen so far, in the order read. */
  rounds(): readonly TimedRound[];
  /** Stops reading; resolves once the last read is done. */
  stop(): Promise<readonly TimedRound[]>;
  /** How often the consoles are read, in ms. */
  readonly pollMs: number;
}

/** Starts following every guest's console from its current end. */
export async function recordTraffic(state: LabState, pollMs = 50): Promise<TrafficRecording> {
  const seen: TimedRound[] = [];
  const files = await Promise.all(
    state.guests.map(async (g) => {
      const fh = await open(g.console, 'r');
      return { fh, offset: (await fh.stat()).size, partial: '' };
    }),
  );
  let stopped = false;
  const readNew = async () => {
    for (const f of files) {
      const { size } = await f.fh.stat();
      if (size <= f.offset) continue;
      const buf = Buffer.alloc(size - f.offset);
      await f.fh.read(buf, 0, buf.length, f.offset);
      f.offset = size;
      const seenAt = Date.now();
      const lines = (f.partial + buf.toString('utf8')).split('\n');
      f.partial = lines.pop() ?? '';
      for (const line of lines) {
        const r = parseRound(line);
        if (r) seen.push({ ...r, seenAt });
      }
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await readNew();
      await new Promise((r) => setTimeout(r, pollMs));
    }
    await Promise.all(files.map((f) => f.fh.close()));
  })();
  return {
    pollMs,
    rounds: () => seen,
    async stop() {
      stopped = true;
      await loop;
      return seen;
    },
  };
}

function nodeOf(state: LabState, name: string): number {
  const g = state.guests.find((x) => x.name === name);
  if (!g) throw new Error(`no guest ${name} in the lab`);
  return g.index;
}

/** The matrix as the host could have read it at `atMs`: each guest's last `window` rounds. */
export function matrixAt(
  state: LabState,
  rounds: readonly TimedRound[],
  atMs: number,
  window = 4,
): Matrix {
  const guests = state.guests.map((g) => ({
    name: g.name,
    node: g.index,
    rounds: rounds.filter((r) => r.node === g.index && r.seenAt <= atMs).slice(-window),
  }));
  return {
    at: new Date(atMs).toISOString(),
    window,
    guests: guests.map((g) => ({
      name: g.name,
      node: g.node,
      ageMs: atMs - (g.rounds.at(-1)?.seenAt ?? Number.NEGATIVE_INFINITY),
      fresh: g.rounds.length > 0,
      lastRound: g.rounds.at(-1)?.round ?? null,
      lastLine: '',
    })),
    flows: buildFlows(guests),
  };
}

/**
 * Whether `f` got through in one round, read where the probe measures it: icmp and tcp at the
 * sender (round trips), udp at the receiver (one way).
 */
function reached(state: LabState, r: TimedRound, f: FlowRef): boolean | null {
  const senderMeasured = f.protocol === 'icmp' || f.protocol === 'tcp';
  const observer = nodeOf(state, senderMeasured ? f.from : f.to);
  if (r.node !== observer) return null;
  const peer = nodeOf(state, senderMeasured ? f.to : f.from);
  return r.masks[f.protocol][peer - 1] === '1';
}

/** The flow's rounds from `sinceMs` on, oldest first, as got-through or not. */
export function flowRounds(
  state: LabState,
  rounds: readonly TimedRound[],
  f: FlowRef,
  sinceMs: number,
): { seenAt: number; ok: boolean }[] {
  return rounds.flatMap((r) => {
    if (r.seenAt < sinceMs) return [];
    const ok = reached(state, r, f);
    return ok === null ? [] : [{ seenAt: r.seenAt, ok }];
  });
}

/**
 * When the flow was first seen cut (`to: 'cut'`: the first of `steady` failed rounds in a row,
 * so a single lost UDP datagram is not a cut) or back (`to: 'reach'`: its first round through:
 * nothing gets through a cut), from `sinceMs` on; null if never.
 */
export function flowChange(
  state: LabState,
  rounds: readonly TimedRound[],
  f: FlowRef,
  to: 'cut' | 'reach',
  sinceMs: number,
  steady = 3,
): number | null {
  const seq = flowRounds(state, rounds, f, sinceMs);
  if (to === 'reach') return seq.find((r) => r.ok)?.seenAt ?? null;
  for (let i = 0; i + steady <= seq.length; i++)
    if (seq.slice(i, i + steady).every((r) => !r.ok)) return (seq[i] as { seenAt: number }).seenAt;
  return null;
}

/** The median time between two rounds of one guest, in ms: one probe round as the host sees it. */
export function roundMs(rounds: readonly TimedRound[]): number {
  const gaps: number[] = [];
  const last = new Map<number, TimedRound>();
  for (const r of rounds) {
    const prev = last.get(r.node);
    if (prev && r.round === prev.round + 1) gaps.push(r.seenAt - prev.seenAt);
    last.set(r.node, r);
  }
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] ?? Number.NaN;
}
