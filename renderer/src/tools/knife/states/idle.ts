import type { KnifeState } from '../knife-tool';

export const idle: KnifeState = {
  name: 'idle',
  onPointerDown(tool, point, modifiers) {
    tool.begin(point, modifiers);
    tool.transition('pointing');
  },
};
