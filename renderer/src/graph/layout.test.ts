import { describe, expect, it } from 'vitest';
import type { GuestInterface } from '../../../shared/api';
import { LAB_SEGMENT, labGuest, labHost, labInventory } from '../../../shared/api/fixtures';
import { center, type Rect } from '../tools/knife/geometry';
import { GUEST_WIDTH, guestSize, layoutGraph, mergePositions, ringAngles, rings } from './layout';
import { buildGraphModel } from './model';
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

  it('never overlaps two nodes, from 1 to 40 guests (rings grow, then multiply)', () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 24, 25, 40, 120]) {
      const layout = layoutGraph(buildGraphModel([labHost], { lab: labInventory(n) }));
      const ids = Object.keys(layout.positions);
      for (let i = 0; i < ids.length; i++) {
        for (let j = i + 1; j < ids.length; j++) {
          const [a, b] = [ids[i] as string, ids[j] as string];
          expect(overlaps(rectOf(layout, a), rectOf(layout, b)), `${n}: ${a} / ${b}`).toBe(false);
        }
      }
    }
  });

  it('puts a second host to the right of the first, without overlap', () => {
    const other = { ...labHost, id: 'other' as never, label: 'other' };
    const layout = layoutGraph(buildGraphModel([labHost, other], { lab: labInventory(4) }));
    const lab = rectOf(layout, 'host:lab');
    const second = rectOf(layout, 'host:other');
    const rightmost = Math.max(
      ...[1, 2, 3, 4].map((n) => rectOf(layout, labGuest(n).id)).map((r) => r.x + r.width),
    );
    expect(second.x).toBeGreaterThan(rightmost);
    expect(second.y).toBe(lab.y);
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
