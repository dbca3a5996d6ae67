import { WebSocket } from 'ws';
import {
  type ChaosApi,
  ClientMessage,
  checkEvent,
  dispatchCall,
  fail,
  type ServerMessage,
} from '../../shared/api';

// One WebSocket client of the contract: calls in, results and events out. Slow clients never
// hold the engine up: past a bound of unsent data the client is dropped and, on reconnecting,
// reads the inventory afresh.

export const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

export type Log = (line: string) => void;

export function serveConnection(ws: WebSocket, api: ChaosApi, log: Log): void {
  const send = (message: ServerMessage) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      log('a client stopped reading: dropping it (it reloads the inventory when it reconnects)');
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(message));
  };

  const unsubscribe = api.subscribe((event) => {
    const checked = checkEvent(event);
    if (checked) send({ kind: 'event', event: checked });
    else log(`engine emitted an event outside the contract; not forwarded: ${describe(event)}`);
  });
  ws.on('close', unsubscribe);

  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.close(1003, 'text frames only');
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      ws.close(1007, 'not JSON');
      return;
    }
    const parsed = ClientMessage.safeParse(message);
    if (!parsed.success) {
      const id = (message as { id?: unknown } | null)?.id;
      if (typeof id === 'number' && Number.isInteger(id) && id >= 0) {
        send({ kind: 'result', id, result: fail('invalid-request', 'not a call message') });
      } else {
        ws.close(1008, 'not a call message');
      }
      return;
    }
    const { id, name, params } = parsed.data;
    void dispatchCall(api, name, params).then((result) => send({ kind: 'result', id, result }));
  });
}

function describe(event: unknown): string {
  const type = (event as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : typeof event;
}
