import { describe, expect, it } from 'vitest';
import type { GuestInterface } from '../../../shared/api';
import { LAB_SEGMENT, labGuest, labHost, labInventory } from '../../../shared/api/fixtures';
import { center, type Rect } from '../tools/knife/geometry';
import { hostsOf } from './hosts.fixture';
import {
  bestColumns,
  GUEST_WIDTH,
  gridOf,
  guestSize,
  HOST_CARD,
  type Layout,
  layoutGraph,
  mergePositions,
  ringAngles,
  rings,
} from './layout';
import { buildGraphModel, type GraphModel } from './model';
import { pairLinkPath } from './paths';

function rectOf(layout: ReturnType<typeof layoutGraph>, id: string): Rect {
  const p = layout.positions[id];
  const s = layout.sizes[id];
  if (!p || !s) throw new Error(`no node ${id}`);
  return { ...p, ...s };
}

function overlaps(a: Rect, b: Rect) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** No two nodes overlap, except a group and what it holds; what a group holds is inside it. */
function expectTidy(layout: Layout, label: string, sample = Number.POSITIVE_INFINITY) {
  const ids = Object.keys(layout.positions);
  const step = Math.max(1, Math.floor(ids.length / sample));
  for (let i = 0; i < ids.length; i += step) {
    const a = ids[i] as string;
    const parent = layout.parents[a];
    if (parent) {
      const [r, p] = [rectOf(layout, a), rectOf(layout, parent)];
      expect(r.x >= p.x && r.y >= p.y, `${label}: ${a} in ${parent}`).toBe(true);
      expect(r.x + r.width <= p.x + p.width && r.y + r.height <= p.y + p.height).toBe(true);
    }
    const ra = rectOf(layout, a);
    for (let j = i + 1; j < ids.length; j++) {
      const b = ids[j] as string;
      if (layout.parents[a] === b || layout.parents[b] === a) continue;
      // expect() only on a failure: thousands of pairs.
      if (overlaps(ra, rectOf(layout, b))) expect.fail(`${label}: ${a} overlaps ${b}`);
    }
  }
}

function extent(layout: Layout) {
  const rects = Object.keys(layout.positions).map((id) => rectOf(layout, id));
  const minX = Math.min(...rects.map((r) => r.x));
  const minY = Math.min(...rects.map((r) => r.y));
  return {
    width: Math.max(...rects.map((r) => r.x + r.width)) - minX,
    height: Math.max(...rects.map((r) => r.y + r.height)) - minY,
  };
}

/** The model as it will be once the inventory joins hosts' segments: the first spans them all. */
function spanFirstSegment(model: GraphModel): GraphModel {
  const [first, ...rest] = model.segments;
  if (!first) return model;
  const others = rest.map((s) => s.id);
  const members = model.guests.filter(
    (g) => g.segmentId === first.id || others.includes(g.segmentId as never),
  );
  const shared = {
    ...first,
    hostIds: model.hosts.map((h) => h.hostId),
    guestIds: members.map((g) => g.id),
    memberIds: members.map((g) => g.id),
  };
  return {
    ...model,
    hosts: model.hosts.map((h) => ({ ...h, segmentIds: [first.id] })),
    segments: [shared],
    guests: model.guests.map((g) => ({ ...g, segmentId: first.id })),
  };
}

