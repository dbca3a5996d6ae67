// A cut's intent: what someone asked the host to hold, kept on the host itself so that every
// instance (the app, serve, the CLI, `kvm-chaos watch`) reads the same promises: who made the cut,
// when, until when, for which run. Bindings say what is enforced; intents say what is wanted.
//
// Where: libvirt's domain metadata, the place libvirt keeps application data, one element per cut
// on the domain of the cut's `from` end, each under a namespace URI of its own
// (INTENT_NS + a hash of the cut). One element per cut means two writers adding or removing
// different cuts never read-modify-write the same element; writing the same cut twice is
// idempotent. Set live and persistently, so a guest restart and a libvirtd restart keep it.

import { attempt, macAddress, type Uuid } from '../libvirt/values';
import { attr, el, elements, type XmlElement } from '../libvirt/xml';
import {
  type Cut,
  type CutDirection,
  cutKey,
  type Endpoint,
  isNetTarget,
  netTarget,
  normaliseCuts,
  parseScopeLabel,
  scopeLabel,
} from './cut';
import { fnv1a64Hex, XMLNS_BASE } from './naming';
import type { RemoteEnd } from './remote';

/** The namespace base of our domain metadata; each cut's element has INTENT_NS + its hash. */
export const INTENT_NS = `${XMLNS_BASE}intent/1/`;
/** The prefix libvirt writes our elements with (virDomainSetMetadata's key). */
export const INTENT_KEY = 'kvmchaos';

/** Who made a cut: the instance (one process of the app, serve, the CLI) and user@machine. */
export interface Author {
  readonly instance: string;
  readonly user: string;
}

export interface CutIntent {
  /** Canonical (normaliseCuts): one direction, from the lower MAC for a both-way cut. */
  readonly cut: Cut;
  /** The guests' names when it was made, for people (MACs are what count). */
  readonly fromName: string;
  readonly toName: string;
  readonly author: Author;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  /** ISO 8601 UTC, or null: held until healed. */
  readonly expiresAt: string | null;
  /** The scenario run or apply it belongs to, if any. */
  readonly runId: string | null;
  /** The end on another host, for a cut across hosts (this host enforces it on its own end). */
  readonly remote?: RemoteEnd;
}

/** Where an intent is kept: on this domain, under this namespace URI. */
export interface IntentPlace {
  readonly domainUuid: Uuid;
  readonly uri: string;
}

export interface StoredIntent extends CutIntent, IntentPlace {}

export function intentUri(cut: Cut): string {
  return `${INTENT_NS}${fnv1a64Hex(cutKey(cut))}`;
}

/** The element handed to virDomainSetMetadata (libvirt adds the namespace and prefix). */
export function intentElement(i: CutIntent): XmlElement {
  const attrs: Record<string, string> = {
    from: i.cut.from,
    to: i.cut.to,
    direction: i.cut.direction,
    scope: scopeLabel(i.cut.scope),
    'from-name': i.fromName,
    'to-name': i.toName,
    instance: i.author.instance,
    author: i.author.user,
    created: i.createdAt,
  };
  if (i.expiresAt) attrs.expires = i.expiresAt;
  if (i.runId) attrs.run = i.runId;
  if (i.remote) {
    attrs.remote = i.remote.mac;
    attrs['remote-host'] = i.remote.host;
  }
  return el('cut', attrs);
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

function isoOrNull(text: string | undefined): string | null {
  return text !== undefined && ISO_UTC.test(text) && !Number.isNaN(Date.parse(text)) ? text : null;
}

/** A cut end as written: a MAC, or an IPv4 network (addresses outside the guests). */
function endpointOf(text: string | undefined): Endpoint | null {
  if (text === undefined) return null;
  if (!isNetTarget(text)) return attempt(macAddress, text);
  try {
    const t = netTarget(text);
    return t === text ? t : null; // only the canonical form we write
  } catch {
    return null;
  }
}

/** One metadata element read back, or null when it is not a well-formed intent of ours. */
export function parseIntentElement(e: XmlElement, domainUuid: Uuid): StoredIntent | null {
  const nsAttr = Object.entries(e.attrs).find(
    ([k, v]) => k.startsWith('xmlns') && v.startsWith(INTENT_NS),
  );
  if (!nsAttr || (!e.name.endsWith(':cut') && e.name !== 'cut')) return null;
  const from = endpointOf(attr(e, 'from'));
  const to = endpointOf(attr(e, 'to'));
  const direction = attr(e, 'direction');
  const scope = parseScopeLabel(attr(e, 'scope') ?? '');
  const createdAt = isoOrNull(attr(e, 'created'));
  if (!from || !to || from === to || !scope || !createdAt) return null;
  if (isNetTarget(from) && isNetTarget(to)) return null;
  if (direction !== 'both' && direction !== 'one-way') return null;
  const expiresText = attr(e, 'expires');
  const expiresAt = isoOrNull(expiresText);
  if (expiresText !== undefined && expiresAt === null) return null;
  const remoteText = attr(e, 'remote');
  const remoteMac = remoteText === undefined ? null : attempt(macAddress, remoteText);
  const remoteHost = attr(e, 'remote-host');
  if (remoteText !== undefined && (remoteMac === null || (remoteMac !== from && remoteMac !== to)))
    return null;
  return {
    domainUuid,
    uri: nsAttr[1],
    cut: { from, to, direction: direction as CutDirection, scope },
    fromName: attr(e, 'from-name') ?? from,
    toName: attr(e, 'to-name') ?? to,
    author: { instance: attr(e, 'instance') ?? 'unknown', user: attr(e, 'author') ?? 'unknown' },
    createdAt,
    expiresAt,
    runId: attr(e, 'run') ?? null,
    ...(remoteMac ? { remote: { mac: remoteMac, host: remoteHost ?? 'another host' } } : {}),
  };
}

/** Every intent of ours in a domain's XML (live or persistent). */
export function intentsOfDomain(domainXml: XmlElement, domainUuid: Uuid): StoredIntent[] {
  const metadata = elements(domainXml, 'metadata')[0];
  if (!metadata) return [];
  return elements(metadata).flatMap((e) => parseIntentElement(e, domainUuid) ?? []);
}

/** The canonical intents for cuts someone asks for: one per canonical cut. */
export function intentsFor(
  cuts: readonly Cut[],
  o: {
    nameOf: (end: Endpoint) => string;
    author: Author;
    now: Date;
    expiresAt: Date | null;
    runId: string | null;
    /** For cuts across hosts: the end that is not on the host keeping the intent. */
    remoteOf?: (cut: Cut) => RemoteEnd | null;
  },
): CutIntent[] {
  return normaliseCuts(cuts).map((cut) => {
    const remote = o.remoteOf?.(cut) ?? null;
    return {
      cut,
      fromName: o.nameOf(cut.from),
      toName: o.nameOf(cut.to),
      author: o.author,
      createdAt: o.now.toISOString(),
      expiresAt: o.expiresAt ? o.expiresAt.toISOString() : null,
      runId: o.runId,
      ...(remote ? { remote } : {}),
    };
  });
}

export function isExpired(i: CutIntent, now: Date): boolean {
  return i.expiresAt !== null && Date.parse(i.expiresAt) <= now.getTime();
}

/** The cuts a set of intents asks the host to hold (expired ones left out). */
export function wantedCuts(intents: readonly CutIntent[], now: Date): Cut[] {
  return normaliseCuts(intents.filter((i) => !isExpired(i, now)).map((i) => i.cut));
}
