import { useReactFlow, useStoreApi } from '@xyflow/react';
import {
  type PointerEvent as ReactPointerEvent,
  useCallback,
  useEffect,
  useMemo,
  useRef,
} from 'react';
import { selectIndexes, selectKnifeActive, selectOneWay } from '../../store/selectors';
import { useChaos, useChaosStore } from '../../ui/store-context';
import type { Point, Rect } from './geometry';
import { type KnifeHost, KnifeTool } from './knife-tool';
import { knifeTargets } from './targets';

// The knife on the canvas: a layer over the flow that captures the pointer while the knife is
// picked (K, the toolbar, or Shift held), feeds the pure KnifeTool in flow coordinates and draws
// the stroke. The tool samples link paths from React Flow's measured nodes once per stroke.
// Moves are queued and handled once per animation frame: the browser may send several moves a
// frame, and only what is on screen at the next frame matters (thousands of links at scale).

/** @param rectOf a node's box in flow coordinates (React Flow's measurement, or the layout's
 * for guests drawn in a bundle when zoomed out) */
export function KnifeLayer({ rectOf }: { rectOf: (id: string) => Rect | null }) {
  const active = useChaos(selectKnifeActive);
  const oneWayToggle = useChaos(selectOneWay);
  const store = useChaosStore();
  const flowStore = useStoreApi();
  const { screenToFlowPosition } = useReactFlow();
  const layer = useRef<HTMLDivElement>(null);
  // The newest boxes, read at pointer-down; a ref so that a refresh mid-stroke keeps the tool.
  const boxes = useRef(rectOf);
  boxes.current = rectOf;
  const line = useRef<SVGPolylineElement>(null);
  const drawn = useRef<string[]>([]);
  /** The layer's box, read once a stroke: reading it on every move would force a layout. */
  const origin = useRef<{ left: number; top: number } | null>(null);
  /** Moves since the last frame, in flow coordinates, with their modifiers. */
  const queued = useRef<Array<{ point: Point; oneWay: boolean }>>([]);
  const frame = useRef<number | null>(null);

  const tool = useMemo(() => {
    const host: KnifeHost = {
      sampleTargets() {
        const { model } = selectIndexes(store.getState());
        return knifeTargets(model, boxes.current);
      },
      zoom: () => flowStore.getState().transform[2],
      preview: (marks, oneWay) => store.getState().knifePreview(marks, oneWay),
      commit: (stroke) => void store.getState().cutMarked(stroke.marks, stroke.oneWay),
      click(_point, id) {
        if (!id) return;
        const { links, spokes } = selectIndexes(store.getState());
        if (links.get(id)?.cuts.length) void store.getState().healLink(id);
        const spoke = spokes.get(id);
        if (spoke?.cutCount) void store.getState().healGuest(spoke.guestId);
      },
      cancel: () => store.getState().knifeClear(),
    };
    return new KnifeTool(host);
  }, [flowStore, store]);

  /** Hands the queued moves to the tool and draws the stroke once. */
  const flush = useCallback(() => {
    if (frame.current !== null) cancelAnimationFrame(frame.current);
    frame.current = null;
    const moves = queued.current;
    queued.current = [];
    for (const m of moves) tool.pointerMove(m.point, { oneWay: m.oneWay });
    line.current?.setAttribute('points', drawn.current.join(' '));
  }, [tool]);

  const clearStroke = useCallback(() => {
    if (frame.current !== null) cancelAnimationFrame(frame.current);
    frame.current = null;
    queued.current = [];
    drawn.current = [];
    origin.current = null;
    line.current?.setAttribute('points', '');
  }, []);

  useEffect(() => {
    const cancel = () => {
      tool.cancel();
      clearStroke();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') cancel();
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('blur', cancel);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('blur', cancel);
    };
  }, [tool, clearStroke]);

  const flowPoint = (e: ReactPointerEvent): Point =>
    screenToFlowPosition({ x: e.clientX, y: e.clientY });
  const modifiers = (e: ReactPointerEvent) => ({ oneWay: e.altKey || oneWayToggle });
  const draw = (e: ReactPointerEvent) => {
    origin.current ??= layer.current?.getBoundingClientRect() ?? null;
    const box = origin.current;
    if (!box) return;
    drawn.current.push(`${Math.round(e.clientX - box.left)},${Math.round(e.clientY - box.top)}`);
  };

  return (
    <div
      ref={layer}
      className={`knife-layer ${active ? 'knife-layer--active' : ''}`}
      data-testid="knife-layer"
      data-state={tool.state}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        e.currentTarget.setPointerCapture(e.pointerId);
        clearStroke();
        draw(e);
        tool.pointerDown(flowPoint(e), modifiers(e));
        line.current?.setAttribute('points', drawn.current.join(' '));
      }}
      onPointerMove={(e) => {
        if (tool.state === 'idle') return;
        draw(e);
        queued.current.push({ point: flowPoint(e), oneWay: modifiers(e).oneWay });
        frame.current ??= requestAnimationFrame(flush);
      }}
      onPointerUp={(e) => {
        if (tool.state === 'idle') return;
        flush();
        tool.pointerUp(flowPoint(e), modifiers(e));
        clearStroke();
      }}
      onPointerCancel={() => {
        tool.cancel();
        clearStroke();
      }}
    >
      <svg className="knife-layer__stroke" aria-hidden>
        <polyline ref={line} points="" />
      </svg>
    </div>
  );
}
