// A connection that outlives its transport: dials (unix socket or ssh), opens, reports its
// state, reconnects with backoff when the link or libvirtd drops, and re-registers event
// subscriptions. Calls made while there is no link fail at once with RpcError
// 'not-connected'; calls in flight when it drops fail at once with 'disconnected'.
import type { Duplex } from 'node:stream';
import { type LibvirtClient, openClient, type SubscribeFilter, type Subscription } from './client';
import { RpcError, TransportError } from './errors';
import type { EventKind, EventOf, LibvirtEvent } from './events';
import {
  type ArgsOf,
  bindProcedures,
  type CallOptions,
  type ProcedureMethods,
  type ProcedureName,
  type ReturnOf,
} from './procedures';
import type { KeepaliveOptions } from './rpc';
import { carryHostCommand } from './transport/host-command';
import { dialSsh, type SshDialOptions } from './transport/ssh';
import { dialUnix } from './transport/unix';
import { type ConnectTarget, parseConnectUri, remoteProxyCommand } from './uri';

export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'connected'; since: number; reconnected: boolean }
  | { state: 'lost'; error: Error }
  | { state: 'reconnecting'; attempt: number; delayMs: number; error: Error }
  /** Gave up: an error retrying cannot fix (host key, credentials, bad URI). */
  | { state: 'failed'; error: Error }
  | { state: 'closed' };

export interface ReconnectOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  factor?: number;
  /** Attempts before giving up (state 'failed'); default unlimited. */
  maxAttempts?: number;
  /**
   * A link must stay up this long before the backoff starts again from its first delay; a link
   * that drops as soon as it opens (its first reads fail) keeps backing off. Default 30 s.
   */
  stableAfterMs?: number;
}

/** Opens the byte stream to libvirtd for a target; the default picks unix or ssh. */
export type Dialer = (target: ConnectTarget, options: ConnectOptions) => Promise<Duplex>;

export interface ConnectOptions extends SshDialOptions {
  /** Replaces the built-in transports (e.g. an in-memory peer in unit tests). */
  dialer?: Dialer;
  readOnly?: boolean;
  keepalive?: KeepaliveOptions | false;
  callTimeoutMs?: number;
  /** Timeout of each call of the opening handshake (default 30 s). */
  openTimeoutMs?: number;
  /** false: no reconnection, the connection ends in 'failed' when the link drops. */
  reconnect?: ReconnectOptions | false;
  /** Called on every state change, including the first 'connecting'. */
  onState?: (state: ConnectionState) => void;
}

const PERMANENT: ReadonlySet<string> = new Set([
  'host-key-changed',
  'host-key-revoked',
  'host-key-unknown',
  'auth-failed',
  'bad-target',
  'auth-unsupported',
]);

/** The most specific cause: a TransportError hidden under RpcErrors, else the error itself. */
function rootCause(err: unknown): Error {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof TransportError) return e;
  }
  return err instanceof Error ? err : new Error(String(err));
}

function isPermanent(err: Error): boolean {
  return (err instanceof TransportError || err instanceof RpcError) && PERMANENT.has(err.code);
}

export const dialTarget: Dialer = (target, options) =>
  target.transport === 'unix'
    ? dialUnix(target.socketPath)
    : dialSsh(
        target,
        remoteProxyCommand({ ...target, readOnly: options.readOnly ?? false }),
        options,
      );

