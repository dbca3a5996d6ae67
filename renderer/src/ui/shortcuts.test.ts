import { describe, expect, it } from 'vitest';
import { commandFor } from './shortcuts';

const key = (
  k: string,
  mods: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey', boolean>> = {},
) =>
  commandFor({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe('shortcuts', () => {
  it('maps the app keys: K knife, V select, H heal all, I inspector, P projector', () => {
    expect(key('k')).toBe('tool.knife');
    expect(key('K', { shiftKey: true })).toBe('tool.knife');
    expect(key('v')).toBe('tool.select');
    expect(key('h')).toBe('chaos.healAll');
    expect(key('i')).toBe('inspector.toggle');
    expect(key('p')).toBe('view.projector');
    expect(key('p', { ctrlKey: true })).toBeNull();
  });

  it('undo with Ctrl or Cmd+Z; the native menu’s Ctrl/Cmd+Shift+H heals all too', () => {
    expect(key('z', { ctrlKey: true })).toBe('chaos.undo');
    expect(key('z', { metaKey: true })).toBe('chaos.undo');
    expect(key('H', { ctrlKey: true, shiftKey: true })).toBe('chaos.healAll');
    expect(key('r', { metaKey: true })).toBe('inventory.reload');
  });

  it('leaves other combinations to the browser', () => {
    expect(key('z')).toBeNull();
    expect(key('z', { ctrlKey: true, shiftKey: true })).toBeNull();
    expect(key('k', { altKey: true })).toBeNull();
    expect(key('c', { ctrlKey: true })).toBeNull();
  });
});
