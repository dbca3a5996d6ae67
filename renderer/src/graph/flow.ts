import type { Edge, Node } from '@xyflow/react';
import { type Layout, mergePositions, type XY } from './layout';
import type { GraphModel } from './model';

// The model as React Flow nodes and edges. Node and edge data hold only ids: components read
// what they show from the store, so a change to one guest re-renders one node, and the arrays
// change only when something is added, removed or moved. sync* keep the objects React Flow
// already has (and its measurements) whenever nothing about them changed: no flicker, no jump.

export type HostNodeData = { hostId: string };
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
  | Edge<Record<string, never>, 'uplink'>;

export function flowNodes(
  model: GraphModel,
  layout: Layout,
  dragged: Readonly<Record<string, Readonly<Record<string, XY>>>>,
): FlowNode[] {
  const positions = mergePositions(layout.positions, Object.assign({}, ...Object.values(dragged)));
  const nodes: FlowNode[] = [];
  const place = (id: string) => {
    const position = positions[id] ?? { x: 0, y: 0 };
    const size = layout.sizes[id] ?? { width: 100, height: 40 };
    return { id, position, width: size.width, height: size.height };
  };
  for (const host of model.hosts) {
    nodes.push({ ...place(host.id), type: 'host', data: { hostId: host.hostId }, draggable: true });
  }
  for (const segment of model.segments) {
    nodes.push({ ...place(segment.id), type: 'segment', data: { segmentId: segment.id } });
  }
  for (const guest of model.guests) {
    nodes.push({ ...place(guest.id), type: 'guest', data: { guestId: guest.id } });
  }
  return nodes;
}

export function flowEdges(model: GraphModel): FlowEdge[] {
  const edges: FlowEdge[] = [];
  for (const host of model.hosts) {
    for (const segmentId of host.segmentIds) {
      edges.push({
        id: `uplink|${segmentId}`,
        type: 'uplink',
        source: host.id,
        target: segmentId,
        data: {},
        selectable: false,
      });
    }
  }
  for (const spoke of model.spokes) {
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
    edges.push({
      id: link.id,
      type: 'link',
      source: link.a.guestId,
      target: link.b.guestId,
      data: { segmentId: link.segmentId },
      selectable: false,
    });
  }
  return edges;
}

const samePlace = (a: FlowNode, b: FlowNode) =>
  a.type === b.type &&
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
    if (old && old.type === edge.type && old.source === edge.source && old.target === edge.target) {
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
