// The user's saved segment groups (shared/api/segments.ts): naming a segment by host and bridge,
// finding it in today's inventories, and the edits "same L2 as" and "not joined" make. Pure:
// the engine saves and the UI draws; both resolve groups here.
import type { HostInventory, Segment, SegmentGroup, SegmentId, SegmentRef } from '../api';
import { sharedSegments } from './fabric';

/** How a saved group names this segment: its host and its Linux bridge (else its name). */
export function refOf(segment: Segment): SegmentRef {
  return { host: segment.hostId, bridge: segment.bridge ?? segment.name };
}

export function sameRef(a: SegmentRef, b: SegmentRef): boolean {
  return a.host === b.host && a.bridge === b.bridge;
}

/** `host:bridge`, as the CLI prints and takes it. */
export function refText(ref: SegmentRef): string {
  return `${ref.host}:${ref.bridge}`;
}

/** The segment a reference names in these inventories: by bridge, or by a network's name. */
export function findSegment(
  inventories: readonly HostInventory[],
  ref: SegmentRef,
): Segment | undefined {
  const segments = inventories.find((inv) => inv.hostId === ref.host)?.segments ?? [];
  return (
    segments.find((s) => s.bridge === ref.bridge) ?? segments.find((s) => s.name === ref.bridge)
  );
}

/** The groups as today's segment ids (what sharedSegments takes); members not seen are left out. */
export function resolveGroups(
  groups: readonly SegmentGroup[],
  inventories: readonly HostInventory[],
): SegmentId[][] {
  return groups.map((g) =>
    g.segments.flatMap((ref) => {
      const s = findSegment(inventories, ref);
      return s ? [s.id] : [];
    }),
  );
}

/** The groups with a and b in one: their groups merged, or a new group of the two. */
export function joinGroups(
  groups: readonly SegmentGroup[],
  a: SegmentRef,
  b: SegmentRef,
): SegmentGroup[] {
  const holds = (g: SegmentGroup) => g.segments.some((r) => sameRef(r, a) || sameRef(r, b));
  const merged: SegmentRef[] = [];
  for (const ref of [...groups.filter(holds).flatMap((g) => g.segments), a, b])
    if (!merged.some((r) => sameRef(r, ref))) merged.push(ref);
  return [...groups.filter((g) => !holds(g)), { segments: merged }];
}

/** The groups without this segment; a group left with one member goes. */
export function splitGroups(groups: readonly SegmentGroup[], ref: SegmentRef): SegmentGroup[] {
  return groups.flatMap((g) => {
    const rest = g.segments.filter((r) => !sameRef(r, ref));
    return rest.length >= 2 ? [{ segments: rest }] : [];
  });
}

/** Whether any saved group names this segment. */
export function isGroupedByUser(groups: readonly SegmentGroup[], ref: SegmentRef): boolean {
  return groups.some((g) => g.segments.some((r) => sameRef(r, ref)));
}

/**
 * Why a and b cannot be saved as one L2 segment, in a sentence; null when they can. Two segments
 * of one host are two segments (two bridges), also when the join would make them one through
 * what is joined already.
 */
export function joinProblem(
  inventories: readonly HostInventory[],
  groups: readonly SegmentGroup[],
  a: SegmentId,
  b: SegmentId,
): string | null {
  const all = inventories.flatMap((inv) => inv.segments);
  const [sa, sb] = [all.find((s) => s.id === a), all.find((s) => s.id === b)];
  const missing = sa ? (sb ? null : b) : a;
  if (missing || !sa || !sb) return `no segment ${missing} on any connected host`;
  if (sa.hostId === sb.hostId)
    return `${refText(refOf(sa))} and ${refText(refOf(sb))} are both on ${sa.hostId}: on one host two bridges are two segments`;
  const shared = sharedSegments(inventories, resolveGroups(groups, inventories));
  const spanOf = (s: Segment) => shared.find((x) => x.segments.includes(s.id));
  const [spanA, spanB] = [spanOf(sa), spanOf(sb)];
  if (spanA && spanA === spanB) return null;
  const membersOf = (s: Segment) =>
    (spanOf(s)?.segments ?? [s.id]).flatMap((id) => all.filter((x) => x.id === id));
  const [ma, mb] = [membersOf(sa), membersOf(sb)];
  const text = (x: Segment) => refText(refOf(x));
  const already = (x: Segment, members: Segment[]) =>
    members.length > 1
      ? [
          `${text(x)} is one L2 segment with ${members
            .filter((m) => m !== x)
            .map(text)
            .join(', ')} already`,
        ]
      : [];
  for (const x of ma)
    for (const y of mb)
      if (x.hostId === y.hostId)
        return [
          `joining ${text(sa)} and ${text(sb)} would make ${text(x)} and ${text(y)}, two bridges of ${x.hostId}, one segment`,
          ...already(sa, ma),
          ...already(sb, mb),
        ].join('; ');
  return null;
}
