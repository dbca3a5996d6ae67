import { Panel } from '@xyflow/react';
import { ChevronDown, ChevronRight, Scan } from 'lucide-react';
import type { GraphModel } from './model';
import { countsWords } from './nodes/HostNode';
import { useGraphView } from './view';

// With several hosts: the overview's list, one row across the top of the canvas (GraphCanvas fits
// the graph below it, so it covers no host). Each host by name, its counts in its tooltip and on
// its own label; a click zooms to it, the chevron collapses it; "All hosts" fits every host again.

export function HostList({
  model,
  collapsed,
}: {
  model: GraphModel;
  collapsed: ReadonlySet<string>;
}) {
  const view = useGraphView();
  if (model.hosts.length < 2) return null;
  return (
    <Panel position="top-right" className="host-list" data-testid="host-list">
      <button
        type="button"
        className="host-list__all"
        data-testid="host-list-all"
        onClick={view.showAll}
      >
        <Scan size={15} aria-hidden /> All hosts
      </button>
      <ul>
        {model.hosts.map((host) => {
          const isCollapsed = collapsed.has(host.hostId);
          const Chevron = isCollapsed ? ChevronRight : ChevronDown;
          return (
            <li key={host.id}>
              <button
                type="button"
                className="host-list__toggle"
                aria-label={`${isCollapsed ? 'Expand' : 'Collapse'} host ${host.label}`}
                aria-expanded={!isCollapsed}
                onClick={() => view.toggleCollapsed(host.hostId)}
              >
                <Chevron size={15} aria-hidden />
              </button>
              <button
                type="button"
                className="host-list__host"
                data-testid="host-list-item"
                data-host-id={host.hostId}
                title={`Zoom to ${host.label}: ${countsWords(host.counts)}`}
                onClick={() => view.zoomToHost(host.hostId)}
              >
                <strong>{host.label}</strong>
                {host.counts.cuts > 0 && (
                  <span className="host-list__cuts">{host.counts.cuts} cut</span>
                )}
              </button>
            </li>
          );
        })}
      </ul>
    </Panel>
  );
}
