import type { Guest } from '../../../shared/api';
import type { GraphModel } from './model';

// Where nodes go: hosts side by side, each host's segments stacked under it, the guests of a
// segment on a ring around its bridge (concentric rings when one ring would get too wide).
// Pure and deterministic: the same model always gives the same positions, so a refresh never
// moves anything; the user's drags are laid over the result (mergePositions).

export type XY = { x: number; y: number };
export type Size = { width: number; height: number };

export const HOST_SIZE: Size = { width: 280, height: 64 };
export const SEGMENT_SIZE: Size = { width: 190, height: 60 };
export const GUEST_WIDTH = 236;
const GUEST_HEADER = 44;
const GUEST_INTERFACE = 44;
const GUEST_PADDING = 12;

/** Arc length reserved per guest on a ring. */
const SLOT = GUEST_WIDTH + 56;
const MIN_RADIUS = 230;
/** One ring holds at most this many guests before a second ring starts. */
const RING_MAX = 24;
const HOST_GAP = 160;
const SEGMENT_GAP = 120;

/** A guest card's size, from what it shows: a header and two lines per interface. */
export function guestSize(guest: Guest): Size {
  const rows = Math.max(1, guest.interfaces.length);
  return { width: GUEST_WIDTH, height: GUEST_HEADER + rows * GUEST_INTERFACE + GUEST_PADDING };
}

export type Layout = {
  /** Top-left corner of every node, as React Flow positions them. */
  positions: Record<string, XY>;
  sizes: Record<string, Size>;
};

/** Radii of the rings that hold n guests, innermost first, and how many each holds. */
export function rings(n: number, guestHeight: number): Array<{ radius: number; count: number }> {
  const result: Array<{ radius: number; count: number }> = [];
  let left = n;
  let radius = Math.max(MIN_RADIUS, (Math.min(n, RING_MAX) * SLOT) / (2 * Math.PI));
  while (left > 0) {
    const capacity = Math.max(1, Math.floor((2 * Math.PI * radius) / SLOT));
    const count = result.length === 0 && n <= RING_MAX ? n : Math.min(left, capacity);
    result.push({ radius, count });
    left -= count;
    // Radially, a card can be as wide as it is (left and right of the bridge) or as tall.
    radius += Math.max(GUEST_WIDTH, guestHeight) + 50;
  }
  return result;
}

/** Angles of `count` places on a ring; rotated half a step so that no pair sits straight above
 * and below the bridge when avoidable. */
export function ringAngles(count: number): number[] {
  const step = (2 * Math.PI) / count;
  const start = -Math.PI / 2 + (count % 2 === 0 ? step / 2 : 0);
  return Array.from({ length: count }, (_, i) => start + i * step);
}

export function layoutGraph(model: GraphModel): Layout {
  const positions: Record<string, XY> = {};
  const sizes: Record<string, Size> = {};
  const guests = new Map(model.guests.map((g) => [g.id as string, g]));
  const segments = new Map(model.segments.map((s) => [s.id as string, s]));

  let hostX = 0;
  for (const host of model.hosts) {
    positions[host.id] = { x: hostX, y: 0 };
    sizes[host.id] = HOST_SIZE;
    let y = HOST_SIZE.height + SEGMENT_GAP;
    let blockWidth = HOST_SIZE.width;

    for (const segmentId of host.segmentIds) {
      const segment = segments.get(segmentId);
      if (!segment) continue;
      const members = segment.guestIds.flatMap((id) => guests.get(id) ?? []);
      const tallest = Math.max(0, ...members.map((g) => guestSize(g.guest).height));
      const placed = rings(members.length, tallest);
      const outer = placed.length ? (placed[placed.length - 1] as { radius: number }).radius : 0;
      const halfWidth = outer + GUEST_WIDTH / 2;
      const halfHeight = outer + tallest / 2;
      const centre = { x: hostX + halfWidth, y: y + halfHeight };
      positions[segment.id] = {
        x: centre.x - SEGMENT_SIZE.width / 2,
        y: centre.y - SEGMENT_SIZE.height / 2,
      };
      sizes[segment.id] = SEGMENT_SIZE;

      let index = 0;
      for (const ring of placed) {
        for (const angle of ringAngles(ring.count)) {
          const guest = members[index++];
          if (!guest) break;
          const size = guestSize(guest.guest);
          positions[guest.id] = {
            x: Math.round(centre.x + Math.cos(angle) * ring.radius - size.width / 2),
            y: Math.round(centre.y + Math.sin(angle) * ring.radius - size.height / 2),
          };
          sizes[guest.id] = size;
        }
      }
      y += 2 * halfHeight + SEGMENT_GAP;
      blockWidth = Math.max(blockWidth, 2 * halfWidth);
    }

    // Guests on no segment: a row under the segments.
    let x = hostX;
    for (const id of host.looseGuestIds) {
      const guest = guests.get(id);
      if (!guest) continue;
      const size = guestSize(guest.guest);
      positions[id] = { x, y };
      sizes[id] = size;
      x += size.width + 40;
    }
    blockWidth = Math.max(blockWidth, x - hostX);
    hostX += blockWidth + HOST_GAP;
  }
  return { positions, sizes };
}

/** The user's drags win over the computed layout, for nodes that still exist. */
export function mergePositions(
  computed: Record<string, XY>,
  dragged: Readonly<Record<string, XY>>,
): Record<string, XY> {
  const merged: Record<string, XY> = { ...computed };
  for (const [id, position] of Object.entries(dragged)) {
    if (id in merged) merged[id] = position;
  }
  return merged;
}
