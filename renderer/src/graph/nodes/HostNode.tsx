import type { NodeProps } from '@xyflow/react';
import { Server } from 'lucide-react';
import { memo, useCallback } from 'react';
import type { ChaosState } from '../../store/initial-state';
import { selectIndexes } from '../../store/selectors';
import { HostStateChip } from '../../ui/HostStateChip';
import { useChaos } from '../../ui/store-context';
import type { HostNodeData } from '../flow';
import { CentreHandles } from './handles';

function HostNodeView({ data }: NodeProps & { data: HostNodeData }) {
  const host = useChaos(
    useCallback((s: ChaosState) => selectIndexes(s).hosts.get(data.hostId), [data.hostId]),
  );
  const hostname = useChaos(
    useCallback((s: ChaosState) => s.inventories[data.hostId]?.hostname, [data.hostId]),
  );
  if (!host) return null;
  return (
    <div className="node host" data-testid="host-node" data-host-id={host.hostId}>
      <CentreHandles />
      <Server size={20} aria-hidden />
      <div className="host__text">
        <strong>{host.label}</strong>
        <span className="muted">{hostname ?? host.summary?.uri}</span>
      </div>
      {host.summary && <HostStateChip status={host.summary.status} />}
    </div>
  );
}

export const HostNode = memo(HostNodeView);
