import {
  type CallName,
  type ChaosEventListener,
  checkEvent,
  createRemoteApi,
  fail,
  type Result,
  ServerMessage,
} from '../../../shared/api';
import type { Transport, TransportState } from './transport';

// The contract over a WebSocket to `kvm-chaos serve`. Calls are matched to answers by id; when
// the socket drops, every call still waiting is answered with transport-closed (none hangs) and
// the transport reconnects with backoff. The store reloads everything on reopening.

/** The part of the browser's WebSocket we use (ws's client has the same shape, for tests). */
export type SocketLike = {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
};

export type SocketFactory = (url: string) => SocketLike;

const OPEN = 1;
export const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000];

const notConnected = () =>
  fail(
    'transport-closed',
    'Not connected to the kvm-chaos engine.',
    'The page reconnects by itself; if it does not, check that `kvm-chaos serve` still runs and open the URL it printed.',
  );

export function createWebSocketTransport(
  url: string,
  open: SocketFactory = (u) => new WebSocket(u) as unknown as SocketLike,
  delays: readonly number[] = RETRY_DELAYS_MS,
): Transport {
  let socket: SocketLike | null = null;
  let state: TransportState = 'connecting';
  let nextId = 1;
  let attempt = 0;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | null = null;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const eventListeners = new Set<ChaosEventListener>();
  const stateListeners = new Set<(state: TransportState) => void>();

  const setState = (next: TransportState) => {
    if (state === next) return;
    state = next;
    for (const listener of stateListeners) listener(next);
  };

  const failPending = () => {
    for (const resolve of pending.values()) resolve(notConnected());
    pending.clear();
  };

  const connect = () => {
    retry = null;
    setState('connecting');
    const ws = open(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setState('open');
    };
    ws.onmessage = (event) => {
      let parsed: ReturnType<typeof ServerMessage.safeParse>;
      try {
        parsed = ServerMessage.safeParse(JSON.parse(String(event.data)));
      } catch {
        return;
      }
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.kind === 'result') {
        pending.get(message.id)?.(message.result as Result<unknown>);
        pending.delete(message.id);
        return;
      }
      const checked = checkEvent(message.event);
      if (checked) for (const listener of eventListeners) listener(checked);
    };
    ws.onerror = () => {};
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      failPending();
      setState('closed');
      if (closed) return;
      const delay = delays[Math.min(attempt, delays.length - 1)] ?? 1000;
      attempt++;
      retry = setTimeout(connect, delay);
    };
  };

  const invoke = (name: CallName, params: unknown): Promise<Result<unknown>> => {
    if (!socket || socket.readyState !== OPEN) return Promise.resolve(notConnected());
    const id = nextId++;
    const ws = socket;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      ws.send(JSON.stringify({ kind: 'call', id, name, params }));
    });
  };

  connect();

  return {
    api: createRemoteApi(invoke, (listener) => {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    }),
    get state() {
      return state;
    },
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    onMenuCommand: () => () => {},
    close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const ws = socket;
      socket = null;
      failPending();
      ws?.close(1000, 'page closing');
      setState('closed');
    },
  };
}
