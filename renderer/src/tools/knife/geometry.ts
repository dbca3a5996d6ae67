// Pure plane geometry for the knife, in flow coordinates. Edge paths are sampled into polylines
// once per stroke; each pointer move then only tests the stroke's newest segment against them.

export type Point = { readonly x: number; readonly y: number };
export type Rect = {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
};
export type Box = {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
};

const EPSILON = 1e-9;

export function center(rect: Rect): Point {
  return { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
}

/** Where the ray from the rectangle's centre towards `toward` leaves the rectangle. */
export function rayExit(rect: Rect, toward: Point): Point {
  const c = center(rect);
  const dx = toward.x - c.x;
  const dy = toward.y - c.y;
  if (Math.abs(dx) < EPSILON && Math.abs(dy) < EPSILON) return c;
  const sx = Math.abs(dx) < EPSILON ? Number.POSITIVE_INFINITY : rect.width / 2 / Math.abs(dx);
  const sy = Math.abs(dy) < EPSILON ? Number.POSITIVE_INFINITY : rect.height / 2 / Math.abs(dy);
  const s = Math.min(sx, sy);
  return { x: c.x + dx * s, y: c.y + dy * s };
}

/**
 * The visible part of the straight line between two boxes' centres: from the border of one to
 * the border of the other (so a stroke across a node does not cut every link under it). Null
 * when the boxes overlap and nothing of the line is visible.
 */
export function borderToBorder(a: Rect, b: Rect): [Point, Point] | null {
  const ca = center(a);
  const cb = center(b);
  const from = rayExit(a, cb);
  const to = rayExit(b, ca);
  const along = (p: Point) => (p.x - ca.x) * (cb.x - ca.x) + (p.y - ca.y) * (cb.y - ca.y);
  return along(from) < along(to) ? [from, to] : null;
}

export function sampleQuadratic(p0: Point, c: Point, p1: Point, steps: number): Point[] {
  const points: Point[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const u = 1 - t;
    points.push({
      x: u * u * p0.x + 2 * u * t * c.x + t * t * p1.x,
      y: u * u * p0.y + 2 * u * t * c.y + t * t * p1.y,
    });
  }
  return points;
}

export function sampleCubic(p0: Point, c1: Point, c2: Point, p1: Point, steps: number): Point[] {
  const points: Point[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const u = 1 - t;
    const a = u * u * u;
    const b = 3 * u * u * t;
    const d = 3 * u * t * t;
    const e = t * t * t;
    points.push({
      x: a * p0.x + b * c1.x + d * c2.x + e * p1.x,
      y: a * p0.y + b * c1.y + d * c2.y + e * p1.y,
    });
  }
  return points;
}

export function boundingBox(points: readonly Point[]): Box {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x);
    maxY = Math.max(maxY, p.y);
  }
  return { minX, minY, maxX, maxY };
}

export function boxesTouch(a: Box, b: Box, margin: number): boolean {
  return (
    a.minX - margin <= b.maxX &&
    b.minX - margin <= a.maxX &&
    a.minY - margin <= b.maxY &&
    b.minY - margin <= a.maxY
  );
}

/**
 * Where segment p1-p2 crosses segment p3-p4: the point, and t and u, the fractions along each.
 * Collinear overlaps count as touching (distance 0), not as crossings.
 */
export function segmentIntersection(
  p1: Point,
  p2: Point,
  p3: Point,
  p4: Point,
): { point: Point; t: number; u: number } | null {
  const rx = p2.x - p1.x;
  const ry = p2.y - p1.y;
  const sx = p4.x - p3.x;
  const sy = p4.y - p3.y;
  const denominator = rx * sy - ry * sx;
  if (Math.abs(denominator) < EPSILON) return null;
  const qx = p3.x - p1.x;
  const qy = p3.y - p1.y;
  const t = (qx * sy - qy * sx) / denominator;
  const u = (qx * ry - qy * rx) / denominator;
  if (t < -EPSILON || t > 1 + EPSILON || u < -EPSILON || u > 1 + EPSILON) return null;
  return { point: { x: p1.x + t * rx, y: p1.y + t * ry }, t, u };
}

