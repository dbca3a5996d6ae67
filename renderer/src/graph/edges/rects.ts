import { type InternalNode, useInternalNode } from '@xyflow/react';
import type { Rect } from '../../tools/knife/geometry';

/** A node's box in flow coordinates, as React Flow has measured it. */
export function rectOf(node: InternalNode | undefined): Rect | null {
  if (!node) return null;
  const { x, y } = node.internals.positionAbsolute;
  const width = node.measured.width ?? node.width ?? 0;
  const height = node.measured.height ?? node.height ?? 0;
  return width && height ? { x, y, width, height } : null;
}

export function useNodeRect(id: string): Rect | null {
  return rectOf(useInternalNode(id));
}
