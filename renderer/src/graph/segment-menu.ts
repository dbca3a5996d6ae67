// What a segment's menu and tooltip offer: "Same L2 as…" (other hosts' segments it is not one
// with yet), "Not joined" (the parts the user joined), and why its parts are one segment, in
// words. Pure: the model and the saved groups in, plain data out.
import type { SegmentGroup, SegmentId } from '../../../shared/api';
import { isGroupedByUser, refOf, refText } from '../../../shared/inventory/segment-groups';
import type { GraphModel, SegmentModel } from './model';

export type SegmentChoice = { id: SegmentId; label: string };

export type SegmentMenu = {
  /** Segments of other hosts, each once. */
  joinTargets: SegmentChoice[];
  /** Parts of this segment that are in one of the user's groups. */
  splits: SegmentChoice[];
};

export function segmentMenu(
  segment: SegmentModel,
  model: GraphModel,
  groups: readonly SegmentGroup[],
): SegmentMenu {
  const labelOf = new Map(model.hosts.map((h) => [h.hostId as string, h.label]));
  const here = new Set<string>(segment.hostIds);
  const choice = (part: SegmentModel['parts'][number]): SegmentChoice => {
    const bridge = part.bridge && part.bridge !== part.name ? ` (${part.bridge})` : '';
    return {
      id: part.id,
      label: `${labelOf.get(part.hostId) ?? part.hostId}: ${part.name}${bridge}`,
    };
  };
  const joinTargets = model.segments
    .filter((s) => s.id !== segment.id && !s.hostIds.some((h) => here.has(h)))
    .flatMap((s) => s.parts)
    .map(choice);
  const splits = segment.parts.filter((p) => isGroupedByUser(groups, refOf(p))).map(choice);
  return { joinTargets, splits };
}

/** The segment's tooltip: what it is, and for a segment across hosts why, in the evidence's words. */
export function segmentTitle(segment: SegmentModel): string {
  const { kind, name } = segment.segment;
  const what = kind === 'network' ? `libvirt network ${name}` : `bridge ${name}`;
  if (segment.parts.length < 2) return what;
  const parts = segment.parts.map((p) => refText(refOf(p))).join(', ');
  return [
    `${what}: one L2 segment across ${parts}`,
    ...segment.evidence.map((e) => `• ${e.words}`),
  ].join('\n');
}
