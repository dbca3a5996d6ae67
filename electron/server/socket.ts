import { WebSocket } from 'ws';
import {
  type ChaosApi,
  ClientMessage,
  checkEvent,
  dispatchCall,
  fail,
  type Result,
  type ServerMessage,
} from '../../shared/api';

// One WebSocket client of the contract: calls in, results and events out. No client can hold
// the engine or the other clients up: its frames wait in a bounded queue of its own, are taken
// at a bounded rate, at most a few of its calls run at once and at most one of its changes, and
// past the bound its socket is paused so TCP pushes back on it. Slow readers are dropped and, on
// reconnecting, read the inventory afresh. Bad frames close that client only.

export const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

export type Log = (line: string) => void;

export type ClientLimits = {
  /** Frames taken per second, on average ... */
  ratePerSecond: number;
  /** ... and at once after a quiet spell. */
  burst: number;
  /** Calls of this client running at once (changes: one). */
  inFlight: number;
  /** Frames waiting: the socket is paused at this many, and the client closed (1008) at twice. */
  queued: number;
};

export const DEFAULT_LIMITS: ClientLimits = {
  ratePerSecond: 50,
  burst: 100,
  inFlight: 4,
  queued: 64,
};

/** Calls that change a host or the engine's hosts: logged, and one at a time per client. */
const CHANGES: ReadonlySet<string> = new Set([
  'chaos.apply',
  'chaos.heal',
  'chaos.undo',
  'protection.set',
  'protection.clear',
  'hosts.add',
  'hosts.remove',
  'hosts.connect',
  'hosts.disconnect',
]);

export function serveConnection(
  ws: WebSocket,
  api: ChaosApi,
  log: Log,
  name = 'a client',
  limits: ClientLimits = DEFAULT_LIMITS,
): void {
  const send = (message: ServerMessage) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      log(`${name} stopped reading: dropping it (it reloads the inventory when it reconnects)`);
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(message));
  };
  const close = (code: number, reason: string) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.close(code, reason);
    // A paused socket would never read the peer's answer to the close.
    if (paused) ws.resume();
  };

  const unsubscribe = api.subscribe((event) => {
    const checked = checkEvent(event);
    if (checked) send({ kind: 'event', event: checked });
    else log(`engine emitted an event outside the contract; not forwarded: ${describe(event)}`);
  });

  const queue: string[] = [];
  let tokens = limits.burst;
  let refilledAt = Date.now();
  let running = 0;
  let changing = false;
  let paused = false;
  let wake: NodeJS.Timeout | undefined;
  let taken = 0;

  ws.on('close', (code, reason) => {
    clearTimeout(wake);
    queue.length = 0;
    unsubscribe();
    log(`${name} left (${code}${reason.length ? `: ${reason.toString()}` : ''}; ${taken} frames)`);
  });
  // ws has already chosen the close code (1007 invalid UTF-8, 1009 too big, 1002 protocol) and
  // closes this client; without a listener the error would end the whole server.
  ws.on('error', (error) => log(`${name}: ${error.message}; closing it`));

  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      close(1003, 'text frames only');
      return;
    }
    queue.push(data.toString());
    if (queue.length >= 2 * limits.queued) {
      queue.length = 0;
      log(`${name} sent more than ${2 * limits.queued} frames ahead of its answers: closing it`);
      close(1008, 'too many messages: wait for answers');
      return;
    }
    if (queue.length >= limits.queued && !paused) {
      paused = true;
      ws.pause();
    }
    pump();
  });

  function pump() {
    while (queue.length > 0 && running < limits.inFlight && ws.readyState === WebSocket.OPEN) {
      const now = Date.now();
      tokens = Math.min(limits.burst, tokens + ((now - refilledAt) / 1000) * limits.ratePerSecond);
      refilledAt = now;
      if (tokens < 1) {
        clearTimeout(wake);
        wake = setTimeout(pump, Math.ceil(((1 - tokens) / limits.ratePerSecond) * 1000));
        return;
      }
      const call = parse(queue[0] as string);
      if (call === 'closed') return;
      if (call !== null && CHANGES.has(call.name) && changing) return; // after its change, in order
      queue.shift();
      tokens -= 1;
      taken += 1;
      if (call !== null) run(call);
    }
    if (paused && queue.length < limits.queued / 2) {
      paused = false;
      ws.resume();
    }
  }

  /** The call in a frame; null when it was answered (bad call), 'closed' when the frame closed the client. */
  function parse(frame: string): ClientMessage | null | 'closed' {
    let message: unknown;
    try {
      message = JSON.parse(frame);
    } catch {
      close(1007, 'not JSON');
      return 'closed';
    }
    const parsed = ClientMessage.safeParse(message);
    if (parsed.success) return parsed.data;
    const id = (message as { id?: unknown } | null)?.id;
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0) {
      send({ kind: 'result', id, result: fail('invalid-request', 'not a call message') });
      return null;
    }
    close(1008, 'not a call message');
    return 'closed';
  }

  function run({ id, name: call, params }: ClientMessage) {
    const change = CHANGES.has(call);
    const started = Date.now();
    running += 1;
    if (change) changing = true;
    void dispatchCall(api, call, params).then((result) => {
      running -= 1;
      if (change) {
        changing = false;
        log(`${name} ${call}: ${outcome(result)} (${Date.now() - started} ms)`);
      }
      send({ kind: 'result', id, result });
      pump();
    });
  }
}

function outcome(result: Result<unknown>): string {
  if (!result.ok) return `refused or failed, ${result.error.code}: ${result.error.message}`;
  const cutIds = (result.value as { cutIds?: unknown } | null)?.cutIds;
  return Array.isArray(cutIds) ? `ok, ${cutIds.length} cut(s): ${cutIds.join(' ')}` : 'ok';
}

function describe(event: unknown): string {
  const type = (event as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : typeof event;
}
