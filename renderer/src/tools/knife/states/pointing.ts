import type { KnifeState } from '../knife-tool';

// Pressed, not yet dragged: a release here is a click (heal the severed link under it).
export const pointing: KnifeState = {
  name: 'pointing',
  onPointerMove(tool, point, modifiers) {
    if (!tool.movedBeyondThreshold(point)) return;
    tool.transition('cutting');
    tool.extend(point, modifiers);
  },
  onPointerUp(tool, point) {
    tool.transition('idle');
    tool.clickAt(point);
  },
  onCancel(tool) {
    tool.transition('idle');
    tool.abort();
  },
};