/** Dials the target's transport and runs the open handshake. */
export async function openTarget(
  target: ConnectTarget,
  options: ConnectOptions = {},
): Promise<LibvirtClient> {
  const stream = await (options.dialer ?? dialTarget)(target, options);
  try {
    const client = await openClient(stream, {
      name: target.name,
      readOnly: options.readOnly ?? false,
      ...(options.keepalive !== undefined ? { keepalive: options.keepalive } : {}),
      ...(options.callTimeoutMs !== undefined ? { callTimeoutMs: options.callTimeoutMs } : {}),
      ...(options.openTimeoutMs !== undefined ? { openTimeoutMs: options.openTimeoutMs } : {}),
    });
    carryHostCommand(stream, client);
    return client;
  } catch (err) {
    const cause = rootCause(err);
    const late = unanswered(cause);
    if (late) {
      throw new RpcError(
        'timeout',
        `libvirtd on ${describeTarget(target)} did not answer within ${late.seconds} s while ` +
          `opening the connection (${late.call}): is it running, and not stopped or stuck?`,
        { cause },
      );
    }
    throw cause;
  }
}

/** The call and the wait of the rpc layer's timeout ("<call>: no reply within <n> ms"). */
function unanswered(err: unknown): { call: string; seconds: number } | null {
  if (!(err instanceof RpcError) || err.code !== 'timeout') return null;
  const m = /^(\w+): no reply within (\d+) ms$/.exec(err.message);
  return m ? { call: m[1] as string, seconds: Number(m[2]) / 1000 } : null;
}

