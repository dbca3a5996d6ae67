import type { NodeProps } from '@xyflow/react';
import { ChevronDown, ChevronRight, Scan, Server } from 'lucide-react';
import { memo, useCallback } from 'react';
import type { ChaosState } from '../../store/initial-state';
import { selectIndexes } from '../../store/selectors';
import { HostStateChip } from '../../ui/HostStateChip';
import { useChaos } from '../../ui/store-context';
import type { HostNodeData } from '../flow';
import type { HostCounts } from '../model';
import { useGraphView } from '../view';
import { CentreHandles } from './handles';

// A host as a group: a frame around its segments and guests with a header (name, counts,
// collapse, zoom); collapsed, one card with the counts. Dragged by its header; double-click on
// the header zooms to the host.

export function countsWords(c: HostCounts): string {
  const parts = [`${c.guests} guest${c.guests === 1 ? '' : 's'}`, `${c.running} running`];
  if (c.cuts) parts.push(`${c.cuts} cut${c.cuts === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

function HostNodeView({ data }: NodeProps & { data: HostNodeData }) {
  const host = useChaos(
    useCallback((s: ChaosState) => selectIndexes(s).hosts.get(data.hostId), [data.hostId]),
  );
  const hostname = useChaos(
    useCallback((s: ChaosState) => s.inventories[data.hostId]?.hostname, [data.hostId]),
  );
  const view = useGraphView();
  if (!host) return null;
  const { collapsed } = data;
  const address = hostname || host.summary?.uri;
  const counts = `${countsWords(host.counts)}${address ? ` · ${address}` : ''}`;
  const secondLine = host.summary ? `${host.summary.status.state} · ${counts}` : counts;
  const Chevron = collapsed ? ChevronRight : ChevronDown;
  return (
    <div
      className={`node host host-group ${collapsed ? 'host-group--collapsed' : ''}`}
      data-testid="host-node"
      data-host-id={host.hostId}
      data-collapsed={collapsed ? 'true' : 'false'}
    >
      <CentreHandles />
      <header className="host__header">
        <div className="host__label">
          <button
            type="button"
            className="host__button nodrag"
            data-testid="host-collapse"
            aria-expanded={!collapsed}
            aria-label={`${collapsed ? 'Expand' : 'Collapse'} host ${host.label}`}
            title={collapsed ? 'Show its segments and guests' : 'Collapse to one card'}
            onClick={() => view.toggleCollapsed(host.hostId)}
          >
            <Chevron size={18} aria-hidden />
          </button>
          <Server size={20} aria-hidden />
          {/* The name whole on the first line; the state, counts and address on the second,
              cut at the frame's edge when it is narrow (the whole line in its tooltip). */}
          <div className="host__text">
            <strong>{host.label}</strong>
            <div className="host__line" title={secondLine}>
              {host.summary && <HostStateChip status={host.summary.status} />}
              <span className="muted" data-testid="host-counts">
                {counts}
              </span>
            </div>
          </div>
          <button
            type="button"
            className="host__button nodrag"
            data-testid="host-zoom"
            aria-label={`Zoom to host ${host.label}`}
            title="Zoom to this host (or double-click its header)"
            onClick={() => view.zoomToHost(host.hostId)}
          >
            <Scan size={16} aria-hidden />
          </button>
        </div>
      </header>
      {collapsed && (
        <div className="host__summary">
          <span>
            <strong>{host.counts.guests}</strong> guests
          </span>
          <span>
            <strong>{host.counts.running}</strong> running
          </span>
          <span className={host.counts.cuts ? 'host__cuts' : ''}>
            <strong>{host.counts.cuts}</strong> cuts
          </span>
          <span>
            <strong>{host.counts.segments}</strong> segments
          </span>
        </div>
      )}
    </div>
  );
}

export const HostNode = memo(HostNodeView);
