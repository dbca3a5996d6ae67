import type { Guest, HostId } from '../../../shared/api';
import type { GraphModel, SegmentModel } from './model';

// Where nodes go. Each host is a group (a React Flow parent node) holding its segments' clusters
// in a grid; the hosts themselves sit in a grid, so any number of hosts and thousands of guests
// stay a compact block that fits a screen. A cluster is a segment's guests on rings around its
// bridge (concentric rings when one would get too wide). A segment that spans hosts is drawn
// once, in a band above the hosts, and each host keeps its own guests of it in a cluster.
// A collapsed host is one card. Pure and deterministic: the same model and the same collapsed
// set always give the same positions, so a refresh never moves anything; the user's drags are
// laid over the result (mergePositions).

export type XY = { x: number; y: number };
export type Size = { width: number; height: number };

/** A host group's header: name, counts, collapse. */
export const HOST_HEADER = 72;
/** A collapsed host: one card with its counts. */
export const HOST_CARD: Size = { width: 360, height: 132 };
/** @deprecated the host is a group now; kept for callers that size a bare host card. */
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
/** Inside a host group, around and between its clusters. */
const GROUP_PADDING = 48;
const CLUSTER_GAP = 80;
const HOST_GAP = 120;
const LOOSE_GAP = 40;

/**
 * The width a host's frame needs for its label's first line (collapse button, icon, name, zoom
 * button; graph.css), so that the name is never cut. The label is drawn at least 17 px on screen
 * (projector) whatever the zoom, so in flow units it grows as the view zooms out: the frame is
 * sized for zoom 0.4, about where a few hosts fit a 1280x720 window. Bold type is taken at 0.75
 * em a character, wider than most names need.
 */
export function hostLabelWidth(label: string): number {
  const em = 17 / 0.4;
  return Math.ceil(em * (4.8 + 1.1 * 0.75 * label.length));
}

/** A guest card's size, from what it shows: a header and two lines per interface. */
export function guestSize(guest: Guest): Size {
  const rows = Math.max(1, guest.interfaces.length);
  return { width: GUEST_WIDTH, height: GUEST_HEADER + rows * GUEST_INTERFACE + GUEST_PADDING };
}

export type Layout = {
  /** Top-left corner of every node in flow coordinates (absolute, whatever its parent). */
  positions: Record<string, XY>;
  sizes: Record<string, Size>;
  /** A node's group: the host node that holds it. Nodes of a collapsed host are absent. */
  parents: Record<string, string>;
  /** Hosts drawn as one card. */
  collapsed: ReadonlySet<string>;
};

export type LayoutOptions = { collapsed?: ReadonlySet<HostId | string> };

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

/** A block of nodes laid out around (0, 0), moved into place later. */
type Block = { width: number; height: number; place(at: XY, out: Layout, parent: string): void };

/** A segment's guests of one host on rings around `anchor`; the bridge sits there when `bridge`. */
function clusterBlock(
  segment: SegmentModel,
  members: readonly { id: string; guest: Guest }[],
  bridge: boolean,
): Block {
  const tallest = Math.max(0, ...members.map((g) => guestSize(g.guest).height));
  const placed = rings(members.length, tallest);
  const outer = placed[placed.length - 1] ?? { rx: 0, ry: 0 };
  const halfWidth = Math.max(outer.rx + GUEST_WIDTH / 2, bridge ? SEGMENT_SIZE.width / 2 : 0);
  const halfHeight = Math.max(outer.ry + tallest / 2, bridge ? SEGMENT_SIZE.height / 2 : 0);
  return {
    width: 2 * halfWidth,
    height: 2 * halfHeight,
    place(at, out, parent) {
      const centre = { x: at.x + halfWidth, y: at.y + halfHeight };
      if (bridge) {
        out.positions[segment.id] = {
          x: centre.x - SEGMENT_SIZE.width / 2,
          y: centre.y - SEGMENT_SIZE.height / 2,
        };
        out.sizes[segment.id] = SEGMENT_SIZE;
        out.parents[segment.id] = parent;
      }
      let index = 0;
      for (const ring of placed) {
        for (const angle of ringAngles(ring.count)) {
          const guest = members[index++];
          if (!guest) break;
          const size = guestSize(guest.guest);
          out.positions[guest.id] = {
            x: Math.round(centre.x + Math.cos(angle) * ring.rx - size.width / 2),
            y: Math.round(centre.y + Math.sin(angle) * ring.ry - size.height / 2),
          };
          out.sizes[guest.id] = size;
          out.parents[guest.id] = parent;
        }
      }
    },
  };
}

