// Segments join across hosts only on evidence: a lease, or the user's grouping; never a name.
import { describe, expect, it } from 'vitest';
import type { SegmentId } from '../api';
import { segmentJoin, sharedSegments } from './fabric';
import { fabricGuest, fabricInventory, fabricSegment } from './fabric-fixtures';

const seg = (host: string, name: string, leasedMacs?: string[]) =>
  fabricSegment(host, name, leasedMacs);
const guest = fabricGuest;
const inv = fabricInventory;

describe('sharedSegments', () => {
  it("joins two hosts when one network leased an address to the other host's guest", () => {
    const h1 = inv(
      'h1',
      [seg('h1', 'lab', ['52:54:00:00:02:01'])],
      [guest('h1', 'a1', '52:54:00:00:01:01', 'lab')],
    );
    const h2 = inv('h2', [seg('h2', 'uplink')], [guest('h2', 'b1', '52:54:00:00:02:01', 'uplink')]);
    const shared = sharedSegments([h1, h2]);
    expect(shared).toHaveLength(1);
    expect(shared[0]?.segments).toEqual(['segment:h1:network:lab', 'segment:h2:network:uplink']);
    expect(shared[0]?.hosts).toEqual(['h1', 'h2']);
    expect(shared[0]?.evidence[0]?.words).toBe(
      'b1 on h2.lab (52:54:00:00:02:01) holds a DHCP lease from lab on h1.lab',
    );
    const join = segmentJoin(shared);
    expect(join('segment:h2:network:uplink' as SegmentId)).toBe('segment:h1:network:lab');
  });

  it('does not join on a shared name alone, nor a lease of a guest of the same host', () => {
    const h1 = inv(
      'h1',
      [seg('h1', 'lab', ['52:54:00:00:01:01'])],
      [guest('h1', 'a1', '52:54:00:00:01:01', 'lab')],
    );
    const h2 = inv('h2', [seg('h2', 'lab')], [guest('h2', 'b1', '52:54:00:00:02:01', 'lab')]);
    expect(sharedSegments([h1, h2])).toEqual([]);
  });

  it("joins on the user's grouping, and ignores ids no host has", () => {
    const h1 = inv('h1', [seg('h1', 'lab')], []);
    const h2 = inv('h2', [seg('h2', 'vlan10')], []);
    const shared = sharedSegments(
      [h1, h2],
      [
        [
          'segment:h2:network:vlan10',
          'segment:h1:network:lab',
          'segment:h9:network:x',
        ] as SegmentId[],
      ],
    );
    expect(shared.map((s) => [s.id, s.evidence.map((e) => e.kind)])).toEqual([
      ['segment:h1:network:lab', ['user']],
    ]);
  });

  it("never lets the user's word make two bridges of one host one segment", () => {
    // b1 on h2 leased from h1's lab: h1/lab and h2/uplink are one; a saved group of h2/uplink
    // with h1/other would make h1's two networks one, so that member is left out.
    const h1 = inv('h1', [seg('h1', 'lab', ['52:54:00:00:02:01']), seg('h1', 'other')], []);
    const h2 = inv('h2', [seg('h2', 'uplink')], [guest('h2', 'b1', '52:54:00:00:02:01', 'uplink')]);
    const shared = sharedSegments(
      [h1, h2],
      [['segment:h2:network:uplink', 'segment:h1:network:other'] as SegmentId[]],
    );
    expect(shared.map((x) => [x.segments, x.evidence.map((e) => e.kind)])).toEqual([
      [['segment:h1:network:lab', 'segment:h2:network:uplink'], ['lease']],
    ]);
  });
});
