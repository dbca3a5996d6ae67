import { useReactFlow, useStoreApi } from '@xyflow/react';
import {
  type PointerEvent as ReactPointerEvent,
  useCallback,
  useEffect,
  useMemo,
  useRef,
} from 'react';
import { rectOf } from '../../graph/edges/rects';
import { selectIndexes, selectKnifeActive, selectOneWay } from '../../store/selectors';
import { useChaos, useChaosStore } from '../../ui/store-context';
import { center, type Point } from './geometry';
import { type KnifeHost, KnifeTool } from './knife-tool';
import { knifeTargets } from './targets';

// The knife on the canvas: a layer over the flow that captures the pointer while the knife is
// picked (K, the toolbar, or Shift held), feeds the pure KnifeTool in flow coordinates and draws
// the stroke. The tool samples link paths from React Flow's measured nodes once per stroke.

export function KnifeLayer() {
  const active = useChaos(selectKnifeActive);
  const oneWayToggle = useChaos(selectOneWay);
  const store = useChaosStore();
  const flowStore = useStoreApi();
  const { screenToFlowPosition } = useReactFlow();
  const layer = useRef<HTMLDivElement>(null);
  const line = useRef<SVGPolylineElement>(null);
  const drawn = useRef<string[]>([]);

  const tool = useMemo(() => {
    const host: KnifeHost = {
      sampleTargets() {
        const { nodeLookup } = flowStore.getState();
        const { model } = selectIndexes(store.getState());
        return knifeTargets(model, (id) => rectOf(nodeLookup.get(id)));
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

  const clearStroke = useCallback(() => {
    drawn.current = [];
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
    const box = layer.current?.getBoundingClientRect();
    if (!box) return;
    drawn.current.push(`${Math.round(e.clientX - box.left)},${Math.round(e.clientY - box.top)}`);
    line.current?.setAttribute('points', drawn.current.join(' '));
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
      }}
      onPointerMove={(e) => {
        if (tool.state === 'idle') return;
        draw(e);
        tool.pointerMove(flowPoint(e), modifiers(e));
      }}
      onPointerUp={(e) => {
        if (tool.state === 'idle') return;
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