/** Bridges with no guest on them, side by side. */
function bridgeRow(segments: readonly SegmentModel[]): Block {
  const gap = 40;
  return {
    width: segments.length * (SEGMENT_SIZE.width + gap) - gap,
    height: SEGMENT_SIZE.height,
    place(at, out, parent) {
      segments.forEach((segment, i) => {
        out.positions[segment.id] = { x: at.x + i * (SEGMENT_SIZE.width + gap), y: at.y };
        out.sizes[segment.id] = SEGMENT_SIZE;
        out.parents[segment.id] = parent;
      });
    },
  };
}

/** Guests on no segment: rows of cards. */
function looseBlock(members: readonly { id: string; guest: Guest }[]): Block {
  const perRow = Math.max(1, Math.ceil(Math.sqrt(members.length)));
  const tallest = Math.max(0, ...members.map((g) => guestSize(g.guest).height));
  const rows = Math.ceil(members.length / perRow);
  return {
    width: Math.min(members.length, perRow) * (GUEST_WIDTH + LOOSE_GAP) - LOOSE_GAP,
    height: rows * (tallest + LOOSE_GAP) - LOOSE_GAP,
    place(at, out, parent) {
      members.forEach((g, i) => {
        out.positions[g.id] = {
          x: at.x + (i % perRow) * (GUEST_WIDTH + LOOSE_GAP),
          y: at.y + Math.floor(i / perRow) * (tallest + LOOSE_GAP),
        };
        out.sizes[g.id] = guestSize(g.guest);
        out.parents[g.id] = parent;
      });
    },
  };
}

/** A screen's shape: the grids aim for it so that fitting the view wastes little of it. */
const SCREEN_ASPECT = 1.6;

/** The number of columns whose table comes closest to a screen's shape. */
export function bestColumns(sizes: readonly Size[], gap: number): number {
  let best = { columns: 1, miss: Number.POSITIVE_INFINITY };
  for (let columns = 1; columns <= sizes.length; columns++) {
    const { size } = gridOf(sizes, gap, columns);
    const miss = Math.abs(Math.log(size.width / Math.max(1, size.height) / SCREEN_ASPECT));
    if (miss < best.miss - 1e-9) best = { columns, miss };
  }
  return best.columns;
}

/**
 * Blocks in a table of `columns` columns: each column as wide as its widest block, each row
 * as tall as its tallest, each block in its cell's top-left corner (so headers line up).
 */
export function gridOf(
  sizes: readonly Size[],
  gap: number,
  columns = bestColumns(sizes, gap),
): { cells: XY[]; size: Size } {
  const widths: number[] = [];
  const heights: number[] = [];
  sizes.forEach((s, i) => {
    const [c, r] = [i % columns, Math.floor(i / columns)];
    widths[c] = Math.max(widths[c] ?? 0, s.width);
    heights[r] = Math.max(heights[r] ?? 0, s.height);
  });
  const xs = widths.map((_, c) => widths.slice(0, c).reduce((a, w) => a + w + gap, 0));
  const ys = heights.map((_, r) => heights.slice(0, r).reduce((a, h) => a + h + gap, 0));
  const cells = sizes.map((_, i) => ({
    x: xs[i % columns] ?? 0,
    y: ys[Math.floor(i / columns)] ?? 0,
  }));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0) + gap * Math.max(0, xs.length - 1);
  return { cells, size: { width: sum(widths), height: sum(heights) } };
}

