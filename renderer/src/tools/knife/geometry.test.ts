import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  borderToBorder,
  crossingDirection,
  type Point,
  pointPolylineDistance,
  rayExit,
  sampleCubic,
  sampleQuadratic,
  segmentDistance,
  segmentIntersection,
  strokeHitsPolyline,
} from './geometry';

const p = (x: number, y: number): Point => ({ x, y });

describe('segments', () => {
  it('finds the crossing of two segments and where along each it lies', () => {
    const hit = segmentIntersection(p(0, 0), p(10, 10), p(0, 10), p(10, 0));
    expect(hit).toEqual({ point: p(5, 5), t: 0.5, u: 0.5 });
  });

  it('does not cross segments that would only meet when extended, or parallel ones', () => {
    expect(segmentIntersection(p(0, 0), p(4, 4), p(0, 10), p(10, 0))).toBeNull();
    expect(segmentIntersection(p(0, 0), p(10, 0), p(0, 1), p(10, 1))).toBeNull();
    expect(segmentIntersection(p(0, 0), p(10, 0), p(5, 0), p(15, 0))).toBeNull();
  });

  it('measures the distance between segments, zero when they cross', () => {
    expect(segmentDistance(p(0, 0), p(10, 0), p(0, 3), p(10, 3))).toBe(3);
    expect(segmentDistance(p(0, 0), p(10, 0), p(12, -1), p(12, 1))).toBe(2);
    expect(segmentDistance(p(0, 0), p(10, 10), p(0, 10), p(10, 0))).toBe(0);
  });

  it('crossing is symmetric and agrees with the distance (property)', () => {
    const point = fc.record({
      x: fc.integer({ min: -100, max: 100 }),
      y: fc.integer({ min: -100, max: 100 }),
    });
    fc.assert(
      fc.property(point, point, point, point, (a, b, c, d) => {
        const one = segmentIntersection(a, b, c, d) !== null;
        const other = segmentIntersection(c, d, a, b) !== null;
        expect(one).toBe(other);
        if (one) expect(segmentDistance(a, b, c, d)).toBe(0);
      }),
    );
  });
});

describe('curves', () => {
  it('samples bezier curves from their first to their last point through the control polygon', () => {
    const q = sampleQuadratic(p(0, 0), p(50, 100), p(100, 0), 10);
    expect(q).toHaveLength(11);
    expect(q[0]).toEqual(p(0, 0));
    expect(q[10]).toEqual(p(100, 0));
    expect(q[5]).toEqual(p(50, 50));
    const c = sampleCubic(p(0, 0), p(0, 100), p(100, 100), p(100, 0), 4);
    expect(c[2]).toEqual(p(50, 75));
  });

  it('a stroke across a curved edge hits the curve, a stroke under its chord does not', () => {
    const arc = sampleQuadratic(p(0, 0), p(50, 100), p(100, 0), 16);
    expect(strokeHitsPolyline(p(50, 0), p(50, 80), arc, 0)).not.toBeNull();
    expect(strokeHitsPolyline(p(40, 5), p(60, 5), arc, 0)).toBeNull();
  });
});

describe('boxes', () => {
  const box = { x: 0, y: 0, width: 100, height: 50 };

  it('leaves a box where the ray from its centre towards a point crosses its border', () => {
    expect(rayExit(box, p(500, 25))).toEqual(p(100, 25));
    expect(rayExit(box, p(50, -500))).toEqual(p(50, 0));
    expect(rayExit(box, p(150, 75))).toEqual(p(100, 50));
  });

  it('draws links from border to border, and not at all between overlapping boxes', () => {
    const right = { x: 300, y: 0, width: 100, height: 50 };
    expect(borderToBorder(box, right)).toEqual([p(100, 25), p(300, 25)]);
    expect(borderToBorder(box, { x: 50, y: 10, width: 100, height: 50 })).toBeNull();
  });
});

describe('stroke against polyline', () => {
  const link = [p(0, 0), p(100, 0)];

  it('reports where a crossing stroke meets the link, as a fraction along it', () => {
    const hit = strokeHitsPolyline(p(25, -10), p(25, 10), link, 0);
    expect(hit).toEqual({ point: p(25, 0), index: 0, along: 0.25 });
  });

  it('counts a stroke that stops within the margin as touching, and one outside as missing', () => {
    expect(strokeHitsPolyline(p(60, -20), p(60, -5), link, 6)?.point).toEqual(p(60, 0));
    expect(strokeHitsPolyline(p(60, -20), p(60, -7), link, 6)).toBeNull();
  });

  it('knows which way the stroke went along the link', () => {
    expect(crossingDirection(p(40, -10), p(60, 10), link, 0)).toBe('forward');
    expect(crossingDirection(p(60, -10), p(40, 10), link, 0)).toBe('backward');
  });

  it('measures a click to the nearest point of a polyline', () => {
    expect(pointPolylineDistance(p(50, 7), [p(0, 0), p(100, 0), p(100, 100)])).toBe(7);
    expect(pointPolylineDistance(p(103, 50), [p(0, 0), p(100, 0), p(100, 100)])).toBe(3);
  });
});
