// What a cut link shows: the packets our rules dropped for it, from the rules' own counters; or,
// where those cannot be read, how the rate of its guests' ports changed since the cut was made,
// labelled as such (a rate change is a hint, not a count: other traffic moves it too).
import { type Cut, flowKey, flowsOf } from '../chaos/cut';
import type { Dropped } from './ebtables';

/** Packets and bytes dropped for a cut: the sum over its flows (each flow is dropped once). */
export function droppedFor(cut: Cut, byFlow: ReadonlyMap<string, Dropped>): Dropped {
  let packets = 0;
  let bytes = 0;
  for (const f of flowsOf(cut)) {
    const d = byFlow.get(flowKey(f));
    packets += d?.packets ?? 0;
    bytes += d?.bytes ?? 0;
  }
  return { packets, bytes };
}

/** Packets per second of one port at one time. */
export interface RatePoint {
  readonly at: number;
  readonly pps: number;
}

/** How far back a baseline looks before the cut was made. */
export const BASELINE_MS = 10_000;

/**
 * The mean rate of a port in the BASELINE_MS before `at` (a cut's creation), or null when the
 * history holds nothing from then (the app was not watching before the cut).
 */
export function baselineBefore(history: readonly RatePoint[], at: number): number | null {
  const before = history.filter((p) => p.at < at && p.at >= at - BASELINE_MS);
  if (before.length === 0) return null;
  return before.reduce((s, p) => s + p.pps, 0) / before.length;
}

/** Keeps a port's history to what a baseline can still need. */
export function trimHistory(history: RatePoint[], now: number, keepMs = 120_000): RatePoint[] {
  const from = now - keepMs;
  const i = history.findIndex((p) => p.at >= from);
  return i <= 0 ? history : history.slice(i);
}
