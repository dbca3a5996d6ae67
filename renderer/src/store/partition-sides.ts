import type { GuestId, PartitionRequest } from '../../../shared/api';
import {
  bridge,
  complete,
  type Grudge,
  halves,
  majoritiesRing,
  majorityMinority,
} from '../../../shared/chaos/topology';

// A partition request as the engine will read it, on guest ids instead of MACs: the grudge
// (who drops whom) from shared/chaos's topologies, and the sides the preview colours guests by.
// Pure; throws what the topologies throw for a request they refuse.

/**
 * The grudge a partition request amounts to. `segment` is every guest of the segment, which
 * isolate needs: each isolated guest is cut from all the others, the rest stay together.
 */
export function partitionGrudge(
  p: PartitionRequest,
  segment: readonly GuestId[] = [],
): Grudge<GuestId> {
  switch (p.topology) {
    case 'groups':
      return complete(p.groups);
    case 'isolate': {
      const rest = segment.filter((id) => !p.guestIds.includes(id));
      return complete([...p.guestIds.map((id) => [id]), ...(rest.length ? [rest] : [])]);
    }
    case 'halves':
      return halves(p.guestIds);
    case 'majority-minority':
      // The engine's choice: the last members beyond the smallest majority are the minority.
      return majorityMinority(p.guestIds, p.guestIds.slice(Math.floor(p.guestIds.length / 2) + 1));
    case 'majorities-ring':
      return majoritiesRing(p.guestIds);
    case 'bridge':
      return bridge(p.guestIds);
  }
}

/**
 * The side each guest of the grudge falls on: guests that will reach exactly the same guests
 * share a side. Halves and groups give one side per group; a bridge gives its two halves and
 * the guest between them; in a majorities ring every guest keeps its own majority, so every
 * guest is a side of its own. Sides are numbered in `order` (the segment's ring order), so the
 * first side is the one its first guest falls on; guests not in `order` come after.
 */
export function sidesOf(
  grudge: Grudge<GuestId>,
  order: readonly GuestId[] = [],
): Map<GuestId, number> {
  const nodes = [...order.filter((n) => grudge.has(n)), ...grudge.keys()].filter(
    (n, i, all) => all.indexOf(n) === i,
  );
  const sideOfReach = new Map<string, number>();
  const sides = new Map<GuestId, number>();
  for (const node of nodes) {
    const dropped = grudge.get(node) ?? new Set();
    const reach = nodes.filter((n) => !dropped.has(n)).join('|');
    const side = sideOfReach.get(reach) ?? sideOfReach.size;
    sideOfReach.set(reach, side);
    sides.set(node, side);
  }
  return sides;
}
