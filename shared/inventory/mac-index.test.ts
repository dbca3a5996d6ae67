// The MAC index of an inventory: what the scan over every guest found, built once per inventory.
import { describe, expect, it } from 'vitest';
import { fabricGuest, fabricInventory, fabricSegment } from './fabric-fixtures';
import { interfacesByMac } from './mac-index';

const inventory = () =>
  fabricInventory(
    'h2',
    [fabricSegment('h2', 'lab'), fabricSegment('h2', 'vlan10')],
    [
      fabricGuest('h2', 'b1', '52:54:00:00:02:01', 'lab'),
      fabricGuest('h2', 'b2', '52:54:00:00:02:02', 'vlan10'),
      // A clone that kept b1's MAC: the scan returned the first guest listed.
      fabricGuest('h2', 'b1-clone', '52:54:00:00:02:01', 'vlan10'),
    ],
  );

describe('interfacesByMac', () => {
  it("finds each MAC's guest and segment, the first guest listed for a MAC two show", () => {
    const inv = inventory();
    const index = interfacesByMac(inv);
    expect(index.get('52:54:00:00:02:01')).toEqual({
      guestId: inv.guests[0]?.id,
      segmentId: 'segment:h2:network:lab',
    });
    expect(index.get('52:54:00:00:02:02')).toEqual({
      guestId: inv.guests[1]?.id,
      segmentId: 'segment:h2:network:vlan10',
    });
    expect(index.get('52:54:00:00:09:09')).toBeUndefined();
    expect(index.size).toBe(2);
  });

  it('is built once per inventory, and again for the next inventory of the host', () => {
    const inv = inventory();
    expect(interfacesByMac(inv)).toBe(interfacesByMac(inv));
    const next = { ...inv, guests: inv.guests.slice(1) };
    expect(interfacesByMac(next)).not.toBe(interfacesByMac(inv));
    expect(interfacesByMac(next).get('52:54:00:00:02:01')?.guestId).toBe(inv.guests[2]?.id);
  });
});
