import { useStore } from '@xyflow/react';
import { createContext, useContext } from 'react';

// What the canvas lets its nodes do to the view (not to the hosts): collapse a host, zoom to it.
// And the level of detail for the current zoom, so that what is drawn stays readable: below a
// zoom where a card's small print would be under 12 px on screen, a card shows less, larger.

export type GraphView = {
  toggleCollapsed(hostId: string): void;
  zoomToHost(hostId: string): void;
  showAll(): void;
};

export const GraphViewContext = createContext<GraphView>({
  toggleCollapsed: () => {},
  zoomToHost: () => {},
  showAll: () => {},
});

export const useGraphView = () => useContext(GraphViewContext);

/**
 * near: every detail: its interface lines (0.88 rem) are 12 px on screen from zoom 0.86, its
 *   badges (0.78 rem) are scaled up below 0.96 (graph.css).
 * mid: name, state, cuts and addresses, in type scaled up to stay 12 px or more.
 * far: the name alone, as large as the card allows.
 * dot: a coloured card (state, selection, cuts); names are on the host and segment labels.
 */
export type Lod = 'near' | 'mid' | 'far' | 'dot';
export const NEAR_ZOOM = 0.86;
export const MID_ZOOM = 0.5;
export const FAR_ZOOM = 0.2;

export function lodOf(zoom: number): Lod {
  return zoom >= NEAR_ZOOM ? 'near' : zoom >= MID_ZOOM ? 'mid' : zoom >= FAR_ZOOM ? 'far' : 'dot';
}

/** Re-renders its component only when the level changes, not on every zoom step. */
export function useLod(): Lod {
  return useStore((s) => lodOf(s.transform[2]));
}
