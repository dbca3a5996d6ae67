// Which host enforces each cut when guests of several hosts share a segment. A cut is enforced
// on one end's port (each rule drops both ways' frames of that pair on that port); for a cut
// between guests of two hosts, that picks the host too. Over all hosts we want the fewest ports
// touched, so the choice is one vertex cover over every pair (same-host pairs included, since
// their ports are touched anyway), costed like the planner's: a port whose binding is someone
// else's opens an unfiltered window and is avoided whenever the other end can take the cut.

import type { MacAddress } from '../libvirt/values';
import { vertexCover } from './cover';
import { type Cut, compareText, isNetTarget, normaliseCuts } from './cut';
import type { RemoteEnd } from './remote';

export interface PlacedCut {
  readonly cut: Cut;
  /** The end on another host, or null when both ends are on the enforcing host. */
  readonly remote: RemoteEnd | null;
}

export interface PlacementInput<H extends string> {
  /** The host of each MAC the cuts name (a MAC on no host is an error of the caller). */
  readonly hostOf: (mac: MacAddress) => H;
  /** How people name a host (kept in the intent of a cut across hosts). */
  readonly labelOf: (host: H) => string;
  /** Ports already holding our rules: taking them costs no new port. */
  readonly bound?: (mac: MacAddress) => boolean;
  /** Ports with someone else's binding: replacing it opens an unfiltered window. */
  readonly foreign?: (mac: MacAddress) => boolean;
}

const WINDOW_COST = 100_000;

/** The cuts each host holds, in canonical form; a host with nothing to hold is absent. */
export function placeAcrossHosts<H extends string>(
  cuts: readonly Cut[],
  input: PlacementInput<H>,
): Map<H, PlacedCut[]> {
  const canonical = normaliseCuts(cuts);
  // A cut to addresses outside the guests has one port only: it needs no choosing.
  const pairs = canonical.flatMap((c) =>
    isNetTarget(c.from) || isNetTarget(c.to)
      ? []
      : [[c.from as MacAddress, c.to as MacAddress] as const],
  );
  const cover = vertexCover(pairs, {
    prefer: (m) => input.bound?.(m) ?? false,
    cost: (m) => (input.foreign?.(m) ? WINDOW_COST : 1),
  });
  const out = new Map<H, PlacedCut[]>();
  for (const cut of canonical) {
    // Addresses outside the guests are reached from wherever the guest is.
    const hf = input.hostOf((isNetTarget(cut.from) ? cut.to : cut.from) as MacAddress);
    const ht = input.hostOf((isNetTarget(cut.to) ? cut.from : cut.to) as MacAddress);
    let host: H;
    let remote: RemoteEnd | null = null;
    if (hf === ht) host = hf;
    else {
      // The cover holds at least one end; when it holds both, the lower MAC's (deterministic).
      const [from, to] = [cut.from as MacAddress, cut.to as MacAddress];
      const here = cover.has(from) || !cover.has(to) ? from : to;
      const there = here === from ? to : from;
      host = input.hostOf(here);
      remote = { mac: there, host: input.labelOf(input.hostOf(there)) };
    }
    out.set(host, [...(out.get(host) ?? []), { cut, remote }]);
  }
  for (const list of out.values())
    list.sort((a, b) => compareText(a.cut.from + a.cut.to, b.cut.from + b.cut.to));
  return out;
}
