import type { Box, Point } from './geometry';

// A uniform grid over the knife's targets, built once per stroke at pointer-down: each cell
// lists the targets whose polyline passes through it. A pointer move then tests only the
// targets in the cells under its newest stroke segment, not every link on the canvas.

export class SegmentGrid {
  private readonly cells = new Map<number, number[]>();
  /** Per target, the query that last returned it: dedupes without allocating a Set per move. */
  private readonly stamp: Int32Array;
  private query = 0;

  /**
   * @param polylines one per target, in flow coordinates
   * @param cell the side of a cell, in flow units (a few dozen screen pixels suits a stroke)
   */
  constructor(
    polylines: readonly (readonly Point[])[],
    private readonly cell: number,
  ) {
    this.stamp = new Int32Array(polylines.length);
    polylines.forEach((points, target) => {
      for (let i = 0; i + 1 < points.length; i++)
        this.walk(points[i] as Point, points[i + 1] as Point, target);
      if (points.length === 1) this.add(this.key(points[0] as Point), target);
    });
  }

  /** Targets with a piece in a cell that the box, grown by `margin`, touches; each once. */
  near(box: Box, margin: number): number[] {
    const out: number[] = [];
    const stamp = ++this.query;
    const [x0, y0] = [this.index(box.minX - margin), this.index(box.minY - margin)];
    const [x1, y1] = [this.index(box.maxX + margin), this.index(box.maxY + margin)];
    for (let x = x0; x <= x1; x++) {
      for (let y = y0; y <= y1; y++) {
        for (const target of this.cells.get(pack(x, y)) ?? []) {
          if (this.stamp[target] === stamp) continue;
          this.stamp[target] = stamp;
          out.push(target);
        }
      }
    }
    return out;
  }

  get size(): number {
    return this.cells.size;
  }

  private index(v: number): number {
    return Math.floor(v / this.cell);
  }

  private key(p: Point): number {
    return pack(this.index(p.x), this.index(p.y));
  }

  private add(key: number, target: number) {
    const list = this.cells.get(key);
    if (!list) this.cells.set(key, [target]);
    else if (list[list.length - 1] !== target) list.push(target);
  }

  /** Every cell the segment a-b passes through (Amanatides and Woo's grid traversal). */
  private walk(a: Point, b: Point, target: number) {
    let [x, y] = [this.index(a.x), this.index(a.y)];
    const [xEnd, yEnd] = [this.index(b.x), this.index(b.y)];
    const [dx, dy] = [b.x - a.x, b.y - a.y];
    const stepX = Math.sign(dx);
    const stepY = Math.sign(dy);
    const next = (v: number, step: number) => (step > 0 ? (v + 1) * this.cell : v * this.cell);
    let tMaxX = dx === 0 ? Number.POSITIVE_INFINITY : (next(x, stepX) - a.x) / dx;
    let tMaxY = dy === 0 ? Number.POSITIVE_INFINITY : (next(y, stepY) - a.y) / dy;
    const tDeltaX = dx === 0 ? Number.POSITIVE_INFINITY : Math.abs(this.cell / dx);
    const tDeltaY = dy === 0 ? Number.POSITIVE_INFINITY : Math.abs(this.cell / dy);
    this.add(pack(x, y), target);
    // Bounded by the cells between the ends, whatever rounding does.
    for (let n = Math.abs(xEnd - x) + Math.abs(yEnd - y); n > 0; n--) {
      if (tMaxX < tMaxY) {
        x += stepX;
        tMaxX += tDeltaX;
      } else {
        y += stepY;
        tMaxY += tDeltaY;
      }
      this.add(pack(x, y), target);
    }
  }
}

/** Two cell indexes in one number (exact for |index| < 2^25, far beyond any canvas). */
function pack(x: number, y: number): number {
  return (x + 33_554_432) * 67_108_864 + (y + 33_554_432);
}
