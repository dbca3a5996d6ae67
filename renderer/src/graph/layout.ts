import type { Guest } from '../../../shared/api';
import type { GraphModel } from './model';

// Where nodes go: hosts side by side, each host's segments stacked under it, the guests of a
// segment on a ring around its bridge (concentric rings when one ring would get too wide).
// Pure and deterministic: the same model always gives the same positions, so a refresh never
// moves anything; the user's drags are laid over the result (mergePositions).

export type XY = { x: number; y: number };
export type Size = { width: number; height: number };

export const HOST_SIZE: Size = { width: 330, height: 64 };
export const SEGMENT_SIZE: Size = { width: 190, height: 60 };
export const GUEST_WIDTH = 264;
const GUEST_HEADER = 44;
const GUEST_INTERFACE = 44;
const GUEST_PADDING = 12;

/** Room between neighbouring cards on a ring, for a link's scissors mark. Horizontally it must
 * stay above 0.42 of a card's width so that neighbours at 45 degrees cannot overlap either. */
const GAP_X = 130;
const GAP_Y = 80;
const MIN_RX = 300;
const MIN_RY = 200;
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

export type Ring = { rx: number; ry: number; count: number };

/**
 * The rings (ellipses: cards are wider than tall, and so is a screen) that hold n guests,
 * innermost first. Neighbours at the top and bottom sit side by side and need a card's width
 * between centres, neighbours at the sides sit one above the other and need its height.
 */
export function rings(n: number, guestHeight: number): Ring[] {
  const needX = GUEST_WIDTH + GAP_X;
  const needY = guestHeight + GAP_Y;
  const fits = (count: number) => {
    const half = Math.sin(Math.PI / Math.max(count, 2));
    return { rx: needX / (2 * half), ry: needY / (2 * half) };
  };
  const result: Ring[] = [];
  const first = fits(Math.min(n, RING_MAX));
  let rx = Math.max(MIN_RX, first.rx);
  let ry = Math.max(MIN_RY, first.ry);
  let left = n;
  while (left > 0) {
    // The most guests this ellipse holds with both spacings kept.
    const capacity = Math.max(
      1,
      Math.floor(Math.PI / Math.asin(Math.min(1, Math.max(needX / (2 * rx), needY / (2 * ry))))),
    );
    const count = Math.min(
      left,
      result.length === 0 ? Math.max(capacity, Math.min(n, RING_MAX)) : capacity,
    );
    result.push({ rx, ry, count });
    left -= count;
    rx += GUEST_WIDTH + 60;
    ry += guestHeight + 60;
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
      const outer = placed[placed.length - 1] ?? { rx: 0, ry: 0 };
      const halfWidth = outer.rx + GUEST_WIDTH / 2;
      const halfHeight = outer.ry + tallest / 2;
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
            x: Math.round(centre.x + Math.cos(angle) * ring.rx - size.width / 2),
            y: Math.round(centre.y + Math.sin(angle) * ring.ry - size.height / 2),
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
