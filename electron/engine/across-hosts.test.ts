// The members of a cut across hosts come from the segments joined on evidence: without a lease,
// only the user's saved group makes two hosts' guests one segment.
import { describe, expect, it } from 'vitest';
import type { GuestId } from '../../shared/api';
import {
  fabricGuest,
  fabricInventory,
  fabricSegment,
} from '../../shared/inventory/fabric-fixtures';
import { membersOnSegment } from './across-hosts';

const h1 = fabricInventory(
  'h1',
  [fabricSegment('h1', 'lab')],
  [
    fabricGuest('h1', 'a1', '52:54:00:00:01:01', 'lab'),
    fabricGuest('h1', 'a2', '52:54:00:00:01:02', 'lab'),
  ],
);
const h2 = fabricInventory(
  'h2',
  [fabricSegment('h2', 'vlan10')],
  [fabricGuest('h2', 'b1', '52:54:00:00:02:01', 'vlan10')],
);
const ids = [h1.guests[0]?.id, h2.guests[0]?.id] as GuestId[];

describe('membersOnSegment across hosts', () => {
  it('refuses guests of two hosts that nothing joins', () => {
    expect(() => membersOnSegment([h1, h2], ids)).toThrow(
      'a1, b1 share no L2 segment that kvm-chaos can see spans their hosts',
    );
  });

  it("takes every guest of both hosts' segments once the user grouped them", () => {
    const m = membersOnSegment([h1, h2], ids, [[h1.segments[0]?.id, h2.segments[0]?.id] as never]);
    expect(m.macs).toEqual(['52:54:00:00:01:01', '52:54:00:00:02:01']);
    expect(m.all.sort()).toEqual(['52:54:00:00:01:01', '52:54:00:00:01:02', '52:54:00:00:02:01']);
    expect(m.hostOf.get('52:54:00:00:02:01' as never)).toBe('h2');
    expect(m.segment).toBe('lab + vlan10');
  });
});

describe('membersOnSegment with the ends a cut request names', () => {
  // b1 has a second NIC on the segment with no port (not cuttable, so not among the members): a
  // cut that names it still needs its host, where the planner refuses it in words.
  const first = h2.guests[0] as (typeof h2.guests)[number];
  const twoNics = {
    ...h2,
    guests: [
      {
        ...first,
        interfaces: [
          ...first.interfaces,
          {
            ...first.interfaces[0],
            mac: '52:54:00:00:02:02',
            uncuttable: { reason: 'no-port', explanation: 'no tap device' },
          },
        ],
      },
    ],
  } as typeof h2;
  const groups = [[h1.segments[0]?.id, h2.segments[0]?.id] as never];

  it("places a named end that is not among the members on its guest's host", () => {
    const ends = [
      { guestId: ids[0] as GuestId, mac: '52:54:00:00:01:01' },
      { guestId: ids[1] as GuestId, mac: '52:54:00:00:02:02' },
    ];
    const m = membersOnSegment([h1, twoNics], ids, groups, ends as never);
    expect(m.macs).toEqual(['52:54:00:00:01:01', '52:54:00:00:02:01']);
    expect(m.all).not.toContain('52:54:00:00:02:02');
    expect(m.hostOf.get('52:54:00:00:02:02' as never)).toBe('h2');
    expect(m.hostOf.get('52:54:00:00:01:01' as never)).toBe('h1');
  });

  it('writes a named end in the form the planner keys by (two hex digits, lower case)', () => {
    const ends = [{ guestId: ids[1] as GuestId, mac: '52:54:0:0:2:2' }];
    const m = membersOnSegment([h1, twoNics], ids, groups, ends as never);
    expect(m.hostOf.get('52:54:00:00:02:02' as never)).toBe('h2');
  });
});
