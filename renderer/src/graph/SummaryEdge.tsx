import { type Edge, EdgeLabelRenderer, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { useNodeRect } from './edges/rects';
import { spokePath, svgPath } from './paths';

// The links into a collapsed host, drawn as one line to its card with how many it stands for.

function SummaryEdgeView({ source, target, data }: EdgeProps<Edge<{ count: number }, 'summary'>>) {
  const a = useNodeRect(source);
  const b = useNodeRect(target);
  if (!a || !b) return null;
  const path = spokePath(a, b);
  if (!path) return null;
  const count = data?.count ?? 0;
  return (
    <>
      <path d={svgPath(path)} className="summary-link" data-testid="summary-link" />
      <EdgeLabelRenderer>
        <div
          className="summary-link__label"
          style={{
            transform: `translate(-50%, -50%) translate(${path.middle.x}px, ${path.middle.y}px)`,
          }}
        >
          {count} link{count === 1 ? '' : 's'}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

export const SummaryEdge = memo(SummaryEdgeView);
