import {
  type Box,
  boundingBox,
  boxesTouch,
  crossingDirection,
  type Point,
  pointPolylineDistance,
  strokeHitsPolyline,
} from './geometry';
import { SegmentGrid } from './spatial';
import { cutting } from './states/cutting';
import { idle } from './states/idle';
import { pointing } from './states/pointing';

// The knife as a small state machine (idle -> pointing -> cutting), one file per state, driven
// by pointer events in flow coordinates. Like React Flow's eraser: link paths are sampled once
// at pointer-down, moves only mark crossed links (a preview), and one commit happens at
// pointer-up. Esc or a lost focus cancels and clears every mark. No DOM here: tests drive it.

/** Screen pixels; divided by the zoom so the feel is the same at any zoom. */
export const HIT_MARGIN_PX = 6;
export const CLICK_MARGIN_PX = 8;
export const DRAG_THRESHOLD_PX = 4;
/** The side of a cell of the targets' spatial index, in screen pixels. */
export const GRID_CELL_PX = 48;

export type KnifeTarget = { readonly id: string; readonly points: readonly Point[] };

export type KnifeMark = {
  readonly id: string;
  /** forward: the stroke crossed from the path's first point towards its last. */
  readonly direction: 'forward' | 'backward';
  readonly at: Point;
};

export type KnifeModifiers = { readonly oneWay: boolean };

export type KnifeStroke = {
  readonly marks: readonly KnifeMark[];
  readonly oneWay: boolean;
  readonly points: readonly Point[];
};

/** What the knife needs from the canvas it runs on. */
export interface KnifeHost {
  /** Every link the knife may cut, its path sampled in flow coordinates; called once a stroke. */
  sampleTargets(): KnifeTarget[];
  zoom(): number;
  /** The marked links changed (or the one-way modifier did): show the preview. */
  preview(marks: readonly KnifeMark[], oneWay: boolean): void;
  /** Pointer released after a stroke that crossed at least one link. */
  commit(stroke: KnifeStroke): void;
  /** Pointer released without dragging: the link under the pointer, if any. */
  click(point: Point, targetId: string | null): void;
  /** The stroke ended without a cut (Esc, blur, or nothing crossed): clear the preview. */
  cancel(): void;
}

export type KnifeStateName = 'idle' | 'pointing' | 'cutting';

export interface KnifeState {
  readonly name: KnifeStateName;
  onPointerDown?(tool: KnifeTool, point: Point, modifiers: KnifeModifiers): void;
  onPointerMove?(tool: KnifeTool, point: Point, modifiers: KnifeModifiers): void;
  onPointerUp?(tool: KnifeTool, point: Point, modifiers: KnifeModifiers): void;
  onCancel?(tool: KnifeTool): void;
}

const STATES: Record<KnifeStateName, KnifeState> = { idle, pointing, cutting };

type SampledTarget = KnifeTarget & { readonly box: Box };

export class KnifeTool {
  private current: KnifeState = idle;
  /** Every state entered, in order, for tests and debugging. */
  readonly path: KnifeStateName[] = ['idle'];
  private points: Point[] = [];
  private targets: SampledTarget[] = [];
  private grid = new SegmentGrid([], 1);
  private marks = new Map<string, KnifeMark>();
  private oneWay = false;
  private zoom = 1;

  constructor(private readonly host: KnifeHost) {}

  get state(): KnifeStateName {
    return this.current.name;
  }

  get stroke(): readonly Point[] {
    return this.points;
  }

  get marked(): readonly KnifeMark[] {
    return [...this.marks.values()];
  }

  pointerDown(point: Point, modifiers: KnifeModifiers): void {
    this.current.onPointerDown?.(this, point, modifiers);
  }

  pointerMove(point: Point, modifiers: KnifeModifiers): void {
    this.current.onPointerMove?.(this, point, modifiers);
  }

  pointerUp(point: Point, modifiers: KnifeModifiers): void {
    this.current.onPointerUp?.(this, point, modifiers);
  }

  /** Esc, window blur, tool switched away. */
  cancel(): void {
    this.current.onCancel?.(this);
  }

  // ---- used by the states ----

  transition(name: KnifeStateName): void {
    this.current = STATES[name];
    this.path.push(name);
  }

  begin(point: Point, modifiers: KnifeModifiers): void {
    this.zoom = this.host.zoom() || 1;
    this.targets = this.host.sampleTargets().map((t) => ({ ...t, box: boundingBox(t.points) }));
    // Once per stroke: each move then looks only at the targets near its newest segment.
    this.grid = new SegmentGrid(
      this.targets.map((t) => t.points),
      GRID_CELL_PX / this.zoom,
    );
    this.points = [point];
    this.marks = new Map();
    this.oneWay = modifiers.oneWay;
  }

  movedBeyondThreshold(point: Point): boolean {
    const origin = this.points[0];
    return (
      origin !== undefined &&
      Math.hypot(point.x - origin.x, point.y - origin.y) * this.zoom > DRAG_THRESHOLD_PX
    );
  }

  /** Adds a point and hit-tests only the newest segment of the stroke. */
  extend(point: Point, modifiers: KnifeModifiers): void {
    const last = this.points[this.points.length - 1];
    this.points.push(point);
    let changed = modifiers.oneWay !== this.oneWay;
    this.oneWay = modifiers.oneWay;
    if (last !== undefined) {
      const margin = HIT_MARGIN_PX / this.zoom;
      const box = boundingBox([last, point]);
      const near = this.grid.near(box, margin).sort((x, y) => x - y);
      for (const index of near) {
        const target = this.targets[index] as SampledTarget;
        if (this.marks.has(target.id) || !boxesTouch(box, target.box, margin)) continue;
        const hit = strokeHitsPolyline(last, point, target.points, margin);
        if (!hit) continue;
        const direction = crossingDirection(last, point, target.points, hit.index);
        this.marks.set(target.id, { id: target.id, direction, at: hit.point });
        changed = true;
      }
    }
    if (changed) this.host.preview(this.marked, this.oneWay);
  }

  finish(): void {
    const stroke = { marks: this.marked, oneWay: this.oneWay, points: [...this.points] };
    this.reset();
    if (stroke.marks.length > 0) this.host.commit(stroke);
    else this.host.cancel();
  }

  clickAt(point: Point): void {
    const margin = CLICK_MARGIN_PX / this.zoom;
    let best: { id: string; distance: number } | null = null;
    const at = { minX: point.x, minY: point.y, maxX: point.x, maxY: point.y };
    for (const index of this.grid.near(at, margin)) {
      const target = this.targets[index] as SampledTarget;
      const distance = pointPolylineDistance(point, target.points);
      if (distance <= margin && (best === null || distance < best.distance)) {
        best = { id: target.id, distance };
      }
    }
    this.reset();
    this.host.click(point, best?.id ?? null);
  }

  abort(): void {
    this.reset();
    this.host.cancel();
  }

  private reset(): void {
    this.points = [];
    this.targets = [];
    this.grid = new SegmentGrid([], 1);
    this.marks = new Map();
  }
}
