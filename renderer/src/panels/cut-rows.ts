import type { ActiveCut, GuestId, HostInventory } from '../../../shared/api';
import { cutBadge } from '../graph/model';

// The cuts of one guest as its panel lists them: what is dropped, the other guest and which
// way, with the cut itself for its author, state and expiry. Pure.

export type CutRow = { cut: ActiveCut; what: string; peer: string };

export function cutRows(inventory: HostInventory | undefined, guestId: GuestId): CutRow[] {
  if (!inventory) return [];
  const name = new Map(inventory.guests.map((g) => [g.id as string, g.name]));
  const nameOf = (id: GuestId) => name.get(id) ?? id;
  return inventory.cuts
    .filter((c) => c.from.guestId === guestId || c.to.guestId === guestId)
    .map((cut) => {
      const both = cut.direction === 'both';
      const outgoing = cut.from.guestId === guestId;
      const other = nameOf(outgoing ? cut.to.guestId : cut.from.guestId);
      return {
        cut,
        what: cutBadge({ scope: cut.scope, blocked: both ? 'both' : 'a->b' }),
        peer: both ? `with ${other}` : outgoing ? `to ${other}` : `from ${other}`,
      };
    })
    .sort((x, y) => x.peer.localeCompare(y.peer, 'en', { numeric: true }));
}
