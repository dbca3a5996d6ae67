import type { NodeProps } from '@xyflow/react';
import { Link2, Network } from 'lucide-react';
import { memo, useCallback, useState } from 'react';
import type { ChaosState } from '../../store/initial-state';
import { selectIndexes } from '../../store/selectors';
import { useChaos } from '../../ui/store-context';
import type { SegmentNodeData } from '../flow';
import { segmentTitle } from '../segment-menu';
import { CentreHandles } from './handles';
import { SegmentMenu } from './SegmentMenu';

function SegmentNodeView({ id }: NodeProps & { data: SegmentNodeData }) {
  const segment = useChaos(useCallback((s: ChaosState) => selectIndexes(s).segments.get(id), [id]));
  const [menuOpen, setMenuOpen] = useState(false);
  if (!segment) return null;
  const { name, bridge, cidrs, kind, active } = segment.segment;
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: right-click opens the menu its button opens from the keyboard
    <div
      className={`node segment ${active ? '' : 'segment--inactive'}`}
      data-testid="segment-node"
      data-segment-name={name}
      data-joined={
        segment.parts.length > 1 ? segment.evidence.map((e) => e.kind).join(' ') : undefined
      }
      title={menuOpen ? undefined : segmentTitle(segment)}
      onContextMenu={(e) => {
        e.preventDefault();
        setMenuOpen(true);
      }}
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
      <button
        type="button"
        className="segment__menu-button nodrag nopan"
        aria-label={`${name}: same L2 as another host's segment`}
        aria-haspopup="menu"
        aria-expanded={menuOpen}
        onClick={() => setMenuOpen((open) => !open)}
      >
        <Link2 size={14} aria-hidden />
      </button>
      {menuOpen && <SegmentMenu segment={segment} onClose={() => setMenuOpen(false)} />}
    </div>
  );
}

export const SegmentNode = memo(SegmentNodeView);