export function layoutGraph(model: GraphModel, options: LayoutOptions = {}): Layout {
  const collapsed = new Set<string>(options.collapsed ?? []);
  const out: Layout = { positions: {}, sizes: {}, parents: {}, collapsed };
  const guests = new Map(model.guests.map((g) => [g.id as string, g]));
  const segments = new Map(model.segments.map((s) => [s.id as string, s]));
  const spanning = model.segments.filter((s) => s.hostIds.length > 1);

  // Each host's group: a grid of its clusters under its header.
  const hostBlocks = model.hosts.map((host): Block => {
    const labelWidth = hostLabelWidth(host.label);
    if (collapsed.has(host.hostId))
      return { ...HOST_CARD, width: Math.max(HOST_CARD.width, labelWidth), place: () => {} };
    const blocks: Block[] = [];
    const empty: SegmentModel[] = [];
    const mine = (id: string) => guests.get(id)?.hostId === host.hostId;
    for (const segmentId of host.segmentIds) {
      const segment = segments.get(segmentId);
      if (!segment) continue;
      const shared = segment.hostIds.length > 1;
      const ids = shared ? segment.guestIds.filter(mine) : segment.guestIds;
      const members = ids.flatMap((id) => guests.get(id) ?? []);
      // A spanning segment's bridge is drawn once, above the hosts; a host keeps its guests.
      if (!shared && members.length === 0) empty.push(segment);
      else if (!shared || members.length > 0) blocks.push(clusterBlock(segment, members, !shared));
    }
    // Segments without guests: one row of bridges first, not a cell of the grid each.
    if (empty.length) blocks.unshift(bridgeRow(empty));
    const loose = host.looseGuestIds.flatMap((id) => guests.get(id) ?? []);
    if (loose.length) blocks.push(looseBlock(loose));
    const grid = gridOf(blocks, CLUSTER_GAP);
    const width = Math.max(HOST_CARD.width, labelWidth, grid.size.width + 2 * GROUP_PADDING);
    return {
      width,
      height: HOST_HEADER + grid.size.height + 2 * GROUP_PADDING,
      place(at, layout, parent) {
        const inner = {
          x: at.x + Math.max(GROUP_PADDING, (width - grid.size.width) / 2),
          y: at.y + HOST_HEADER + GROUP_PADDING,
        };
        blocks.forEach((block, i) => {
          const cell = grid.cells[i] ?? { x: 0, y: 0 };
          block.place({ x: inner.x + cell.x, y: inner.y + cell.y }, layout, parent);
        });
      },
    };
  });

  // Segments that span hosts: a band above the hosts' grid, one bridge each.
  const band = spanning.length ? SEGMENT_SIZE.height + HOST_GAP : 0;
  const grid = gridOf(hostBlocks, HOST_GAP);
  model.hosts.forEach((host, i) => {
    const block = hostBlocks[i] as Block;
    const cell = grid.cells[i] ?? { x: 0, y: 0 };
    const at = { x: cell.x, y: band + cell.y };
    out.positions[host.id] = at;
    out.sizes[host.id] = { width: block.width, height: block.height };
    block.place(at, out, host.id);
  });
  const step = grid.size.width / Math.max(1, spanning.length);
  spanning.forEach((segment, i) => {
    out.positions[segment.id] = { x: Math.round(step * (i + 0.5) - SEGMENT_SIZE.width / 2), y: 0 };
    out.sizes[segment.id] = SEGMENT_SIZE;
  });
  return out;
}

/** A node's box in flow coordinates, from the layout. */
export function layoutRect(layout: Layout, id: string) {
  const p = layout.positions[id];
  const s = layout.sizes[id];
  return p && s ? { ...p, ...s } : null;
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
