import type { NodeProps } from '@xyflow/react';
import { Network } from 'lucide-react';
import { memo, useCallback } from 'react';
import type { ChaosState } from '../../store/initial-state';
import { selectIndexes } from '../../store/selectors';
import { useChaos } from '../../ui/store-context';
import type { SegmentNodeData } from '../flow';
import { CentreHandles } from './handles';

function SegmentNodeView({ id }: NodeProps & { data: SegmentNodeData }) {
  const segment = useChaos(useCallback((s: ChaosState) => selectIndexes(s).segments.get(id), [id]));
  if (!segment) return null;
  const { name, bridge, cidrs, kind, active } = segment.segment;
  return (
    <div
      className={`node segment ${active ? '' : 'segment--inactive'}`}
      data-testid="segment-node"
      data-segment-name={name}
      title={kind === 'network' ? `libvirt network ${name}` : `bridge ${name}`}
    >
      <CentreHandles />
      <Network size={18} aria-hidden />
      <div className="segment__text">
        <strong>{name}</strong>
        <span className="muted">
          {[bridge && bridge !== name ? bridge : null, cidrs[0]].filter(Boolean).join(' · ') ||
            kind}
        </span>
      </div>
    </div>
  );
}

export const SegmentNode = memo(SegmentNodeView);
