// A libvirt connection over an already-open byte stream: the open handshake (AUTH_LIST, polkit,
// keepalive feature, exactly one CONNECT_OPEN), typed procedure calls from the table, and event
// subscriptions routed by callback id.
import type { Duplex } from 'node:stream';
import { RpcError } from './errors';
import {
  decodeEvent,
  EVENT_REGISTRATION,
  type EventKind,
  type EventOf,
  type LibvirtEvent,
} from './events';
import {
  type ArgsOf,
  argsWriter,
  bindProcedures,
  type CallOptions,
  decodeReturn,
  KEEPALIVE_FEATURE,
  type ProcedureMethods,
  type ProcedureName,
  procedures,
  type ReturnOf,
} from './procedures';
import { AuthType, ConnectFlags, type Domain, type Network } from './protocol';
import { DEFAULT_KEEPALIVE, type KeepaliveOptions, RpcConnection } from './rpc';

export interface OpenOptions {
  /** The URI libvirtd opens on its side, e.g. "qemu:///system"; "" lets it probe. */
  name: string;
  readOnly?: boolean;
  /** false disables keepalive (then a dead peer is only noticed when the stream ends). */
  keepalive?: KeepaliveOptions | false;
  /** Default per-call timeout in ms. */
  callTimeoutMs?: number;
  /** Timeout of each handshake call. */
  openTimeoutMs?: number;
}

export interface SubscribeFilter {
  /** Only events of this domain (domain kinds) ... */
  dom?: Domain;
  /** ... or of this network (network kinds). */
  net?: Network;
}

export interface Subscription {
  readonly kind: EventKind;
  /** Asks libvirtd to stop sending these events; never throws on a dead connection. */
  unsubscribe(): Promise<void>;
}

type Listener = (event: LibvirtEvent) => void;

interface Registered {
  kind: EventKind;
  listener: Listener;
}

/** The core of a client; the procedure methods are added by `openClient`. */
export class ClientCore {
  private readonly subscriptions = new Map<number, Registered>();

  constructor(readonly rpc: RpcConnection) {
    rpc.onMessage((frame) => {
      let decoded: ReturnType<typeof decodeEvent>;
      try {
        decoded = decodeEvent(frame.header.proc, frame.payload);
      } catch {
        return; // a malformed event is dropped, the connection stays usable
      }
      if (!decoded) return;
      const sub = this.subscriptions.get(decoded.callbackID);
      if (sub && sub.kind === decoded.event.kind) sub.listener(decoded.event);
    });
  }

  call<K extends ProcedureName>(
    name: K,
    args: ArgsOf<K>,
    options?: CallOptions,
  ): Promise<ReturnOf<K>> {
    return this.rpc
      .call(procedures[name].proc, name, argsWriter(name, args), options)
      .then((payload) => decodeReturn(name, payload));
  }

  get isOpen(): boolean {
    return this.rpc.isOpen;
  }

  /** Resolves with the reason once the connection is gone. */
  get closed(): Promise<RpcError> {
    return this.rpc.closed;
  }

  /**
   * Registers with libvirtd for one kind of event. Listeners run on the read loop: keep them
   * short (queue work elsewhere). Exceptions thrown by a listener are swallowed.
   */
  async subscribe<K extends EventKind>(
    kind: K,
    listener: (event: EventOf<K>) => void,
    filter: SubscribeFilter = {},
  ): Promise<Subscription> {
    const reg = EVENT_REGISTRATION[kind];
    const callbackID =
      reg.family === 'domain'
        ? await this.call('connectDomainEventCallbackRegisterAny', {
            eventID: reg.eventId,
            dom: filter.dom ?? null,
          })
        : await this.call('connectNetworkEventRegisterAny', {
            eventID: reg.eventId,
            net: filter.net ?? null,
          });
    this.subscriptions.set(callbackID, { kind, listener: listener as Listener });
    let active = true;
    return {
      kind,
      unsubscribe: async () => {
        if (!active) return;
        active = false;
        this.subscriptions.delete(callbackID);
        if (!this.rpc.isOpen) return;
        try {
          await (reg.family === 'domain'
            ? this.call('connectDomainEventCallbackDeregisterAny', callbackID)
            : this.call('connectNetworkEventDeregisterAny', callbackID));
        } catch (err) {
          if (!(err instanceof RpcError)) throw err;
        }
      },
    };
  }

  /** CONNECT_CLOSE, then the stream ends (libvirtd closes its side too). */
  async close(): Promise<void> {
    if (!this.rpc.isOpen) return;
    try {
      await this.call('connectClose', undefined, { timeoutMs: 5_000 });
    } catch {
      // closing anyway
    } finally {
      this.rpc.close();
    }
  }
}

export type LibvirtClient = ClientCore & ProcedureMethods;

/**
 * Runs libvirt's open sequence on `stream` and returns the client. On any failure the stream
 * is destroyed and the error is thrown (LibvirtError, RpcError).
 */
export async function openClient(stream: Duplex, options: OpenOptions): Promise<LibvirtClient> {
  const rpc = new RpcConnection(stream, options.callTimeoutMs);
  const core = new ClientCore(rpc);
  const client = Object.assign(core, bindProcedures(core.call.bind(core))) as LibvirtClient;
  const timeoutMs = options.openTimeoutMs ?? 30_000;
  try {
    const types = await client.authList({ timeoutMs });
    if (!types.includes(AuthType.None)) {
      if (types.includes(AuthType.Polkit)) {
        await client.authPolkit({ timeoutMs });
      } else {
        throw new RpcError(
          'auth-unsupported',
          `libvirtd asks for authentication types [${types.join(', ')}]; only none and polkit ` +
            'are supported (connect as a user libvirtd lets in, e.g. root or the libvirt group)',
        );
      }
    }
    const keepalive = options.keepalive ?? DEFAULT_KEEPALIVE;
    if (keepalive) {
      const supported = await client.connectSupportsFeature(KEEPALIVE_FEATURE, { timeoutMs });
      if (supported === 1) rpc.startKeepalive(keepalive);
    }
    // Exactly once: a second CONNECT_OPEN fails and drops the live hypervisor connection.
    await client.connectOpen(
      { name: options.name, flags: options.readOnly ? ConnectFlags.ReadOnly : 0 },
      { timeoutMs },
    );
  } catch (err) {
    rpc.close();
    throw err;
  }
  return client;
}
