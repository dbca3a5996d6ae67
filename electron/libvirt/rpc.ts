// The RPC layer: owns serials and the map of pending calls over one byte stream, answers and
// sends keepalive pings, and hands MESSAGE frames (events) to a listener. When the stream ends
// every pending call fails at once, so nothing ever waits on a dead connection.
import type { Duplex } from 'node:stream';
import { LibvirtError, RpcError } from './errors';
import { encodeFrame, type Frame, FrameDecoder, MessageStatus, MessageType } from './framing';
import {
  KEEPALIVE_PROGRAM,
  KEEPALIVE_PROTOCOL_VERSION,
  KeepaliveProc,
  REMOTE_PROGRAM,
  REMOTE_PROTOCOL_VERSION,
  remoteError,
} from './protocol';
import { decode, XdrError, type XdrWriter } from './xdr';

export interface KeepaliveOptions {
  /** Send a PING after this long without receiving anything. libvirt's default: 5 s. */
  intervalMs: number;
  /** Declare the peer dead after this many unanswered PINGs. libvirt's default: 5. */
  count: number;
}

export const DEFAULT_KEEPALIVE: KeepaliveOptions = { intervalMs: 5_000, count: 5 };
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;

export interface RpcCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  resolve: (payload: Buffer) => void;
  reject: (err: Error) => void;
  procedure: string;
  timer: NodeJS.Timeout | undefined;
  cleanup: () => void;
}

export type MessageListener = (frame: Frame) => void;

export class RpcConnection {
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, Pending>();
  private nextSerial = 1;
  private failure: RpcError | null = null;
  private readonly closedListeners = new Set<(err: RpcError) => void>();
  private messageListener: MessageListener | null = null;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private lastReceived = Date.now();
  private unansweredPings = 0;
  private lastPingSent = 0;
  private transportError: Error | null = null;
  /** Resolves once, with the reason, when the connection is gone. */
  readonly closed: Promise<RpcError>;

