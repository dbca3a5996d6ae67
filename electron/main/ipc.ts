import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent } from 'electron';
import {
  type ChaosApi,
  type ChaosEvent,
  callNames,
  checkEvent,
  dispatchCall,
  fail,
  ipcChannel,
  type Result,
} from '../../shared/api';
import { originOf } from './security';

// The IPC host of the contract: one handler per call (chaos:<call>), each validating through
// dispatchCall exactly as the WebSocket host does, and one event channel fed by a relay that
// holds events until the page says it is listening.

export type IpcHost = Pick<IpcMain, 'handle' | 'removeHandler'>;
type SenderEvent = Pick<IpcMainInvokeEvent | IpcMainEvent, 'sender' | 'senderFrame'>;

/** Only the app's own page, in its window's top frame, may call the engine. */
export function appSender(
  contentsId: () => number | null,
  allowedOrigin: string,
): (event: SenderEvent) => boolean {
  return (event) => {
    const frame = event.senderFrame;
    return (
      frame !== null &&
      event.sender.id === contentsId() &&
      frame.parent === null &&
      originOf(frame.url) === allowedOrigin
    );
  };
}

/** Registers every call; returns what removes them again. Handlers never throw: errors are data. */
export function registerCallHandlers(
  ipc: IpcHost,
  api: ChaosApi,
  trusted: (event: SenderEvent) => boolean,
): () => void {
  for (const name of callNames) {
    ipc.handle(ipcChannel(name), (event, params: unknown): Promise<Result<unknown>> => {
      if (!trusted(event)) {
        return Promise.resolve(
          fail('unauthorized', `${name}: only the kvm-chaos window may call the engine.`),
        );
      }
      return dispatchCall(api, name, params);
    });
  }
  return () => {
    for (const name of callNames) ipc.removeHandler(ipcChannel(name));
  };
}

const PROMPT_TYPES: ReadonlySet<ChaosEvent['type']> = new Set([
  'hostKey.prompt',
  'passphrase.prompt',
]);

function promptIdOf(event: ChaosEvent): string | null {
  if (event.type === 'hostKey.prompt' || event.type === 'passphrase.prompt') {
    return event.prompt.promptId;
  }
  return null;
}

/**
 * Engine events on their way to the page. Until the page says it is ready they wait in order
 * (a host-key prompt raised while the page loads must not be lost, or the connection would hang
 * until the prompt times out); when the page reloads, the prompts still open are queued again,
 * since the new page never saw them. The queue is bounded: the oldest events go first, and the
 * page recovers what it missed through inventory.get (a patch at another revision asks for it).
 */
export class EventRelay {
  private queue: ChaosEvent[] = [];
  private readonly openPrompts = new Map<string, ChaosEvent>();
  private isReady = false;
  dropped = 0;

  constructor(
    private readonly send: (event: ChaosEvent) => void,
    private readonly maxQueued = 1000,
    private readonly onInvalid: (event: unknown) => void = () => {},
  ) {}

  get ready(): boolean {
    return this.isReady;
  }

  push(raw: unknown): void {
    const event = checkEvent(raw);
    if (!event) {
      this.onInvalid(raw);
      return;
    }
    const promptId = promptIdOf(event);
    if (promptId !== null) this.openPrompts.set(promptId, event);
    if (event.type === 'prompt.closed') this.openPrompts.delete(event.promptId);

    if (this.isReady) {
      this.send(event);
      return;
    }
    this.queue.push(event);
    if (this.queue.length > this.maxQueued) {
      // Drop the oldest event that is not a prompt: prompts wait for an answer.
      const i = this.queue.findIndex((e) => !PROMPT_TYPES.has(e.type));
      this.queue.splice(i === -1 ? 0 : i, 1);
      this.dropped++;
    }
  }

  /** The page subscribed: deliver what waited, then everything live. */
  markReady(): void {
    if (this.isReady) return;
    this.isReady = true;
    const waiting = this.queue;
    this.queue = [];
    for (const event of waiting) this.send(event);
  }

  /** The page is going away (reload, navigation): hold events again, starting with open prompts. */
  markNotReady(): void {
    if (!this.isReady) return;
    this.isReady = false;
    this.queue = [...this.openPrompts.values()];
  }
}
