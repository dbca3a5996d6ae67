import {
  borderToBorder,
  center,
  type Point,
  type Rect,
  rayExit,
  sampleQuadratic,
} from '../tools/knife/geometry';

// The one definition of how a link is drawn: the edge components render it and the knife
// samples it, so what the user sees is exactly what the stroke is tested against.

/** Links whose middle comes closer than this to their bridge bow around it (so the bridge
 * never hides a link's middle, where the scissors mark sits). */
const BRIDGE_CLEARANCE = 95;
const SAMPLES = 16;

export type LinkPath = {
  from: Point;
  control: Point;
  to: Point;
  /** The curve's middle (t = 0.5): where the scissors mark and labels go. */
  middle: Point;
};

/** A quadratic curve from border to border, straight unless its middle would sit on the bridge. */
export function pairLinkPath(a: Rect, b: Rect, bridge: Point): LinkPath {
  const ca = center(a);
  const cb = center(b);
  const mid = { x: (ca.x + cb.x) / 2, y: (ca.y + cb.y) / 2 };
  const dx = cb.x - ca.x;
  const dy = cb.y - ca.y;
  const length = Math.hypot(dx, dy) || 1;
  const away = { x: mid.x - bridge.x, y: mid.y - bridge.y };
  const distance = Math.hypot(away.x, away.y);
  let control = mid;
  if (distance < BRIDGE_CLEARANCE) {
    // Push the control point away from the bridge (on the right of a->b when dead centre);
    // a quadratic's middle moves half as far as its control point.
    const normal =
      distance > 1
        ? { x: away.x / distance, y: away.y / distance }
        : { x: -dy / length, y: dx / length };
    const push = 2 * (BRIDGE_CLEARANCE - distance) + 20;
    control = { x: mid.x + normal.x * push, y: mid.y + normal.y * push };
  }
  const from = rayExit(a, control === mid ? cb : control);
  const to = rayExit(b, control === mid ? ca : control);
  const middle = {
    x: 0.25 * from.x + 0.5 * control.x + 0.25 * to.x,
    y: 0.25 * from.y + 0.5 * control.y + 0.25 * to.y,
  };
  return { from, control, to, middle };
}

/**
 * How a link's label is shifted from the link's middle (CSS translate percentages of its own
 * size): beside the link, on the side away from the bridge. Centred on the middle it lay on the
 * bridge's name, which grows out of the bridge when zoomed out. It moves along one axis only,
 * the one the link's normal mostly points along, and stays centred on the other: pushed into a
 * corner it reached the card at the link's nearer end.
 */
export function labelShift(path: LinkPath, bridge: Point): { x: string; y: string } {
  // At t = 0.5 a quadratic runs along to - from; the normal on the side away from the bridge.
  let normal = { x: path.from.y - path.to.y, y: path.to.x - path.from.x };
  const away = { x: path.middle.x - bridge.x, y: path.middle.y - bridge.y };
  if (normal.x * away.x + normal.y * away.y < 0) normal = { x: -normal.x, y: -normal.y };
  const side = (n: number) => (n > 0 ? '0%' : '-100%');
  return Math.abs(normal.x) >= Math.abs(normal.y)
    ? { x: side(normal.x), y: '-50%' }
    : { x: '-50%', y: side(normal.y) };
}

export function svgPath(path: LinkPath): string {
  const f = (n: number) => Math.round(n * 10) / 10;
  return `M ${f(path.from.x)},${f(path.from.y)} Q ${f(path.control.x)},${f(path.control.y)} ${f(path.to.x)},${f(path.to.y)}`;
}

export function samplePath(path: LinkPath): Point[] {
  return sampleQuadratic(path.from, path.control, path.to, SAMPLES);
}

/** A spoke from a bridge to a guest, straight, border to border. */
export function spokePath(bridge: Rect, guest: Rect): LinkPath | null {
  const ends = borderToBorder(bridge, guest);
  if (!ends) return null;
  const [from, to] = ends;
  const middle = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
  return { from, control: middle, to, middle };
}
