// The guests a plan may name: every guest of its hosts, one host's or several's (the CLI's
// several -c). Across hosts, two segments are one only when shared/inventory/fabric.ts joins
// them on evidence (a DHCP lease, or the user's grouping), as the engine's planner does; and a
// guest whose name another host's guest shares is named `name@host`, as the CLI names it.
import type { Guest, HostId, HostInventory, SegmentId } from '../api';
import { segmentJoin, sharedSegments } from '../inventory/fabric';
import { qualifiedName, type SegmentOf } from './select';

export interface PlanGuests {
  /** The hosts, the plan's own first. */
  readonly hostIds: readonly HostId[];
  /** Every guest of those hosts. */
  readonly guests: readonly Guest[];
  readonly segmentOf: SegmentOf;
  /** How the plan names a guest in its words and in the steps a nemesis draws. */
  readonly nameOf: (g: Guest) => string;
  /** The hosts' inventories (a guest's gateway is its host's network address). */
  readonly inventories: readonly HostInventory[];
}

/** The guests of one host, or of several (the first is the plan's host). */
export function planGuests(
  inventories: HostInventory | readonly HostInventory[],
  segmentGroups: readonly (readonly SegmentId[])[] = [],
): PlanGuests {
  const list = Array.isArray(inventories)
    ? (inventories as readonly HostInventory[])
    : [inventories as HostInventory];
  if (list.length === 0) throw new Error('a plan needs at least one host');
  const guests = list.flatMap((inv) => inv.guests);
  if (list.length === 1)
    return {
      hostIds: [list[0]?.hostId as HostId],
      guests,
      inventories: list,
      segmentOf: (id) => id,
      nameOf: (g) => g.name,
    };
  const count = new Map<string, number>();
  for (const g of guests) count.set(g.name, (count.get(g.name) ?? 0) + 1);
  return {
    hostIds: list.map((inv) => inv.hostId),
    guests,
    inventories: list,
    segmentOf: segmentJoin(sharedSegments(list, segmentGroups)),
    nameOf: (g) => ((count.get(g.name) ?? 0) > 1 ? qualifiedName(g) : g.name),
  };
}
