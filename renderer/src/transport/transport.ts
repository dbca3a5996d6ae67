import {
  type CallName,
  type ChaosApi,
  createRemoteApi,
  type Invoke,
  type Unsubscribe,
} from '../../../shared/api';
import type { KvmChaosBridge } from '../../../shared/api/bridge';

// How the page reaches the engine: one interface, two implementations. In Electron the preload
// exposes window.kvmChaos (IPC); in a browser the page talks to `kvm-chaos serve` over a
// WebSocket. Either way the store gets the same validated ChaosApi.

export type TransportState = 'connecting' | 'open' | 'closed';

export interface Transport {
  readonly api: ChaosApi;
  readonly state: TransportState;
  onState(listener: (state: TransportState) => void): Unsubscribe;
  /** Commands from a native menu (Electron only). */
  onMenuCommand(listener: (command: string) => void): Unsubscribe;
  close(): void;
}

/** window.kvmChaos from the Electron preload: IPC is up as long as the page lives. */
export function preloadTransport(bridge: KvmChaosBridge): Transport {
  const invoke: Invoke = (name: CallName, params: unknown) => bridge.invoke(name, params);
  return {
    api: createRemoteApi(invoke, (listener) => bridge.onEvent(listener)),
    state: 'open',
    onState: () => () => {},
    onMenuCommand: (listener) => bridge.onMenuCommand(listener),
    close: () => {},
  };
}

/** The page's own server: ws://host/ws; the token travels as the cookie the page load set. */
export function socketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}
