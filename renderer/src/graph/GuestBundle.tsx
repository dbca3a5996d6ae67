import { ViewportPortal } from '@xyflow/react';
import { type MouseEvent, memo } from 'react';
import type { GuestId } from '../../../shared/api';
import type { Rect } from '../tools/knife/geometry';
import { useChaos, useChaosStore } from '../ui/store-context';
import type { GraphModel } from './model';
import type { Lod } from './view';

// Zoomed out over a crowded segment, its guests are one SVG drawing (a box per guest in the
// colour of its state, its name when there is room) instead of a React Flow node each: at that
// size thousands of nodes cost seconds to mount and measure and show nothing more. A click
// selects as a node click does; zooming in brings the nodes back.

function GuestBundleView({
  model,
  ids,
  rect,
  lod,
}: {
  model: GraphModel;
  ids: ReadonlySet<string>;
  rect: (id: string) => Rect | null;
  lod: Lod;
}) {
  const store = useChaosStore();
  const selected = useChaos((s) => s.selectedGuestIds);
  const chosen = new Set<string>(selected);
  const onClick = (e: MouseEvent<SVGSVGElement>) => {
    const id = (e.target as Element).getAttribute('data-guest-id');
    if (!id) return;
    e.stopPropagation();
    const toggle = e.ctrlKey || e.metaKey;
    store.getState().selectGuests([id as GuestId], toggle ? 'toggle' : 'replace');
  };
  const boxes = model.guests.flatMap((g) => {
    const r = ids.has(g.id) ? rect(g.id) : null;
    if (!r) return [];
    const state = g.guest.state;
    return [
      <g key={g.id}>
        <rect
          x={r.x}
          y={r.y}
          width={r.width}
          height={r.height}
          rx={6}
          data-guest-id={g.id}
          className={`guest-box guest-box--${state} ${chosen.has(g.id) ? 'is-selected' : ''} ${
            g.cutCount > 0 ? 'guest-box--cut' : ''
          }`}
        >
          <title>{`${g.guest.name} (${state})`}</title>
        </rect>
        {lod === 'far' && (
          <text x={r.x + 16} y={r.y + r.height / 2} className="guest-box__name">
            {g.guest.name}
          </text>
        )}
      </g>,
    ];
  });
  return (
    <ViewportPortal>
      {/* biome-ignore lint/a11y/useKeyWithClickEvents: each box's click mirrors a node click; the nodes come back with the keyboard's zoom */}
      <svg
        className="guest-bundle"
        data-testid="guest-bundle"
        data-count={boxes.length}
        onClick={onClick}
        aria-label="Guests, zoomed out"
        role="img"
      >
        {boxes}
      </svg>
    </ViewportPortal>
  );
}

export const GuestBundle = memo(GuestBundleView);
