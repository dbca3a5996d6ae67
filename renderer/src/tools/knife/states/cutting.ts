import type { KnifeState } from '../knife-tool';

// Dragging: every move marks the links the newest stroke segment crosses; release commits.
export const cutting: KnifeState = {
  name: 'cutting',
  onPointerMove(tool, point, modifiers) {
    tool.extend(point, modifiers);
  },
  onPointerUp(tool, point, modifiers) {
    tool.extend(point, modifiers);
    tool.transition('idle');
    tool.finish();
  },
  onCancel(tool) {
    tool.transition('idle');
    tool.abort();
  },
};