describe('layout', () => {
  it('puts the guests of a segment on an ellipse centred on its bridge, wider than tall', () => {
    const layout = layoutGraph(buildGraphModel([labHost], { lab: labInventory(6) }));
    const bridge = center(rectOf(layout, LAB_SEGMENT));
    const offsets = [1, 2, 3, 4, 5, 6].map((n) => {
      const c = center(rectOf(layout, labGuest(n).id));
      return { x: c.x - bridge.x, y: c.y - bridge.y };
    });
    const rx = Math.max(...offsets.map((o) => Math.abs(o.x)));
    const ry = Math.max(...offsets.map((o) => Math.abs(o.y)));
    expect(rx).toBeGreaterThan(ry);
    for (const o of offsets)
      expect(Math.abs((o.x / rx) ** 2 + (o.y / ry) ** 2 - 1)).toBeLessThan(0.35);
    // Centred: opposite guests balance out.
    expect(Math.abs(offsets.reduce((sum, o) => sum + o.x, 0))).toBeLessThan(2);
  });

  it('is stable: the same inventory read again gives the same positions', () => {
    const first = layoutGraph(buildGraphModel([labHost], { lab: labInventory(7) }));
    const shuffled = labInventory(7);
    shuffled.guests.reverse();
    const again = layoutGraph(buildGraphModel([labHost], { lab: { ...shuffled, revision: 9 } }));
    expect(again).toEqual(first);
  });

  it('never overlaps two nodes, from 1 to 120 guests (rings grow, then multiply)', () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 24, 25, 40, 120]) {
      const layout = layoutGraph(buildGraphModel([labHost], { lab: labInventory(n) }));
      expectTidy(layout, `${n}`);
    }
  });

  it('puts a second host to the right of the first, tops aligned, without overlap', () => {
    const other = { ...labHost, id: 'other' as never, label: 'other' };
    const layout = layoutGraph(buildGraphModel([labHost, other], { lab: labInventory(4) }));
    const lab = rectOf(layout, 'host:lab');
    const second = rectOf(layout, 'host:other');
    const rightmost = Math.max(
      ...[1, 2, 3, 4].map((n) => rectOf(layout, labGuest(n).id)).map((r) => r.x + r.width),
    );
    expect(second.x).toBeGreaterThan(rightmost);
    expect(second.y).toBe(lab.y);
    expectTidy(layout, '2 hosts');
  });

  it('groups each host: its segments and guests inside its box, hosts in a grid', () => {
    const { summaries, inventories } = hostsOf(4, 10, 2);
    const model = buildGraphModel(summaries, inventories);
    const layout = layoutGraph(model);
    expectTidy(layout, '4 hosts');
    for (const guest of model.guests) expect(layout.parents[guest.id]).toBe(`host:${guest.hostId}`);
    for (const segment of model.segments)
      expect(layout.parents[segment.id]).toBe(`host:${segment.hostId}`);
    // Four hosts: a table, neither a row nor a column of four.
    const tops = new Set(model.hosts.map((h) => rectOf(layout, h.id).y));
    const lefts = new Set(model.hosts.map((h) => rectOf(layout, h.id).x));
    expect(tops.size).toBeGreaterThan(1);
    expect(lefts.size).toBeGreaterThan(1);
  });

  it('keeps 3 hosts x 8 guests within a screen-shaped block (1600x1000 fits it at zoom 0.5+)', () => {
    const { summaries, inventories } = hostsOf(3, 8);
    const bounds = extent(layoutGraph(buildGraphModel(summaries, inventories)));
    const zoom = Math.min(1600 / bounds.width, (1000 - 150) / bounds.height);
    expect(zoom).toBeGreaterThan(0.5);
    expect(zoom).toBeLessThan(1.2);
  });

  it('lays out 2000 guests on 4 hosts and 2 segments each as a grid of groups', () => {
    const { summaries, inventories } = hostsOf(4, 500, 2);
    const model = buildGraphModel(summaries, inventories);
    const layout = layoutGraph(model);
    expect(model.guests.every((g) => layout.positions[g.id] !== undefined)).toBe(true);
    const bounds = extent(layout);
    // Roughly square (a screen is 1.6:1): neither a row nor a column of hosts.
    expect(bounds.width / bounds.height).toBeGreaterThan(0.6);
    expect(bounds.width / bounds.height).toBeLessThan(2.5);
    expectTidy(layout, '2000', 200);
  });

  it('draws a collapsed host as one card, without its segments and guests', () => {
    const { summaries, inventories } = hostsOf(2, 6);
    const model = buildGraphModel(summaries, inventories);
    const layout = layoutGraph(model, { collapsed: new Set(['h1']) });
    expect(layout.sizes['host:h1']).toEqual(HOST_CARD);
    const h1 = model.guests.filter((g) => g.hostId === 'h1');
    expect(h1.some((g) => g.id in layout.positions)).toBe(false);
    expect(
      model.guests.filter((g) => g.hostId === 'h2').every((g) => g.id in layout.positions),
    ).toBe(true);
    expectTidy(layout, 'collapsed');
  });

  it('draws a segment that spans hosts once, above the hosts, with each host keeping its guests', () => {
    const { summaries, inventories } = hostsOf(2, 4);
    const model = spanFirstSegment(buildGraphModel(summaries, inventories));
    const shared = model.segments[0] as GraphModel['segments'][number];
    const layout = layoutGraph(model);
    expect(layout.parents[shared.id]).toBeUndefined();
    const bridge = rectOf(layout, shared.id);
    for (const host of model.hosts)
      expect(rectOf(layout, host.id).y).toBeGreaterThan(bridge.y + bridge.height);
    for (const id of shared.memberIds)
      expect(layout.parents[id]).toBe(`host:${model.guests.find((g) => g.id === id)?.hostId}`);
    expectTidy(layout, 'spanning');
  });

  it('puts blocks in a table: columns as wide as their widest, rows as tall as their tallest', () => {
    const grid = gridOf(
      [
        { width: 100, height: 50 },
        { width: 30, height: 80 },
        { width: 60, height: 10 },
      ],
      10,
      2,
    );
    expect(grid.cells).toEqual([
      { x: 0, y: 0 },
      { x: 110, y: 0 },
      { x: 0, y: 90 },
    ]);
    expect(grid.size).toEqual({ width: 140, height: 100 });
    // Left to choose, it picks the table closest to a screen's shape (1.6 : 1).
    const square = { width: 100, height: 100 };
    expect(bestColumns([square, square], 0)).toBe(2);
    const wide = { width: 400, height: 100 };
    expect(bestColumns([wide, wide, wide, wide], 0)).toBe(1);
  });

  it('fills rings to their capacity and rotates even rings off the vertical axis', () => {
    const placed = rings(500, 100);
    expect(placed.reduce((sum, r) => sum + r.count, 0)).toBe(500);
    for (let i = 1; i < placed.length; i++) {
      expect(placed[i]?.rx).toBeGreaterThan(placed[i - 1]?.rx ?? 0);
      expect(placed[i]?.ry).toBeGreaterThan(placed[i - 1]?.ry ?? 0);
    }
    expect(ringAngles(2).map((a) => Math.round(Math.sin(a) * 1000) / 1000)).toEqual([0, 0]);
  });

  it('sizes guest cards from their interfaces, and keeps user drags for nodes that exist', () => {
    expect(guestSize(labGuest(1)).width).toBe(GUEST_WIDTH);
    const two = labGuest(1);
    two.interfaces.push({ ...(two.interfaces[0] as GuestInterface), mac: '52:54:00:00:01:11' });
    expect(guestSize(two).height).toBeGreaterThan(guestSize(labGuest(1)).height);
    const merged = mergePositions(
      { a: { x: 0, y: 0 }, b: { x: 1, y: 1 } },
      { a: { x: 5, y: 5 }, gone: { x: 9, y: 9 } },
    );
    expect(merged).toEqual({ a: { x: 5, y: 5 }, b: { x: 1, y: 1 } });
  });
});

describe('link paths', () => {
  const box = (x: number, y: number): Rect => ({ x, y, width: 100, height: 60 });

  it('draws a straight link between guests whose middle is far from the bridge', () => {
    const path = pairLinkPath(box(0, 0), box(400, 0), { x: 250, y: 300 });
    expect(path.from).toEqual({ x: 100, y: 30 });
    expect(path.to).toEqual({ x: 400, y: 30 });
    expect(path.middle).toEqual({ x: 250, y: 30 });
  });

  it('bows a link that would pass over its bridge, so its middle stays visible', () => {
    const bridge = { x: 250, y: 30 };
    const path = pairLinkPath(box(0, 0), box(400, 0), bridge);
    expect(Math.hypot(path.middle.x - bridge.x, path.middle.y - bridge.y)).toBeGreaterThanOrEqual(
      95,
    );
  });
});