/** The target in a few words, never with credentials. */
export function describeTarget(target: ConnectTarget): string {
  if (target.transport === 'unix') return `this machine (${target.socketPath})`;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.user ? `${target.user}@` : ''}${host}${target.port ? `:${target.port}` : ''}`;
}

interface Persistent {
  kind: EventKind;
  listener: (event: LibvirtEvent) => void;
  filter: SubscribeFilter;
  inner: Subscription | null;
  active: boolean;
}

export class Connection {
  private current: LibvirtClient | null = null;
  private stateValue: ConnectionState = { state: 'connecting' };
  private readonly listeners = new Set<(s: ConnectionState) => void>();
  private readonly subscriptions = new Set<Persistent>();
  private retryTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  /** Attempts since the last link that stayed up (see ReconnectOptions.stableAfterMs). */
  private attempts = 0;
  private connectedAt = 0;

  constructor(
    readonly target: ConnectTarget,
    private readonly options: ConnectOptions = {},
  ) {
    if (options.onState) this.listeners.add(options.onState);
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The open client, or null while there is no link. */
  get client(): LibvirtClient | null {
    return this.current;
  }

  onState(listener: (s: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  call<K extends ProcedureName>(
    name: K,
    args: ArgsOf<K>,
    options?: CallOptions,
  ): Promise<ReturnOf<K>> {
    const client = this.current;
    if (!client) {
      return Promise.reject(
        new RpcError('not-connected', `${name}: not connected (${this.stateValue.state})`),
      );
    }
    return client.call(name, args, options).catch((err: unknown) => {
      throw this.inWords(err);
    });
  }

  /** A call's timeout said with the host it waited on, in seconds. */
  private inWords(err: unknown): unknown {
    const late = unanswered(err);
    if (!late) return err;
    return new RpcError(
      'timeout',
      `libvirtd on ${describeTarget(this.target)} did not answer ${late.call} within ${late.seconds} s`,
      { cause: err },
    );
  }

  /**
   * Subscribes for the life of this connection: re-registered with libvirtd after every
   * reconnect. Events that happen while the link is down are lost; a 'connected' state with
   * `reconnected: true` is the cue to re-read whatever the events were keeping up to date.
   */
  async subscribe<K extends EventKind>(
    kind: K,
    listener: (event: EventOf<K>) => void,
    filter: SubscribeFilter = {},
  ): Promise<Subscription> {
    const sub: Persistent = {
      kind,
      listener: listener as (event: LibvirtEvent) => void,
      filter,
      inner: null,
      active: true,
    };
    this.subscriptions.add(sub);
    if (this.current) await this.register(this.current, sub);
    return {
      kind,
      unsubscribe: async () => {
        sub.active = false;
        this.subscriptions.delete(sub);
        await sub.inner?.unsubscribe();
      },
    };
  }

  /** First connection; throws (and ends in 'failed') when it cannot be made. */
  async start(): Promise<void> {
    this.setState({ state: 'connecting' });
    try {
      await this.establish(false);
    } catch (err) {
      const error = rootCause(err);
      this.setState({ state: 'failed', error });
      throw error;
    }
  }

  async close(): Promise<void> {
    this.generation++;
    clearTimeout(this.retryTimer);
    const client = this.current;
    this.current = null;
    if (this.stateValue.state !== 'closed') this.setState({ state: 'closed' });
    await client?.close();
  }

  private async establish(reconnected: boolean): Promise<void> {
    const generation = this.generation;
    const client = await openTarget(this.target, this.options);
    if (generation !== this.generation) {
      await client.close(); // closed while we were dialing
      return;
    }
    this.current = client;
    this.connectedAt = Date.now();
    client.rpc.onClosed((reason) => this.onLost(client, reason));
    for (const sub of this.subscriptions) await this.register(client, sub).catch(() => {});
    if (this.current === client) {
      this.setState({ state: 'connected', since: Date.now(), reconnected });
    }
  }

  private async register(client: LibvirtClient, sub: Persistent): Promise<void> {
    const inner = await client.subscribe(sub.kind, sub.listener, sub.filter);
    if (sub.active && this.current === client) sub.inner = inner;
    else await inner.unsubscribe();
  }

  private onLost(client: LibvirtClient, reason: RpcError): void {
    if (this.current !== client) return;
    this.current = null;
    for (const sub of this.subscriptions) sub.inner = null;
    const error = rootCause(reason);
    this.setState({ state: 'lost', error });
    if (this.options.reconnect === false) {
      this.setState({ state: 'failed', error });
      return;
    }
    const stableAfterMs = this.options.reconnect?.stableAfterMs ?? 30_000;
    if (Date.now() - this.connectedAt >= stableAfterMs) this.attempts = 0;
    this.scheduleRetry(this.attempts + 1, error);
  }

  private scheduleRetry(attempt: number, error: Error): void {
    this.attempts = attempt;
    const opts = this.options.reconnect || {};
    if (attempt > (opts.maxAttempts ?? Number.POSITIVE_INFINITY)) {
      this.setState({ state: 'failed', error });
      return;
    }
    const base = (opts.initialDelayMs ?? 250) * (opts.factor ?? 2) ** (attempt - 1);
    const capped = Math.min(base, opts.maxDelayMs ?? 15_000);
    const delayMs = Math.round(capped * (0.8 + Math.random() * 0.4));
    this.setState({ state: 'reconnecting', attempt, delayMs, error });
    const generation = this.generation;
    this.retryTimer = setTimeout(() => {
      if (generation !== this.generation) return;
      this.establish(true).catch((err: unknown) => {
        if (generation !== this.generation) return;
        const cause = rootCause(err);
        if (isPermanent(cause)) this.setState({ state: 'failed', error: cause });
        else this.scheduleRetry(attempt + 1, cause);
      });
    }, delayMs);
  }

  private setState(state: ConnectionState): void {
    this.stateValue = state;
    for (const listener of this.listeners) {
      try {
        listener(state);
      } catch {}
    }
  }
}

export type LibvirtConnection = Connection & ProcedureMethods;

/**
 * Connects to libvirtd named by `uri` (see uri.ts: qemu:///system, qemu+ssh://..., ssh://...,
 * an ssh alias; empty for the local socket) and returns a connection with one typed method per
 * procedure. Throws TransportError / RpcError / LibvirtError when the first connection fails.
 */
export async function connect(
  uri: string | undefined,
  options: ConnectOptions = {},
): Promise<LibvirtConnection> {
  const target = parseConnectUri(uri, options.readOnly ?? false);
  const connection = new Connection(target, options);
  const methods = bindProcedures((name, args, callOptions) =>
    connection.call(name, args, callOptions),
  );
  await connection.start();
  return Object.assign(connection, methods);
}
