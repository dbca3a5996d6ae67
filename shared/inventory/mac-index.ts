// A host's guest interfaces by MAC. The engine looks up the far end of every cut across hosts on
// each status refresh; an inventory is a new object whenever it changes (host-session.ts), so
// each one is indexed once, on first lookup, instead of scanning every guest for every MAC.
import type { GuestId, HostInventory, SegmentId } from '../api';

/** Where a MAC is in one inventory: its guest and the segment of that interface. */
export interface InterfaceAt {
  readonly guestId: GuestId;
  readonly segmentId: SegmentId | null;
}

const indexes = new WeakMap<HostInventory, ReadonlyMap<string, InterfaceAt>>();

/** The inventory's guest interfaces by MAC; the first guest listed wins a MAC two guests show. */
export function interfacesByMac(inv: HostInventory): ReadonlyMap<string, InterfaceAt> {
  let index = indexes.get(inv);
  if (!index) {
    const built = new Map<string, InterfaceAt>();
    for (const g of inv.guests)
      for (const i of g.interfaces)
        if (!built.has(i.mac)) built.set(i.mac, { guestId: g.id, segmentId: i.segmentId });
    index = built;
    indexes.set(inv, index);
  }
  return index;
}
