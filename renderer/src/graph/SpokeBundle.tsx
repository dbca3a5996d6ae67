import { useStore, ViewportPortal } from '@xyflow/react';
import { memo, useMemo } from 'react';
import { selectIndexes, selectKnifeMarks } from '../store/selectors';
import type { Rect } from '../tools/knife/geometry';
import { useChaos, useChaosStore } from '../ui/store-context';
import type { GraphModel, LinkStatus } from './model';
import { spokePath } from './paths';

// Zoomed out over many guests, the spokes are drawn as a few SVG paths (one per state, one for
// the knife's marks) instead of one React Flow edge each: thousands of edge elements cost more
// to lay out and paint than they show at that size. Same geometry as SpokeEdge (paths.ts), so
// the knife, which samples the same paths, cuts what is drawn.

function spokeD(
  ids: Iterable<string>,
  spokes: ReadonlyMap<string, { segmentId: string; guestId: string }>,
  rect: (id: string) => Rect | null,
): string {
  const parts: string[] = [];
  for (const id of ids) {
    const spoke = spokes.get(id);
    const [bridge, guest] = spoke ? [rect(spoke.segmentId), rect(spoke.guestId)] : [null, null];
    const path = bridge && guest ? spokePath(bridge, guest) : null;
    if (path)
      parts.push(
        `M${path.from.x.toFixed(1)},${path.from.y.toFixed(1)}L${path.to.x.toFixed(1)},${path.to.y.toFixed(1)}`,
      );
  }
  return parts.join('');
}

function SpokeBundleView({
  model,
  rect: rectOfNode,
}: {
  model: GraphModel;
  /** A node's box: measured by React Flow, or from the layout for guests in GuestBundle. */
  rect: (id: string) => Rect | null;
}) {
  const store = useChaosStore();
  // A new nodes array means moved or measured nodes: the boxes read below are current by then.
  const nodes = useStore((s) => s.nodes);
  const marks = useChaos(selectKnifeMarks);
  const rect = useMemo(() => {
    void nodes;
    return rectOfNode;
  }, [rectOfNode, nodes]);
  const byStatus = useMemo(() => {
    const spokes = new Map(model.spokes.map((s) => [s.id, s]));
    const groups = new Map<LinkStatus | 'plain' | 'target', string[]>();
    for (const spoke of model.spokes) {
      const key = !spoke.isKnifeTarget ? 'plain' : spoke.cutCount > 0 ? spoke.status : 'target';
      groups.set(key, [...(groups.get(key) ?? []), spoke.id]);
    }
    return [...groups].map(([key, ids]) => ({ key, d: spokeD(ids, spokes, rect) }));
  }, [model, rect]);
  const marked = useMemo(() => {
    const { spokes } = selectIndexes(store.getState());
    return spokeD(
      Object.keys(marks).filter((id) => spokes.has(id)),
      spokes,
      rect,
    );
  }, [marks, rect, store]);
  return (
    <ViewportPortal>
      <svg
        className="spoke-bundle"
        data-testid="spoke-bundle"
        data-count={model.spokes.length}
        aria-hidden
      >
        {byStatus.map(({ key, d }) => (
          <path
            key={key}
            d={d}
            className={`spoke ${key === 'plain' ? '' : 'spoke--target'} ${
              key === 'plain' || key === 'target' ? '' : `link--${key}`
            }`}
          />
        ))}
        {marked && <path d={marked} className="spoke is-marked" />}
      </svg>
    </ViewportPortal>
  );
}

export const SpokeBundle = memo(SpokeBundleView);