  constructor(
    private readonly stream: Duplex,
    private readonly defaultTimeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  ) {
    this.closed = new Promise((resolve) => this.closedListeners.add(resolve));
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (err: Error) => {
      this.transportError ??= err;
      this.fail(new RpcError('disconnected', `connection error: ${err.message}`, { cause: err }));
    });
    stream.on('end', () => this.fail(this.endError('the peer closed the connection')));
    stream.on('close', () => this.fail(this.endError('the connection closed')));
  }

  get isOpen(): boolean {
    return this.failure === null;
  }

  onMessage(listener: MessageListener | null): void {
    this.messageListener = listener;
  }

  onClosed(listener: (err: RpcError) => void): () => void {
    if (this.failure) {
      const failure = this.failure;
      queueMicrotask(() => listener(failure));
      return () => {};
    }
    this.closedListeners.add(listener);
    return () => this.closedListeners.delete(listener);
  }

  /**
   * Sends one CALL of the remote program and resolves with the reply payload. A REPLY with
   * status ERROR rejects with LibvirtError.
   */
  call(
    proc: number,
    procedure: string,
    writeArgs: ((w: XdrWriter) => void) | undefined,
    options: RpcCallOptions = {},
  ): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (options.signal?.aborted) {
      return Promise.reject(new RpcError('aborted', `${procedure} aborted before it was sent`));
    }
    const serial = this.takeSerial();
    let frame: Buffer;
    try {
      frame = encodeFrame(
        {
          prog: REMOTE_PROGRAM,
          vers: REMOTE_PROTOCOL_VERSION,
          proc,
          type: MessageType.Call,
          serial,
          status: MessageStatus.Ok,
        },
        writeArgs,
      );
    } catch (err) {
      // Bad arguments (XdrError) fail the call before anything is sent.
      return Promise.reject(err);
    }
    return new Promise<Buffer>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
      const onAbort = () =>
        this.settle(serial, new RpcError('aborted', `${procedure} aborted by the caller`));
      const entry: Pending = {
        resolve,
        reject,
        procedure,
        timer:
          timeoutMs > 0 && Number.isFinite(timeoutMs)
            ? setTimeout(
                () =>
                  this.settle(
                    serial,
                    new RpcError('timeout', `${procedure}: no reply within ${timeoutMs} ms`),
                  ),
                timeoutMs,
              )
            : undefined,
        cleanup: () => options.signal?.removeEventListener('abort', onAbort),
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(serial, entry);
      this.stream.write(frame);
    });
  }

  /**
   * Starts client-side keepalive: PING after `intervalMs` of silence, give up after `count`
   * unanswered. Only after the daemon said it supports keepalive (it answers PINGs then).
   */
  startKeepalive(options: KeepaliveOptions = DEFAULT_KEEPALIVE): void {
    if (this.keepaliveTimer || this.failure) return;
    this.lastReceived = Date.now();
    const tick = Math.max(10, Math.floor(options.intervalMs / 4));
    this.keepaliveTimer = setInterval(() => this.keepaliveTick(options), tick);
    this.keepaliveTimer.unref();
  }

  private keepaliveTick(options: KeepaliveOptions): void {
    // Silence counts from the last thing received or the last PING sent, so PINGs go one
    // interval apart and the peer is dead after interval x (count + 1), as in libvirt.
    const now = Date.now();
    if (now - Math.max(this.lastReceived, this.lastPingSent) < options.intervalMs) return;
    if (this.unansweredPings >= options.count) {
      const silentMs = now - this.lastReceived;
      this.fail(
        new RpcError('dead-peer', `no answer from libvirtd for ${silentMs} ms (keepalive)`),
      );
      this.stream.destroy();
      return;
    }
    this.unansweredPings++;
    this.lastPingSent = now;
    this.sendKeepalive(KeepaliveProc.Ping);
  }

  /** Fails every pending call with `reason` and closes the stream. */
  close(reason = new RpcError('closed', 'connection closed by the client')): void {
    this.fail(reason);
    this.stream.destroy();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private takeSerial(): number {
    const serial = this.nextSerial;
    this.nextSerial = this.nextSerial >= 0xffff_ffff ? 1 : this.nextSerial + 1;
    return serial;
  }

  private endError(what: string): RpcError {
    const cause = this.transportError;
    return new RpcError('disconnected', cause ? `${what}: ${cause.message}` : what, { cause });
  }

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    this.unansweredPings = 0;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.close(
        new RpcError('protocol', `libvirtd sent a malformed frame: ${(err as Error).message}`, {
          cause: err,
        }),
      );
      return;
    }
    for (const frame of frames) this.route(frame);
  }

  private route(frame: Frame): void {
    const { header } = frame;
    if (header.prog === KEEPALIVE_PROGRAM) {
      if (header.proc === KeepaliveProc.Ping) this.sendKeepalive(KeepaliveProc.Pong);
      return;
    }
    if (header.prog !== REMOTE_PROGRAM) return;
    if (header.type === MessageType.Message) {
      // Never let a listener's exception break the read loop.
      try {
        this.messageListener?.(frame);
      } catch {}
      return;
    }
    if (header.type !== MessageType.Reply) return;
    const entry = this.pending.get(header.serial);
    if (!entry) return; // a reply to a call that already timed out or was aborted
    if (header.status === MessageStatus.Ok) {
      this.settle(header.serial, frame.payload);
      return;
    }
    try {
      this.settle(
        header.serial,
        new LibvirtError(decode(remoteError, frame.payload), entry.procedure),
      );
    } catch (err) {
      const reason = err instanceof XdrError ? err.message : String(err);
      this.settle(
        header.serial,
        new RpcError('protocol', `${entry.procedure}: undecodable error reply: ${reason}`),
      );
    }
  }

  private settle(serial: number, outcome: Buffer | Error): void {
    const entry = this.pending.get(serial);
    if (!entry) return;
    this.pending.delete(serial);
    if (entry.timer) clearTimeout(entry.timer);
    entry.cleanup();
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  }

  private sendKeepalive(proc: number): void {
    if (this.failure) return;
    this.stream.write(
      encodeFrame({
        prog: KEEPALIVE_PROGRAM,
        vers: KEEPALIVE_PROTOCOL_VERSION,
        proc,
        type: MessageType.Message,
        serial: 0,
        status: MessageStatus.Ok,
      }),
    );
  }

  private fail(err: RpcError): void {
    if (this.failure) return;
    this.failure = err;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    for (const serial of [...this.pending.keys()]) {
      const procedure = this.pending.get(serial)?.procedure ?? 'call';
      this.settle(
        serial,
        new RpcError(err.code, `${procedure} interrupted: ${err.message}`, { cause: err }),
      );
    }
    for (const listener of this.closedListeners) listener(err);
    this.closedListeners.clear();
  }
}
