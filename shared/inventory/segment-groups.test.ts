// The user's segment groups: named by host and bridge, found in today's inventories, edited by
// "same L2 as" and "not joined", and refused when they would make two bridges of one host one.
import { describe, expect, it } from 'vitest';
import type { HostId, HostInventory, SegmentGroup, SegmentId, SegmentRef } from '../api';
import { sharedSegments } from './fabric';
import { fabricGuest, fabricInventory, fabricSegment } from './fabric-fixtures';
import {
  findSegment,
  joinGroups,
  joinProblem,
  refOf,
  resolveGroups,
  splitGroups,
} from './segment-groups';

const seg = (host: string, name: string, bridge: string | null, leasedMacs?: string[]) =>
  fabricSegment(host, name, leasedMacs, bridge);
const guest = fabricGuest;
const inv = fabricInventory;
const ref = (host: string, bridge: string): SegmentRef => ({ host: host as HostId, bridge });
const id = (host: string, name: string) => `segment:${host}:network:${name}` as SegmentId;

const h1 = inv('h1', [seg('h1', 'lab', 'kcbr0'), seg('h1', 'default', 'virbr0')]);
const h2 = inv('h2', [seg('h2', 'vlan10', 'br10')]);
const h3 = inv('h3', [seg('h3', 'nobridge', null)]);

describe('segment references', () => {
  it('name a segment by host and bridge, or by the network name when it has no bridge', () => {
    expect(refOf(h1.segments[0] as HostInventory['segments'][number])).toEqual(ref('h1', 'kcbr0'));
    expect(refOf(h3.segments[0] as HostInventory['segments'][number])).toEqual(
      ref('h3', 'nobridge'),
    );
    expect(findSegment([h1, h2], ref('h1', 'virbr0'))?.id).toBe(id('h1', 'default'));
    expect(findSegment([h1, h2], ref('h1', 'lab'))?.id).toBe(id('h1', 'lab'));
    expect(findSegment([h1, h2], ref('h2', 'kcbr0'))).toBeUndefined();
    expect(findSegment([h1, h2], ref('h9', 'kcbr0'))).toBeUndefined();
  });

  it("resolve to today's ids, leaving out what no connected host has", () => {
    const groups: SegmentGroup[] = [
      { segments: [ref('h1', 'kcbr0'), ref('h2', 'br10'), ref('h9', 'x')] },
    ];
    expect(resolveGroups(groups, [h1, h2])).toEqual([[id('h1', 'lab'), id('h2', 'vlan10')]]);
    expect(resolveGroups(groups, [h1])).toEqual([[id('h1', 'lab')]]);
  });
});

describe('joining and splitting', () => {
  it('merges the groups either segment is in, each member once', () => {
    let groups = joinGroups([], ref('h1', 'kcbr0'), ref('h2', 'br10'));
    expect(groups).toEqual([{ segments: [ref('h1', 'kcbr0'), ref('h2', 'br10')] }]);
    groups = joinGroups(groups, ref('h3', 'nobridge'), ref('h2', 'br10'));
    expect(groups).toEqual([
      { segments: [ref('h1', 'kcbr0'), ref('h2', 'br10'), ref('h3', 'nobridge')] },
    ]);
    expect(joinGroups(groups, ref('h2', 'br10'), ref('h1', 'kcbr0'))).toEqual(groups);
  });

  it('splits one member out, and drops a group left with one', () => {
    const three = joinGroups(
      joinGroups([], ref('h1', 'kcbr0'), ref('h2', 'br10')),
      ref('h2', 'br10'),
      ref('h3', 'nobridge'),
    );
    const two = splitGroups(three, ref('h2', 'br10'));
    expect(two).toEqual([{ segments: [ref('h1', 'kcbr0'), ref('h3', 'nobridge')] }]);
    expect(splitGroups(two, ref('h3', 'nobridge'))).toEqual([]);
    expect(splitGroups(two, ref('h2', 'br10'))).toEqual(two);
  });

  it('joined groups feed the fabric: one segment, "joined by you"', () => {
    const groups = joinGroups([], ref('h1', 'kcbr0'), ref('h2', 'br10'));
    const shared = sharedSegments([h1, h2], resolveGroups(groups, [h1, h2]));
    expect(shared.map((s) => [s.segments, s.evidence.map((e) => e.words)])).toEqual([
      [[id('h1', 'lab'), id('h2', 'vlan10')], ['joined by you']],
    ]);
  });
});

describe('joinProblem', () => {
  it('refuses unknown segments and two segments of one host', () => {
    expect(joinProblem([h1, h2], [], id('h1', 'lab'), id('h9', 'x'))).toBe(
      'no segment segment:h9:network:x on any connected host',
    );
    expect(joinProblem([h1, h2], [], id('h1', 'lab'), id('h1', 'default'))).toBe(
      'h1:kcbr0 and h1:virbr0 are both on h1: on one host two bridges are two segments',
    );
    expect(joinProblem([h1, h2], [], id('h1', 'lab'), id('h2', 'vlan10'))).toBeNull();
  });

  it('refuses a join that would make two bridges of one host one through a lease', () => {
    // h2's guest holds a lease from h1's lab: h1:kcbr0 and h2:br10 are one segment already.
    const leased = inv('h1', [
      seg('h1', 'lab', 'kcbr0', ['52:54:00:00:02:01']),
      seg('h1', 'default', 'virbr0'),
    ]);
    const h2g = inv(
      'h2',
      [seg('h2', 'vlan10', 'br10')],
      [guest('h2', 'b1', '52:54:00:00:02:01', 'vlan10')],
    );
    expect(joinProblem([leased, h2g], [], id('h1', 'default'), id('h2', 'vlan10'))).toBe(
      'joining h1:virbr0 and h2:br10 would make h1:virbr0 and h1:kcbr0, two bridges of h1, one segment; h2:br10 is one L2 segment with h1:kcbr0 already',
    );
    // Already one segment (by the lease): saving the user's word too is fine.
    expect(joinProblem([leased, h2g], [], id('h1', 'lab'), id('h2', 'vlan10'))).toBeNull();
  });
});
