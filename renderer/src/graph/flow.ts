import type { Edge, Node } from '@xyflow/react';
import type { Rect } from '../tools/knife/geometry';
import { type Layout, mergePositions, type XY } from './layout';
import type { GraphModel } from './model';

// The model as React Flow nodes and edges. Node and edge data hold only ids: components read
// what they show from the store, so a change to one guest re-renders one node, and the arrays
// change only when something is added, removed or moved. sync* keep the objects React Flow
// already has (and its measurements) whenever nothing about them changed: no flicker, no jump.

export type HostNodeData = { hostId: string; collapsed: boolean };
export type SegmentNodeData = { segmentId: string };
export type GuestNodeData = { guestId: string };
export type LinkEdgeData = { segmentId: string };
export type SpokeEdgeData = { segmentId: string; knifeTarget: boolean };

export type FlowNode =
  | Node<HostNodeData, 'host'>
  | Node<SegmentNodeData, 'segment'>
  | Node<GuestNodeData, 'guest'>;
export type FlowEdge =
  | Edge<LinkEdgeData, 'link'>
  | Edge<SpokeEdgeData, 'spoke'>
  | Edge<Record<string, never>, 'uplink'>
  | Edge<{ count: number }, 'summary'>;

/**
 * Hosts are parent nodes: React Flow positions their segments and guests relative to them and
 * moves them together. Positions the user dragged are kept as React Flow gave them (relative to
 * the parent for a host's nodes). Nodes of a collapsed host are left out.
 */
export type Dragged = Readonly<Record<string, Readonly<Record<string, XY>>>>;

/** Positions as React Flow takes them: relative to the parent, the user's drags laid over. */
export function placedPositions(layout: Layout, dragged: Dragged): Record<string, XY> {
  const relative: Record<string, XY> = {};
  for (const [id, at] of Object.entries(layout.positions)) {
    const parent = layout.parents[id];
    const origin = parent ? layout.positions[parent] : undefined;
    relative[id] = origin ? { x: at.x - origin.x, y: at.y - origin.y } : at;
  }
  return mergePositions(relative, Object.assign({}, ...Object.values(dragged)));
}

/** A node's box in flow coordinates from the layout and the drags (for nodes drawn outside
 * React Flow, which has no measurement of them). */
export function placedRect(
  layout: Layout,
  positions: Readonly<Record<string, XY>>,
  id: string,
): Rect | null {
  const at = positions[id];
  const size = layout.sizes[id];
  if (!at || !size) return null;
  const parent = layout.parents[id];
  const origin = parent ? positions[parent] : undefined;
  return { x: at.x + (origin?.x ?? 0), y: at.y + (origin?.y ?? 0), ...size };
}

/**
 * Guests drawn by GuestBundle rather than as nodes, when zoomed out: those on segments drawn
 * with spokes (no pair links, which need React Flow's handles on both ends).
 */
export function bundledGuestIds(model: GraphModel, layout: Layout): Set<string> {
  const spokes = new Set(model.segments.filter((s) => s.mode === 'spokes').map((s) => s.id));
  const out = new Set<string>();
  for (const guest of model.guests)
    if (guest.segmentId !== null && spokes.has(guest.segmentId) && guest.id in layout.positions)
      out.add(guest.id);
  return out;
}

export function flowNodes(
  model: GraphModel,
  layout: Layout,
  dragged: Dragged,
  bundled: ReadonlySet<string> = new Set(),
): FlowNode[] {
  const positions = placedPositions(layout, dragged);
  const nodes: FlowNode[] = [];
  const place = (id: string) => {
    const position = positions[id] ?? { x: 0, y: 0 };
    const size = layout.sizes[id] ?? { width: 100, height: 40 };
    const parentId = layout.parents[id];
    return {
      id,
      position,
      width: size.width,
      height: size.height,
      ...(parentId ? { parentId } : {}),
    };
  };
  for (const host of model.hosts) {
    const collapsed = layout.collapsed.has(host.hostId);
    nodes.push({
      ...place(host.id),
      type: 'host',
      data: { hostId: host.hostId, collapsed },
      draggable: true,
      // Dragged by its header only: a press on the group's empty area pans the canvas. An open
      // group takes no pointer events itself (its header does, graph.css), or its frame, which
      // lies over the edges and their labels, would swallow clicks on links and Heal buttons.
      dragHandle: '.host__header',
      ...(collapsed ? {} : { style: { pointerEvents: 'none' as const } }),
    });
  }
  for (const segment of model.segments) {
    if (!(segment.id in layout.positions)) continue;
    nodes.push({ ...place(segment.id), type: 'segment', data: { segmentId: segment.id } });
  }
  for (const guest of model.guests) {
    if (!(guest.id in layout.positions) || bundled.has(guest.id)) continue;
    nodes.push({ ...place(guest.id), type: 'guest', data: { guestId: guest.id } });
  }
  return nodes;
}

/**
 * Edges between drawn nodes. A host's own segment sits inside its group (no uplink); a segment
 * spanning hosts gets an uplink from each host. Edges into a collapsed host become one summary
 * edge per (other end, host), labelled with how many links it stands for.
 */
