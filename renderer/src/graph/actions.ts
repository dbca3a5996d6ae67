import type {
  CutRequest,
  CutScope,
  GuestCut,
  GuestId,
  PartitionRequest,
  Topology,
} from '../../../shared/api';

/** The knife cuts between guests only. */
type KnifeCut = GuestCut<CutRequest>;

import type { GraphModel, LinkModel, SpokeModel } from './model';

// From what the user did on the canvas (marked links, selected guests) to contract requests.
// Pure, so the mapping of a stroke's direction onto a cut's direction is tested, not trusted.

export type LinkMark = { id: string; direction: 'forward' | 'backward' };

export type Refusal = { id: string; reason: string };

/**
 * The cuts a knife stroke asks for. A link's path runs from `a` to `b`, a spoke's from the
 * bridge to its guest; a forward crossing of a one-way stroke drops traffic in that direction.
 */
export function cutsForMarks(
  model: GraphModel,
  marks: readonly LinkMark[],
  oneWay: boolean,
  scope: CutScope,
): { cuts: KnifeCut[]; refused: Refusal[] } {
  const links = new Map<string, LinkModel>(model.links.map((l) => [l.id, l]));
  const spokes = new Map<string, SpokeModel>(model.spokes.map((s) => [s.id, s]));
  const cuts: KnifeCut[] = [];
  const refused: Refusal[] = [];
  const direction = oneWay ? 'one-way' : 'both';
  for (const mark of marks) {
    const link = links.get(mark.id);
    if (link) {
      if (link.uncuttable) refused.push({ id: link.id, reason: link.uncuttable });
      else {
        const [from, to] =
          oneWay && mark.direction === 'backward' ? [link.b, link.a] : [link.a, link.b];
        cuts.push({ from, to, direction, scope });
      }
      continue;
    }
    const spoke = spokes.get(mark.id);
    if (!spoke?.isKnifeTarget) continue;
    if (spoke.uncuttable) {
      refused.push({ id: spoke.id, reason: spoke.uncuttable });
      continue;
    }
    const guest = { guestId: spoke.guestId, mac: spoke.mac };
    for (const other of model.spokes) {
      if (
        other.segmentId !== spoke.segmentId ||
        other.guestId === spoke.guestId ||
        other.uncuttable
      )
        continue;
      const peer = { guestId: other.guestId, mac: other.mac };
      // forward runs bridge -> guest: traffic into the guest; backward: out of it.
      const [from, to] = oneWay && mark.direction === 'forward' ? [peer, guest] : [guest, peer];
      cuts.push({ from, to, direction, scope });
    }
  }
  return { cuts: dedupe(cuts), refused };
}

function dedupe(cuts: KnifeCut[]): KnifeCut[] {
  const seen = new Set<string>();
  return cuts.filter((cut) => {
    const ends = [cut.from.mac, cut.to.mac];
    const key = `${cut.direction === 'both' ? ends.sort().join('|') : ends.join('>')}|${cut.direction}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Members each topology needs at least (the contract's minimums). */
export const TOPOLOGY_MINIMUM: Record<Exclude<Topology, 'groups'>, number> = {
  isolate: 1,
  halves: 2,
  'majority-minority': 2,
  'majorities-ring': 3,
  bridge: 3,
};

export type PartitionChoice = Exclude<Topology, 'groups'> | 'split-selection';

/**
 * A partition from the selection. Isolate takes the selected guests; the other topologies take
 * the selection when it is large enough, else every guest on the selected guests' segment, in
 * ring order (so halves are two arcs of the ring). split-selection: the selection against the
 * rest of its segment.
 */
export function partitionFor(
  model: GraphModel,
  selected: readonly GuestId[],
  choice: PartitionChoice,
): { request: PartitionRequest } | { error: string } {
  if (selected.length === 0) return { error: 'Select one or more guests first.' };
  const guests = new Map(model.guests.map((g) => [g.id as string, g]));
  const first = guests.get(selected[0] as string);
  const segment = model.segments.find((s) => s.id === first?.segmentId);
  if (!segment) return { error: 'The selected guest is on no segment that can be cut.' };
  // A partition is cut on one L2 segment, which may span hosts (joined by a lease or by the
  // user): guests of several hosts on it are one partition, guests off it cannot be cut from it.
  const ringOrder = segment.memberIds;
  const off = selected.filter((id) => !ringOrder.includes(id));
  if (off.length > 0) {
    const names = off.map((id) => guests.get(id)?.guest.name ?? id).join(', ');
    return {
      error: `${names} ${off.length === 1 ? 'is' : 'are'} not on ${segment.segment.name}: a partition takes guests of one L2 segment.`,
    };
  }
  const selection = ringOrder.filter((id) => selected.includes(id));

  if (choice === 'isolate') return { request: { topology: 'isolate', guestIds: selection } };
  if (choice === 'split-selection') {
    const rest = ringOrder.filter((id) => !selected.includes(id));
    if (rest.length === 0)
      return { error: 'Every guest of the segment is selected: nothing to split from.' };
    return { request: { topology: 'groups', groups: [selection, rest] } };
  }
  const minimum = TOPOLOGY_MINIMUM[choice];
  const members = selection.length >= Math.max(minimum, 2) ? selection : ringOrder;
  if (members.length < minimum) {
    return { error: `${choice} needs at least ${minimum} guests on the segment.` };
  }
  switch (choice) {
    case 'halves':
    case 'majority-minority':
    case 'majorities-ring':
    case 'bridge':
      return { request: { topology: choice, guestIds: members } };
  }
}
