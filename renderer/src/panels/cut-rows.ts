import {
  type ActiveCut,
  type CutEnd,
  type GuestId,
  type HostInventory,
  isGuestEnd,
  outsideText,
} from '../../../shared/api';
import { cutBadge } from '../graph/model';

// The cuts of one guest as its panel lists them: what is dropped, the other guest and which
// way, with the cut itself for its author, state and expiry. Pure.

export type CutRow = { cut: ActiveCut; what: string; peer: string };

export function cutRows(inventory: HostInventory | undefined, guestId: GuestId): CutRow[] {
  if (!inventory) return [];
  const name = new Map(inventory.guests.map((g) => [g.id as string, g.name]));
  const nameOf = (e: CutEnd) =>
    isGuestEnd(e) ? (name.get(e.guestId) ?? e.guestId) : outsideText(e);
  const isThis = (e: CutEnd) => isGuestEnd(e) && e.guestId === guestId;
  return inventory.cuts
    .filter((c) => isThis(c.from) || isThis(c.to))
    .map((cut) => {
      const both = cut.direction === 'both';
      const outgoing = isThis(cut.from);
      const other = nameOf(outgoing ? cut.to : cut.from);
      return {
        cut,
        what: cutBadge({ scope: cut.scope, blocked: both ? 'both' : 'a->b' }),
        peer: both ? `with ${other}` : outgoing ? `to ${other}` : `from ${other}`,
      };
    })
    .sort((x, y) => x.peer.localeCompare(y.peer, 'en', { numeric: true }));
}