export function pointSegmentDistance(p: Point, a: Point, b: Point): number {
  const closest = closestOnSegment(p, a, b).point;
  return Math.hypot(p.x - closest.x, p.y - closest.y);
}

export function segmentDistance(p1: Point, p2: Point, p3: Point, p4: Point): number {
  if (segmentIntersection(p1, p2, p3, p4)) return 0;
  return Math.min(
    pointSegmentDistance(p1, p3, p4),
    pointSegmentDistance(p2, p3, p4),
    pointSegmentDistance(p3, p1, p2),
    pointSegmentDistance(p4, p1, p2),
  );
}

export type PolylineHit = {
  /** Where the stroke segment meets the polyline (or the closest polyline point on a touch). */
  point: Point;
  /** Index of the polyline segment that was hit. */
  index: number;
  /** Fraction of the way along the whole polyline, 0 at its first point. */
  along: number;
};

/**
 * Whether stroke segment a-b crosses the polyline, or passes within `margin` of it (a stroke
 * that ends on a link still cuts it). The margin is in flow units: callers divide their screen
 * margin by the zoom.
 */
export function strokeHitsPolyline(
  a: Point,
  b: Point,
  polyline: readonly Point[],
  margin: number,
): PolylineHit | null {
  const lengths = segmentLengths(polyline);
  const total = lengths.reduce((sum, l) => sum + l, 0) || 1;
  let before = 0;
  let touch: PolylineHit | null = null;
  for (let i = 0; i + 1 < polyline.length; i++) {
    const p = polyline[i] as Point;
    const q = polyline[i + 1] as Point;
    const length = lengths[i] as number;
    const crossing = segmentIntersection(a, b, p, q);
    if (crossing)
      return { point: crossing.point, index: i, along: (before + crossing.u * length) / total };
    if (touch === null && margin > 0 && segmentDistance(a, b, p, q) <= margin) {
      const closest = closestOnSegment(b, p, q);
      touch = { point: closest.point, index: i, along: (before + closest.t * length) / total };
    }
    before += length;
  }
  return touch;
}

/** Distance from a point to a polyline (click hit-testing). */
export function pointPolylineDistance(p: Point, polyline: readonly Point[]): number {
  if (polyline.length === 1)
    return Math.hypot(p.x - (polyline[0] as Point).x, p.y - (polyline[0] as Point).y);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < polyline.length; i++) {
    best = Math.min(best, pointSegmentDistance(p, polyline[i] as Point, polyline[i + 1] as Point));
  }
  return best;
}

/**
 * Which way a stroke crosses a polyline: 'forward' when the stroke moves from the polyline's
 * first point towards its last (its projection on the hit segment is positive).
 */
export function crossingDirection(
  a: Point,
  b: Point,
  polyline: readonly Point[],
  index: number,
): 'forward' | 'backward' {
  const p = polyline[index] as Point;
  const q = polyline[index + 1] ?? p;
  const dot = (b.x - a.x) * (q.x - p.x) + (b.y - a.y) * (q.y - p.y);
  return dot >= 0 ? 'forward' : 'backward';
}

function segmentLengths(polyline: readonly Point[]): number[] {
  const lengths: number[] = [];
  for (let i = 0; i + 1 < polyline.length; i++) {
    const p = polyline[i] as Point;
    const q = polyline[i + 1] as Point;
    lengths.push(Math.hypot(q.x - p.x, q.y - p.y));
  }
  return lengths;
}

function closestOnSegment(p: Point, a: Point, b: Point): { point: Point; t: number } {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const lengthSquared = dx * dx + dy * dy;
  const t =
    lengthSquared < EPSILON
      ? 0
      : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSquared));
  return { point: { x: a.x + t * dx, y: a.y + t * dy }, t };
}
