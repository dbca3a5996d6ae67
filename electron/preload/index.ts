import { contextBridge, type IpcRenderer, type IpcRendererEvent, ipcRenderer } from 'electron';
import type { ChaosEvent, ChaosEventListener, Result } from '../../shared/api';
import {
  BRIDGE_CALL_NAMES,
  BRIDGE_EVENT_CHANNEL,
  bridgeChannel,
  IPC_MENU_CHANNEL,
  IPC_READY_CHANNEL,
  isMenuCommand,
  type KvmChaosBridge,
  type MenuCommandListener,
} from '../../shared/api/bridge';

// The sandboxed preload: window.kvmChaos and nothing else. It validates nothing but the call's
// name (the main process checks every payload with the contract's schemas) and hands the page
// only plain data, never Electron's event objects.

const CALLS: ReadonlySet<string> = new Set(BRIDGE_CALL_NAMES);

export type BridgeIpc = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener' | 'send'>;

export function createBridge(ipc: BridgeIpc): KvmChaosBridge {
  let readySent = false;

  function listen<T>(
    channel: string,
    accept: (payload: unknown) => payload is T,
    listener: (payload: T) => void,
  ): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const handler = (_event: IpcRendererEvent, payload: unknown) => {
      if (accept(payload)) listener(payload);
    };
    ipc.on(channel, handler);
    return () => {
      ipc.removeListener(channel, handler);
    };
  }

  return {
    invoke(name, params) {
      if (typeof name !== 'string' || !CALLS.has(name)) {
        const answer: Result<unknown> = {
          ok: false,
          error: { code: 'unknown-call', message: `There is no call named ${String(name)}.` },
        };
        return Promise.resolve(answer);
      }
      return ipc.invoke(bridgeChannel(name), params) as Promise<Result<unknown>>;
    },

    onEvent(listener: ChaosEventListener) {
      // The main process checked each event against the contract before sending it.
      const unsubscribe = listen(
        BRIDGE_EVENT_CHANNEL,
        (e): e is ChaosEvent => typeof e === 'object' && e !== null,
        listener,
      );
      if (!readySent) {
        readySent = true;
        ipc.send(IPC_READY_CHANNEL);
      }
      return unsubscribe;
    },

    onMenuCommand(listener: MenuCommandListener) {
      return listen(IPC_MENU_CHANNEL, isMenuCommand, listener);
    },
  };
}

contextBridge.exposeInMainWorld('kvmChaos', createBridge(ipcRenderer));
