// Events libvirtd pushes as type MESSAGE (with serial 1, so they are routed by type, never by
// serial). One table maps each event procedure to its codec and to the typed event we emit.
import {
  type Domain,
  DomainEventId,
  domain,
  type Network,
  NetworkEventId,
  network,
  nonnullString,
  optString,
} from './protocol';
import { type AnyCodec, type Codec, type Decoded, decode, xdr } from './xdr';

export const DOMAIN_LIFECYCLE_EVENTS = [
  'defined',
  'undefined',
  'started',
  'suspended',
  'resumed',
  'stopped',
  'shutdown',
  'pmsuspended',
  'crashed',
] as const;
export type DomainLifecycleEventName = (typeof DOMAIN_LIFECYCLE_EVENTS)[number];

const DOMAIN_LIFECYCLE_DETAILS: Record<DomainLifecycleEventName, readonly string[]> = {
  defined: ['added', 'updated', 'renamed', 'from-snapshot'],
  undefined: ['removed', 'renamed'],
  started: ['booted', 'migrated', 'restored', 'from-snapshot', 'wakeup'],
  suspended: [
    'paused',
    'migrated',
    'ioerror',
    'watchdog',
    'restored',
    'from-snapshot',
    'api-error',
    'postcopy',
    'postcopy-failed',
  ],
  resumed: ['unpaused', 'migrated', 'from-snapshot', 'postcopy', 'postcopy-failed'],
  stopped: ['shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from-snapshot'],
  shutdown: ['finished', 'guest', 'host'],
  pmsuspended: ['memory', 'disk'],
  crashed: ['panicked', 'crashloaded'],
};

export const NETWORK_LIFECYCLE_EVENTS = ['defined', 'undefined', 'started', 'stopped'] as const;
export type NetworkLifecycleEventName = (typeof NETWORK_LIFECYCLE_EVENTS)[number];

export type LibvirtEvent =
  | {
      kind: 'domain-lifecycle';
      dom: Domain;
      /** 'unknown' when libvirtd sends a value newer than this table. */
      event: DomainLifecycleEventName | 'unknown';
      detail: string;
      raw: { event: number; detail: number };
    }
  | { kind: 'domain-device-added'; dom: Domain; devAlias: string }
  | { kind: 'domain-device-removed'; dom: Domain; devAlias: string }
  /** virDomainSetMetadata ran: `type` 2 is an element, `nsuri` its namespace (else null). */
  | { kind: 'domain-metadata-change'; dom: Domain; type: number; nsuri: string | null }
  | {
      kind: 'network-lifecycle';
      net: Network;
      event: NetworkLifecycleEventName | 'unknown';
      raw: { event: number; detail: number };
    };

export type EventKind = LibvirtEvent['kind'];
export type EventOf<K extends EventKind> = Extract<LibvirtEvent, { kind: K }>;

const int = xdr.int();
// DEVICE_ADDED is flat and the others nest the legacy message; the bytes are the same.
const domainLifecycleMsg = xdr.struct({ callbackID: int, dom: domain, event: int, detail: int });
const domainDeviceMsg = xdr.struct({ callbackID: int, dom: domain, devAlias: nonnullString });
const domainMetadataMsg = xdr.struct({ callbackID: int, dom: domain, type: int, nsuri: optString });
const networkLifecycleMsg = xdr.struct({ callbackID: int, net: network, event: int, detail: int });

function lifecycleName<T extends string>(names: readonly T[], n: number): T | 'unknown' {
  return names[n] ?? 'unknown';
}

interface EventDef<M> {
  codec: Codec<M, never>;
  toEvent: (msg: M) => LibvirtEvent;
}

const def = <M>(codec: EventDef<M>['codec'], toEvent: (msg: M) => LibvirtEvent): EventDef<M> => ({
  codec,
  toEvent,
});

/** Event procedure number -> how to decode it. */
const EVENT_PROCEDURES: ReadonlyMap<number, EventDef<{ callbackID: number }>> = new Map<
  number,
  // biome-ignore lint/suspicious/noExplicitAny: heterogeneous table, each entry typed at def()
  EventDef<any>
>([
  [
    318,
    def(domainLifecycleMsg, (m: Decoded<typeof domainLifecycleMsg>) => {
      const event = lifecycleName(DOMAIN_LIFECYCLE_EVENTS, m.event);
      const details = event === 'unknown' ? [] : DOMAIN_LIFECYCLE_DETAILS[event];
      return {
        kind: 'domain-lifecycle',
        dom: m.dom,
        event,
        detail: details[m.detail] ?? 'unknown',
        raw: { event: m.event, detail: m.detail },
      };
    }),
  ],
  [
    333,
    def(domainDeviceMsg, (m: Decoded<typeof domainDeviceMsg>) => ({
      kind: 'domain-device-removed',
      dom: m.dom,
      devAlias: m.devAlias,
    })),
  ],
  [
    354,
    def(domainDeviceMsg, (m: Decoded<typeof domainDeviceMsg>) => ({
      kind: 'domain-device-added',
      dom: m.dom,
      devAlias: m.devAlias,
    })),
  ],
  [
    379,
    def(domainMetadataMsg, (m: Decoded<typeof domainMetadataMsg>) => ({
      kind: 'domain-metadata-change',
      dom: m.dom,
      type: m.type,
      nsuri: m.nsuri ?? null,
    })),
  ],
  [
    315,
    def(networkLifecycleMsg, (m: Decoded<typeof networkLifecycleMsg>) => ({
      kind: 'network-lifecycle',
      net: m.net,
      event: lifecycleName(NETWORK_LIFECYCLE_EVENTS, m.event),
      raw: { event: m.event, detail: m.detail },
    })),
  ],
]);

/** Which register procedure and event id subscribe to each kind. */
export const EVENT_REGISTRATION: Record<
  EventKind,
  { family: 'domain' | 'network'; eventId: number }
> = {
  'domain-lifecycle': { family: 'domain', eventId: DomainEventId.Lifecycle },
  'domain-device-added': { family: 'domain', eventId: DomainEventId.DeviceAdded },
  'domain-device-removed': { family: 'domain', eventId: DomainEventId.DeviceRemoved },
  'domain-metadata-change': { family: 'domain', eventId: DomainEventId.MetadataChange },
  'network-lifecycle': { family: 'network', eventId: NetworkEventId.Lifecycle },
};

/**
 * Decodes a MESSAGE payload. Returns null for event procedures we do not subscribe to;
 * throws XdrError for a known procedure with malformed bytes.
 */
export function decodeEvent(
  proc: number,
  payload: Uint8Array,
): { callbackID: number; event: LibvirtEvent } | null {
  const entry = EVENT_PROCEDURES.get(proc);
  if (!entry) return null;
  const msg = decode(entry.codec, payload);
  return { callbackID: msg.callbackID, event: entry.toEvent(msg) };
}

export const EVENT_PROCEDURE_NUMBERS: readonly number[] = [...EVENT_PROCEDURES.keys()];

/** The codec of an event procedure's message (checked against remote_protocol.x in a test). */
export function eventMessageCodec(proc: number): AnyCodec | undefined {
  return EVENT_PROCEDURES.get(proc)?.codec;
}
