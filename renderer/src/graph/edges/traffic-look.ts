import type { CutTraffic, PortTraffic } from '../../../../shared/api';
import { activity } from '../../../../shared/traffic/rates';

// How live traffic looks on a link: pure, so it is tested without a canvas. libvirt counts per
// port, not per pair, so what passes between two guests is at most the quieter port's rate: the
// link is drawn by that bound and its title says so. A cut link shows what its rules dropped.

export interface FlowLook {
  /** 0 idle .. 1 busy (shared/traffic activity). */
  readonly level: number;
  readonly width: number;
  /** Seconds per dash cycle: busier moves faster. */
  readonly seconds: number;
  /** Motion from b to a (b's guest sends more than a's). */
  readonly reverse: boolean;
  readonly pps: number;
}

const total = (p: PortTraffic) => p.rxPacketsPerSec + p.txPacketsPerSec;

export function formatCount(n: number): string {
  if (n < 10_000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function formatRate(pps: number): string {
  return pps < 10 ? pps.toFixed(1) : formatCount(pps);
}

/** The motion of one port (a spoke) or of a pair (the quieter of its two ports); null is idle. */
export function flowLook(a: PortTraffic | undefined, b?: PortTraffic): FlowLook | null {
  if (!a) return null;
  const pps = b ? Math.min(total(a), total(b)) : total(a);
  const level = activity(pps);
  if (level === 0) return null;
  return {
    level,
    pps,
    width: 1.5 + 5 * level,
    seconds: 2.4 - 1.9 * level,
    reverse: b ? b.txPacketsPerSec > a.txPacketsPerSec : false,
  };
}

export function flowTitle(nameA: string, a: PortTraffic, nameB?: string, b?: PortTraffic): string {
  const one = (name: string, p: PortTraffic) =>
    `${name} (${p.portdev}): sends ${formatRate(p.txPacketsPerSec)} pkt/s, receives ${formatRate(p.rxPacketsPerSec)} pkt/s`;
  return b && nameB
    ? `${one(nameA, a)}\n${one(nameB, b)}\nlibvirt counts per port: between these two at most the lower`
    : one(nameA, a);
}

export type DropLabel =
  | { readonly source: 'rule-counters'; readonly packets: number; text: string; title: string }
  | { readonly source: 'rate-change'; readonly packets: null; text: string; title: string };

/** What a cut link's label says of its drops, from the traffic of its cuts; null without data. */
export function dropLabel(
  cuts: readonly (CutTraffic | undefined)[],
  countersUnavailable: string | null,
): DropLabel | null {
  const known = cuts.filter((c): c is CutTraffic => c !== undefined);
  if (known.length === 0) return null;
  const counted = known.filter((c) => c.source === 'rule-counters');
  if (counted.length === known.length) {
    const packets = counted.reduce((n, c) => n + c.packets, 0);
    const bytes = counted.reduce((n, c) => n + c.bytes, 0);
    return {
      source: 'rule-counters',
      packets,
      text: `${formatCount(packets)} dropped`,
      title: `${packets} packets (${bytes} bytes) dropped by the cut's rules: their own counters on the host (ebtables), since the rules were installed`,
    };
  }
  const change = known.find((c) => c.source === 'rate-change');
  if (change?.source !== 'rate-change') return null;
  const now = formatRate(change.nowPacketsPerSec);
  const why = countersUnavailable ?? 'the rule counters could not be read';
  return {
    source: 'rate-change',
    packets: null,
    text:
      change.beforePacketsPerSec === null
        ? `${now} pkt/s now (rate)`
        : `${formatRate(change.beforePacketsPerSec)} → ${now} pkt/s (rate)`,
    title: `Rate change of the two guests' ports since the cut, not a count of drops (other traffic moves it too): ${why}`,
  };
}
