import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundingBox, type Point, strokeHitsPolyline } from './geometry';
import { SegmentGrid } from './spatial';

const p = (x: number, y: number): Point => ({ x, y });

describe('segment grid', () => {
  it('finds a long diagonal line from any cell it crosses, and nothing far from it', () => {
    const grid = new SegmentGrid([[p(0, 0), p(1000, 700)]], 50);
    const on = (x: number) => p(x, x * 0.7);
    for (const x of [0, 123, 500, 999]) {
      const at = on(x);
      expect(grid.near({ minX: at.x, minY: at.y, maxX: at.x, maxY: at.y }, 1)).toEqual([0]);
    }
    expect(grid.near({ minX: 900, minY: 0, maxX: 950, maxY: 40 }, 1)).toEqual([]);
    // A line crosses about (1000 + 700) / 50 cells, not the (1000 / 50) x (700 / 50) of its box.
    expect(grid.size).toBeLessThan(40);
  });

  it('returns each target once however many of its cells a box covers', () => {
    const grid = new SegmentGrid(
      [
        [p(0, 0), p(500, 0), p(500, 500)],
        [p(10, 10), p(20, 20)],
      ],
      25,
    );
    expect(grid.near({ minX: -10, minY: -10, maxX: 600, maxY: 600 }, 0).sort()).toEqual([0, 1]);
  });

  it('never misses a target the brute-force hit test would mark (property)', () => {
    const coord = fc.integer({ min: -2000, max: 2000 });
    const point = fc.record({ x: coord, y: coord });
    const polyline = fc.array(point, { minLength: 2, maxLength: 5 });
    fc.assert(
      fc.property(
        fc.array(polyline, { minLength: 1, maxLength: 30 }),
        point,
        point,
        fc.integer({ min: 5, max: 400 }),
        fc.integer({ min: 0, max: 30 }),
        (lines, a, b, cell, margin) => {
          const grid = new SegmentGrid(lines, cell);
          const near = new Set(grid.near(boundingBox([a, b]), margin));
          lines.forEach((line, i) => {
            if (strokeHitsPolyline(a, b, line, margin)) expect(near.has(i)).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
