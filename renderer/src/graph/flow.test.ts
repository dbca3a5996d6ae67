import { describe, expect, it } from 'vitest';
import { LAB_SEGMENT, labCut, labGuest, labHost, labInventory } from '../../../shared/api/fixtures';
import { flowEdges, flowNodes, hostOfNode, syncEdges, syncNodes } from './flow';
import { hostsOf } from './hosts.fixture';
import { layoutGraph } from './layout';
import { buildGraphModel } from './model';

const model = (inventory = labInventory(3)) => buildGraphModel([labHost], { lab: inventory });

describe('flow nodes and edges', () => {
  it('has a node per host, segment and guest, and edges for spokes and links', () => {
    const m = model();
    const nodes = flowNodes(m, layoutGraph(m), {});
    expect(nodes.map((n) => n.type)).toEqual(['host', 'segment', 'guest', 'guest', 'guest']);
    // The host is a group: its segment and guests are its children, placed relative to it.
    expect(nodes.slice(1).every((n) => n.parentId === 'host:lab')).toBe(true);
    const layout = layoutGraph(m);
    const guest = nodes[2];
    expect(guest?.position.x).toBe(
      (layout.positions[guest?.id ?? ''] as { x: number }).x -
        (layout.positions['host:lab'] as { x: number }).x,
    );
    const edges = flowEdges(m, layout);
    // Its own segment sits inside the host's group: no uplink line.
    expect(edges.filter((e) => e.type === 'uplink')).toHaveLength(0);
    expect(edges.filter((e) => e.type === 'spoke')).toHaveLength(3);
    expect(edges.filter((e) => e.type === 'link')).toHaveLength(3);
  });

  it('leaves out what a collapsed host holds; its links across hosts become one summary edge', () => {
    const { summaries, inventories } = hostsOf(2, 3);
    const m = buildGraphModel(summaries, inventories);
    const collapsed = layoutGraph(m, { collapsed: new Set(['h1']) });
    const nodes = flowNodes(m, collapsed, {});
    expect(nodes.filter((n) => n.parentId === 'host:h1')).toEqual([]);
    expect(nodes.find((n) => n.id === 'host:h1')?.data).toEqual({ hostId: 'h1', collapsed: true });
    const edges = flowEdges(m, collapsed);
    const ends = new Set(nodes.map((n) => n.id));
    expect(edges.every((e) => ends.has(e.source) && ends.has(e.target))).toBe(true);
    // A segment spanning both hosts: h1's three spokes fold into one edge to h1's card.
    const [first] = m.segments;
    const spanning = {
      ...m,
      segments: m.segments.map((s) => (s === first ? { ...s, hostIds: ['h1', 'h2'] as never } : s)),
      spokes: m.spokes.map((x) => ({ ...x, segmentId: first?.id as never })),
    };
    const layout = layoutGraph(spanning, { collapsed: new Set(['h1']) });
    const summary = flowEdges(spanning, layout).filter((e) => e.type === 'summary');
    expect(summary).toEqual([
      expect.objectContaining({ source: first?.id, target: 'host:h1', data: { count: 3 } }),
    ]);
  });

  it('lays dragged positions over the computed ones', () => {
    const m = model();
    const id = labGuest(2).id;
    const nodes = flowNodes(m, layoutGraph(m), { lab: { [id]: { x: -1, y: -2 } } });
    expect(nodes.find((n) => n.id === id)?.position).toEqual({ x: -1, y: -2 });
    expect(hostOfNode(m, id)).toBe('lab');
    expect(hostOfNode(m, LAB_SEGMENT)).toBe('lab');
  });

  it('keeps the very same arrays when a refresh changes nothing React Flow draws', () => {
    const m1 = model();
    const nodes = flowNodes(m1, layoutGraph(m1), {});
    const edges = flowEdges(m1);
    // A new inventory with a cut: node content changes, nothing moves, no link appears.
    const m2 = model(labInventory(3, { revision: 2, cuts: [labCut(1, 2)] }));
    expect(syncNodes(nodes, flowNodes(m2, layoutGraph(m2), {}))).toBe(nodes);
    expect(syncEdges(edges, flowEdges(m2))).toBe(edges);
  });

  it('carries measurements over to a moved node and keeps the untouched ones', () => {
    const m = model();
    const measured = flowNodes(m, layoutGraph(m), {}).map((n) => ({
      ...n,
      measured: { width: 1, height: 2 },
    }));
    const id = labGuest(1).id;
    const next = syncNodes(
      measured,
      flowNodes(m, layoutGraph(m), { lab: { [id]: { x: 9, y: 9 } } }),
    );
    const moved = next.find((n) => n.id === id);
    expect(moved?.position).toEqual({ x: 9, y: 9 });
    expect(moved?.measured).toEqual({ width: 1, height: 2 });
    expect(
      next.filter((n) => n.id !== id).every((n, i) => n === measured.filter((x) => x.id !== id)[i]),
    ).toBe(true);
  });

  it('adds the links of a new guest and keeps the old edge objects', () => {
    const m3 = model();
    const edges = flowEdges(m3);
    const m4 = model(labInventory(4));
    const next = syncEdges(edges, flowEdges(m4));
    expect(next).toHaveLength(edges.length + 1 + 3);
    for (const edge of edges) expect(next).toContain(edge);
  });
});
