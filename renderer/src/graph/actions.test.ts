import { describe, expect, it } from 'vitest';
import { LAB_SEGMENT, labGuest, labHost, labInventory, labMac } from '../../../shared/api/fixtures';
import { type GuestId, HostId } from '../../../shared/api/values';
import { cutsForMarks, partitionFor } from './actions';
import { hostsOf } from './hosts.fixture';
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

describe('partitions from a selection across hosts', () => {
  // Three hosts of 3 guests; the user joined h1's and h2's bridges into one L2 segment, h3's
  // stays on its own.
  const { summaries, inventories } = hostsOf(3, 3);
  const bridge = inventories.h1?.segments[0]?.bridge as string;
  const joined = [{ segments: ['h1', 'h2'].map((h) => ({ host: HostId.parse(h), bridge })) }];
  const model = buildGraphModel(summaries, inventories, joined);
  const id = (name: string): GuestId => {
    const found = model.guests.find((x) => x.guest.name === name);
    if (!found) throw new Error(`no guest ${name} in the model`);
    return found.id;
  };

  it('isolates guests of two hosts on one joined segment, as the CLI does', () => {
    expect(partitionFor(model, [id('h2-node1'), id('h1-node3')], 'isolate')).toEqual({
      request: { topology: 'isolate', guestIds: [id('h1-node3'), id('h2-node1')] },
    });
  });

  it('takes the joined segment of both hosts for halves from one selected guest', () => {
    const outcome = partitionFor(model, [id('h2-node2')], 'halves');
    const names = ['h1-node1', 'h1-node2', 'h1-node3', 'h2-node1', 'h2-node2', 'h2-node3'];
    const members =
      'request' in outcome && 'guestIds' in outcome.request ? outcome.request.guestIds : [];
    expect([...members].sort()).toEqual(names.map(id).sort());
  });

  it('splits a selection on one host from the rest of the segment on both hosts', () => {
    const outcome = partitionFor(model, [id('h1-node1')], 'split-selection');
    const groups =
      'request' in outcome && outcome.request.topology === 'groups' ? outcome.request.groups : [];
    expect(groups[0]).toEqual([id('h1-node1')]);
    expect([...(groups[1] ?? [])].sort()).toEqual(
      ['h1-node2', 'h1-node3', 'h2-node1', 'h2-node2', 'h2-node3'].map(id).sort(),
    );
  });

  it('refuses guests off the first guest’s segment, naming them', () => {
    expect(
      partitionFor(model, [id('h1-node1'), id('h3-node1'), id('h3-node2')], 'isolate'),
    ).toEqual({
      error: 'h3-node1, h3-node2 are not on net1: a partition takes guests of one L2 segment.',
    });
  });
});
