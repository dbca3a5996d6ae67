// The one place that knows how kvm-chaos names what it creates on a host. Everything starts with
// PREFIX, so `virsh nwfilter-list` shows at a glance what is ours:
//   kvm-chaos-drop-in-udp-53          a rule filter: drop UDP to port 53 from the peers given
//   kvm-chaos-drop-out-net24-all      the same for addresses outside the guests, per prefix length
//   kvm-chaos-cut-lab-node1-3f2a9c01d4  the filter bound to one guest port while it is cut
//   kvm-chaos-protect-no-smtp         a protection preset's filter
import { type FilterName, filterName, type MacAddress, type Uuid } from '../libvirt/values';
import { type Scope, scopeLabel } from './cut';

export const PREFIX = 'kvm-chaos-';

/** The list variable our rule filters match on; one value per peer MAC (or network address). */
export const PEER_VARIABLE = 'KC_PEER';

/** Every XML namespace of ours in domain metadata (cut intents, labels) starts with this. */
export const XMLNS_BASE = 'https://kvm-chaos.dev/xmlns/';

/** Parameters we put anywhere start with this; everything else in a binding is someone else's. */
export const VARIABLE_PREFIX = 'KC_';

/**
 * The domain id of the guest when we bound its port. libvirt keeps API-made bindings when a guest
 * is destroyed, and a restarted guest can get the same tap name back: a binding whose id is not
 * the guest's current one is a leftover whose rules are not in force, never a cut.
 */
export const DOMAIN_ID_VARIABLE = 'KC_DOMAIN_ID';

export type RuleDirection = 'in' | 'out';

export function isOurs(name: string): boolean {
  return name.startsWith(PREFIX);
}

/**
 * The rule filter for one direction and scope; with a prefix length, the one matching peers by
 * IPv4 network (one filter per length, since a list variable iterates one value per rule).
 */
export function dropFilterName(
  direction: RuleDirection,
  scope: Scope,
  prefix: number | null = null,
): FilterName {
  const net = prefix === null ? '' : `net${prefix}-`;
  return filterName(`${PREFIX}drop-${direction}-${net}${scopeLabel(scope)}`);
}

export function protectFilterName(id: string): FilterName {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new Error(`bad preset filter id ${id}`);
  return filterName(`${PREFIX}protect-${id}`);
}

// FNV-1a, 64 bit: small, stable across platforms, and enough to keep the ports of a host apart.
function fnv1a64(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/** The 64-bit FNV-1a of a text as 16 hex digits. */
export function fnv1a64Hex(text: string): string {
  return fnv1a64(text).toString(16).padStart(16, '0');
}

const HASH_CHARS = 10;
const LABEL_CHARS = 24;

/** The identity of one guest port across restarts: the guest's uuid and the interface's MAC. */
export function portHash(guestUuid: Uuid, mac: MacAddress): string {
  return fnv1a64(`${guestUuid}/${mac}`).toString(16).padStart(16, '0').slice(0, HASH_CHARS);
}

/** A readable, safe rendering of any guest name: letters, digits, '.', '_' and single dashes. */
export function nameLabel(guestName: string): string {
  const label = guestName
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, LABEL_CHARS)
    .replace(/-+$/, '');
  return label === '' ? 'guest' : label;
}

/**
 * The filter bound to a guest's port while it is cut. The label is for people; the hash (of the
 * guest's uuid and the MAC) is what tells ports apart, so two guests whose names sanitise alike
 * never share a filter, and renaming a guest does not lose its cut.
 */
export function cutFilterName(guestName: string, guestUuid: Uuid, mac: MacAddress): FilterName {
  return filterName(`${PREFIX}cut-${nameLabel(guestName)}-${portHash(guestUuid, mac)}`);
}

/**
 * The filter an interface of ours refers to when kvm-chaos set its protection: the preset's
 * filterref inside, and later the drop rules of its cuts too. The interface (domain XML) owns the
 * binding, so cutting and healing that port only redefine this filter: rules never leave the port.
 */
export function portFilterName(guestName: string, guestUuid: Uuid, mac: MacAddress): FilterName {
  return filterName(`${PREFIX}port-${nameLabel(guestName)}-${portHash(guestUuid, mac)}`);
}

/** The host-wide lock of kvm-chaos writers: a rule-less filter that only one can define. */
export const LOCK_FILTER = filterName(`${PREFIX}lock`);

const PORT_NAME = new RegExp(`^${PREFIX}port-(?:.*-)?([0-9a-f]{${HASH_CHARS}})$`);
const CUT_NAME = new RegExp(`^${PREFIX}cut-(?:.*-)?([0-9a-f]{${HASH_CHARS}})$`);
const DROP_NAME = new RegExp(
  `^${PREFIX}drop-(in|out)-(?:net([0-9]|[12][0-9]|3[0-2])-)?((?!net).+)$`,
);
const PROTECT_NAME = new RegExp(`^${PREFIX}protect-(.+)$`);

export type OurName =
  | { kind: 'cut'; hash: string }
  | { kind: 'port'; hash: string }
  | { kind: 'lock' }
  | { kind: 'drop'; direction: RuleDirection; scopeLabel: string; prefix: number | null }
  | { kind: 'protect'; id: string };

/** What one of our names means, or null for a name that is not ours (or not one we make). */
export function parseOurName(name: string): OurName | null {
  if (name === LOCK_FILTER) return { kind: 'lock' };
  const port = PORT_NAME.exec(name);
  if (port?.[1]) return { kind: 'port', hash: port[1] };
  const cut = CUT_NAME.exec(name);
  if (cut?.[1]) return { kind: 'cut', hash: cut[1] };
  const drop = DROP_NAME.exec(name);
  if (drop?.[1] && drop[3])
    return {
      kind: 'drop',
      direction: drop[1] as RuleDirection,
      scopeLabel: drop[3],
      prefix: drop[2] === undefined ? null : Number(drop[2]),
    };
  const protect = PROTECT_NAME.exec(name);
  if (protect?.[1]) return { kind: 'protect', id: protect[1] };
  return null;
}

/** A per-port filter of ours: bound by our binding (cut) or by the interface (port). */
export function isCutFilter(name: string): boolean {
  const kind = parseOurName(name)?.kind;
  return kind === 'cut' || kind === 'port';
}

export function isPortFilter(name: string): boolean {
  return parseOurName(name)?.kind === 'port';
}

export function isDropFilter(name: string): boolean {
  return parseOurName(name)?.kind === 'drop';
}
