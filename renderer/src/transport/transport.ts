import {
  type CallName,
  type ChaosApi,
  type ChaosEventListener,
  createRemoteApi,
  type Invoke,
  type Unsubscribe,
} from '../../../shared/api';

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

/** What the Electron preload exposes as window.kvmChaos (its full type lives with the preload). */
export type PreloadBridge = {
  invoke: Invoke;
  onEvent(listener: ChaosEventListener): Unsubscribe;
  onMenuCommand?(listener: (command: string) => void): Unsubscribe;
};

export function preloadTransport(bridge: PreloadBridge): Transport {
  const invoke: Invoke = (name: CallName, params: unknown) => bridge.invoke(name, params);
  return {
    api: createRemoteApi(invoke, (listener) => bridge.onEvent(listener)),
    state: 'open',
    onState: () => () => {},
    onMenuCommand: (listener) => bridge.onMenuCommand?.(listener) ?? (() => {}),
    close: () => {},
  };
}

/** The page's own server: ws://host/ws; the token travels as the cookie the page load set. */
export function socketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}
