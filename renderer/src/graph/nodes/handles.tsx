import { Handle, Position } from '@xyflow/react';

// Links are drawn centre to centre by our own edges; React Flow still wants a handle at each
// end, so every node carries an invisible pair in its middle.
export function CentreHandles() {
  return (
    <>
      <Handle type="source" position={Position.Top} className="kc-handle" isConnectable={false} />
      <Handle type="target" position={Position.Top} className="kc-handle" isConnectable={false} />
    </>
  );
}