export function flowEdges(model: GraphModel, layout?: Layout): FlowEdge[] {
  const edges: FlowEdge[] = [];
  const collapsed = layout?.collapsed ?? new Set<string>();
  const guestHost = new Map(model.guests.map((g) => [g.id as string, g.hostId as string]));
  const hostNode = new Map(model.hosts.map((h) => [h.hostId as string, h.id]));
  const summaries = new Map<string, { source: string; target: string; count: number }>();
  /** The node an end is drawn as: itself, or its host's card when that host is collapsed. */
  const shown = (id: string) => {
    const host = guestHost.get(id);
    return host !== undefined && collapsed.has(host) ? (hostNode.get(host) ?? null) : id;
  };
  const summarise = (source: string, target: string) => {
    const key = `${source}|${target}`;
    const s = summaries.get(key) ?? { source, target, count: 0 };
    s.count++;
    summaries.set(key, s);
  };
  for (const segment of model.segments) {
    if (segment.hostIds.length < 2) continue;
    for (const hostId of segment.hostIds) {
      const host = hostNode.get(hostId);
      if (host && !collapsed.has(hostId))
        edges.push({
          id: `uplink|${segment.id}|${hostId}`,
          type: 'uplink',
          source: host,
          target: segment.id,
          data: {},
          selectable: false,
        });
    }
  }
  const spanning = new Set(model.segments.filter((s) => s.hostIds.length > 1).map((s) => s.id));
  for (const spoke of model.spokes) {
    const target = shown(spoke.guestId);
    if (target === null) continue;
    if (target !== spoke.guestId) {
      // Only a segment drawn outside the collapsed host still has something to link to.
      if (spanning.has(spoke.segmentId)) summarise(spoke.segmentId, target);
      continue;
    }
    edges.push({
      id: spoke.id,
      type: 'spoke',
      source: spoke.segmentId,
      target: spoke.guestId,
      data: { segmentId: spoke.segmentId, knifeTarget: spoke.isKnifeTarget },
      selectable: false,
    });
  }
  for (const link of model.links) {
    const [a, b] = [shown(link.a.guestId), shown(link.b.guestId)];
    if (a === null || b === null) continue;
    if (a !== link.a.guestId || b !== link.b.guestId) {
      if (a !== b) {
        const [x, y] = [a, b].sort();
        summarise(x as string, y as string);
      }
      continue;
    }
    edges.push({
      id: link.id,
      type: 'link',
      source: link.a.guestId,
      target: link.b.guestId,
      data: { segmentId: link.segmentId },
      selectable: false,
    });
  }
  for (const [key, s] of summaries) {
    edges.push({
      id: `summary|${key}`,
      type: 'summary',
      source: s.source,
      target: s.target,
      data: { count: s.count },
      selectable: false,
    });
  }
  return edges;
}

const samePlace = (a: FlowNode, b: FlowNode) =>
  a.type === b.type &&
  a.parentId === b.parentId &&
  (a.type !== 'host' || (b.type === 'host' && a.data.collapsed === b.data.collapsed)) &&
  a.position.x === b.position.x &&
  a.position.y === b.position.y &&
  a.width === b.width &&
  a.height === b.height;

/** Next nodes, reusing previous objects where nothing changed; measurements carried over. */
export function syncNodes(previous: readonly FlowNode[], next: readonly FlowNode[]): FlowNode[] {
  const before = new Map(previous.map((n) => [n.id, n]));
  let changed = previous.length !== next.length;
  const result = next.map((node, i) => {
    const old = before.get(node.id);
    if (old && (samePlace(old, node) || old.dragging)) {
      if (previous[i] !== old) changed = true;
      return old;
    }
    changed = true;
    return old?.measured ? ({ ...node, measured: old.measured } as FlowNode) : node;
  });
  return changed ? result : (previous as FlowNode[]);
}

/** Next edges, reusing previous objects with the same id, type and ends. */
export function syncEdges(previous: readonly FlowEdge[], next: readonly FlowEdge[]): FlowEdge[] {
  const before = new Map(previous.map((e) => [e.id, e]));
  let changed = previous.length !== next.length;
  const result = next.map((edge, i) => {
    const old = before.get(edge.id);
    if (
      old &&
      old.type === edge.type &&
      old.source === edge.source &&
      old.target === edge.target &&
      (edge.type !== 'summary' || (old.data as { count: number }).count === edge.data?.count)
    ) {
      if (previous[i] !== old) changed = true;
      return old;
    }
    changed = true;
    return edge;
  });
  return changed ? result : (previous as FlowEdge[]);
}

/** The host a node belongs to, for keeping its dragged position. */
export function hostOfNode(model: GraphModel, nodeId: string): string | null {
  const host = model.hosts.find((h) => h.id === nodeId);
  if (host) return host.hostId;
  const segment = model.segments.find((s) => s.id === nodeId);
  if (segment) return segment.hostId;
  return model.guests.find((g) => g.id === nodeId)?.hostId ?? null;
}
