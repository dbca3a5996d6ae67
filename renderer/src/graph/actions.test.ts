import { describe, expect, it } from 'vitest';
import { LAB_SEGMENT, labGuest, labHost, labInventory, labMac } from '../../../shared/api/fixtures';
import { cutsForMarks, partitionFor } from './actions';
import { buildGraphModel, linkId, PAIRWISE_LIMIT, spokeId } from './model';

const g = (n: number) => labGuest(n).id;
const end = (n: number) => ({ guestId: g(n), mac: labMac(n) });
const all = { kind: 'all' } as const;

describe('cuts from a knife stroke', () => {
  const model = buildGraphModel([labHost], { lab: labInventory(3) });
  const l12 = linkId(LAB_SEGMENT, g(1), g(2));
  const l13 = linkId(LAB_SEGMENT, g(1), g(3));
  const link12 = model.links.find((l) => l.id === l12);

  it('cuts every crossed link both ways by default: isolating node1 takes its two links', () => {
    const { cuts, refused } = cutsForMarks(
      model,
      [
        { id: l12, direction: 'forward' },
        { id: l13, direction: 'backward' },
      ],
      false,
      all,
    );
    expect(refused).toEqual([]);
    expect(cuts).toEqual([
      { from: end(1), to: end(2), direction: 'both', scope: all },
      { from: end(1), to: end(3), direction: 'both', scope: all },
    ]);
  });

  it('one-way follows the stroke: forward along a->b drops a->b, backward drops b->a', () => {
    const udp = { kind: 'udp' } as const;
    const forward = cutsForMarks(model, [{ id: l12, direction: 'forward' }], true, udp).cuts[0];
    const backward = cutsForMarks(model, [{ id: l12, direction: 'backward' }], true, udp).cuts[0];
    expect(forward).toEqual({ from: link12?.a, to: link12?.b, direction: 'one-way', scope: udp });
    expect(backward).toEqual({ from: link12?.b, to: link12?.a, direction: 'one-way', scope: udp });
  });

  it('refuses links it cannot cut, saying why', () => {
    const stopped = labGuest(3, { state: 'shutoff' });
    const iface = stopped.interfaces[0];
    if (iface) iface.uncuttable = { reason: 'not-running', explanation: 'not running' };
    const withStopped = buildGraphModel([labHost], {
      lab: labInventory(0, { guests: [labGuest(1), labGuest(2), stopped] }),
    });
    const { cuts, refused } = cutsForMarks(
      withStopped,
      [{ id: l13, direction: 'forward' }],
      false,
      all,
    );
    expect(cuts).toEqual([]);
    expect(refused).toEqual([{ id: l13, reason: 'lab-node3: not running' }]);
  });

  it('on a crowded segment a spoke isolates its guest from every other one', () => {
    const n = PAIRWISE_LIMIT + 2;
    const crowded = buildGraphModel([labHost], { lab: labInventory(n) });
    const spoke = spokeId(LAB_SEGMENT, g(1));
    const both = cutsForMarks(crowded, [{ id: spoke, direction: 'forward' }], false, all).cuts;
    expect(both).toHaveLength(n - 1);
    expect(both.every((c) => c.from.guestId === g(1) && c.direction === 'both')).toBe(true);
    const inbound = cutsForMarks(crowded, [{ id: spoke, direction: 'forward' }], true, all).cuts;
    expect(inbound.every((c) => c.to.guestId === g(1))).toBe(true);
    const outbound = cutsForMarks(crowded, [{ id: spoke, direction: 'backward' }], true, all).cuts;
    expect(outbound.every((c) => c.from.guestId === g(1))).toBe(true);
  });

  it('asks for each pair once even when two spokes of the same pair are crossed', () => {
    const crowded = buildGraphModel([labHost], { lab: labInventory(PAIRWISE_LIMIT + 1) });
    const marks = [1, 2].map((n) => ({
      id: spokeId(LAB_SEGMENT, g(n)),
      direction: 'forward' as const,
    }));
    const { cuts } = cutsForMarks(crowded, marks, false, all);
    const pair = cuts.filter(
      (c) => [c.from.guestId, c.to.guestId].sort().join() === [g(1), g(2)].sort().join(),
    );
    expect(pair).toHaveLength(1);
  });
});

describe('partitions from a selection', () => {
  const model = buildGraphModel([labHost], { lab: labInventory(5) });

  it('isolates the selected guests', () => {
    expect(partitionFor(model, [g(2)], 'isolate')).toEqual({
      request: { topology: 'isolate', guestIds: [g(2)] },
    });
  });

  it('uses the whole segment in ring order when one guest is selected for halves', () => {
    expect(partitionFor(model, [g(4)], 'halves')).toEqual({
      request: { topology: 'halves', guestIds: [1, 2, 3, 4, 5].map(g) },
    });
  });

  it('uses the selection, in ring order, when it is large enough', () => {
    expect(partitionFor(model, [g(5), g(1), g(3)], 'bridge')).toEqual({
      request: { topology: 'bridge', guestIds: [g(1), g(3), g(5)] },
    });
  });

  it('splits the selection from the rest of its segment', () => {
    expect(partitionFor(model, [g(2), g(3)], 'split-selection')).toEqual({
      request: {
        topology: 'groups',
        groups: [
          [g(2), g(3)],
          [g(1), g(4), g(5)],
        ],
      },
    });
    expect(partitionFor(model, [1, 2, 3, 4, 5].map(g), 'split-selection')).toHaveProperty('error');
  });

  it('says why it cannot: nothing selected, too few guests', () => {
    expect(partitionFor(model, [], 'halves')).toEqual({
      error: 'Select one or more guests first.',
    });
    const two = buildGraphModel([labHost], { lab: labInventory(2) });
    expect(partitionFor(two, [g(1)], 'majorities-ring')).toEqual({
      error: 'majorities-ring needs at least 3 guests on the segment.',
    });
  });
});
