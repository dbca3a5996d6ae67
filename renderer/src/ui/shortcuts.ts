import { useEffect } from 'react';
import type { ChaosStore } from '../store/store';
import type { Transport } from '../transport/transport';

// The app's keys, handled by the page in both browser and Electron (the native menu only shows
// them and sends the same commands). Keys typed into a field are never taken over.

export type Command =
  | 'tool.knife'
  | 'tool.select'
  | 'chaos.healAll'
  | 'chaos.undo'
  | 'inspector.toggle'
  | 'inventory.reload'
  | 'view.projector';

export function runCommand(store: ChaosStore, command: string): void {
  const s = store.getState();
  switch (command) {
    case 'tool.knife':
      s.setTool(s.tool === 'knife' ? 'select' : 'knife');
      break;
    case 'tool.select':
      s.setTool('select');
      break;
    case 'chaos.healAll':
      void s.healAll();
      break;
    case 'chaos.undo':
      void s.undo();
      break;
    case 'inspector.toggle':
      s.setPanel('inspector');
      break;
    case 'inventory.reload':
      for (const host of s.hosts) void s.refreshInventory(host.id);
      break;
    case 'view.projector':
      s.setProjector(!s.projector);
      break;
  }
}

/** The command a key press means, or null. Exported for tests of the key map. */
export function commandFor(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>,
): Command | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && !e.shiftKey && key === 'z') return 'chaos.undo';
  if (mod && e.shiftKey && key === 'h') return 'chaos.healAll';
  if (mod && key === 'r') return 'inventory.reload';
  if (mod || e.altKey) return null;
  if (key === 'k') return 'tool.knife';
  if (key === 'v') return 'tool.select';
  if (key === 'h') return 'chaos.healAll';
  if (key === 'i') return 'inspector.toggle';
  if (key === 'p') return 'view.projector';
  return null;
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export function useShortcuts(store: ChaosStore, transport: Transport): void {
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (typing(e.target)) return;
      if (e.key === 'Shift') store.getState().holdKnife(true);
      if (e.key === 'Escape') {
        // A previewed topology is let go first; the selection it was made from stays.
        if (store.getState().partitionPreview) return store.getState().cancelPreview();
        store.getState().selectGuests([]);
        if (store.getState().tool === 'knife') store.getState().setTool('select');
        return;
      }
      const command = commandFor(e);
      if (!command || e.repeat) return;
      e.preventDefault();
      runCommand(store, command);
    };
    const onKeyUp = (e: KeyboardEvent) => {
      if (e.key === 'Shift') store.getState().holdKnife(false);
    };
    const onBlur = () => store.getState().holdKnife(false);
    window.addEventListener('keydown', onKeyDown);
    window.addEventListener('keyup', onKeyUp);
    window.addEventListener('blur', onBlur);
    const offMenu = transport.onMenuCommand((command) => runCommand(store, command));
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('keyup', onKeyUp);
      window.removeEventListener('blur', onBlur);
      offMenu();
    };
  }, [store, transport]);
}
