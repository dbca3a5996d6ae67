// The cut model: what a user asks for. A cut is between two guest interfaces on one L2 segment,
// named by their MACs, or between a guest interface and addresses outside the guests (its
// gateway, a DNS server, a CIDR), named by an IPv4 network; it drops traffic both ways or one way
// (from -> to), for all traffic or a narrower scope. Internally a cut is one or two directed
// flows; a flow is what a rule enforces.
import { type Cidr, ipv4, type MacAddress, subnetOf } from '../libvirt/values';

/**
 * Addresses outside the guests, as an IPv4 network in canonical form (host bits zero):
 * 192.168.77.1/32, 10.0.0.0/8. Rules match them by IP address, so only IPv4 traffic is cut.
 */
export type NetTarget = Cidr & { readonly netTarget: true };

/** One end of a cut: a guest interface (by MAC) or addresses outside the guests. */
export type Endpoint = MacAddress | NetTarget;

/** A MAC never holds a '/', a network always does. */
export function isNetTarget(e: Endpoint | string): e is NetTarget {
  return e.includes('/');
}

/**
 * An address or network as a cut end: "192.168.77.1" (one address, /32) or "10.0.0.0/8".
 * Host bits are cleared, as the rules match them anyway. IPv6 is refused: our rules match IPv4.
 */
export function netTarget(text: string): NetTarget {
  const [address = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) throw new CutError(`'${text}' is not an address or a network`);
  if (address.includes(':'))
    throw new CutError(`'${text}' is IPv6: cuts to addresses match IPv4 only`);
  let ip: string;
  try {
    ip = ipv4(address);
  } catch {
    throw new CutError(`'${text}' is not an IPv4 address or network (a.b.c.d or a.b.c.d/n)`);
  }
  const prefix =
    prefixText === undefined ? 32 : /^\d{1,2}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > 32) throw new CutError(`'${text}': the prefix length must be 0 to 32`);
  return subnetOf(ip, prefix) as NetTarget;
}

/** How a network shows to people: the bare address for one host (/32), else the CIDR. */
export function netWords(t: NetTarget): string {
  return t.endsWith('/32') ? t.slice(0, -3) : t;
}

/** all: every frame; ipv4: IPv4 only; or one protocol, tcp/udp optionally to one port. */
export type Scope =
  | { readonly kind: 'all' }
  | { readonly kind: 'ipv4' }
  | { readonly kind: 'icmp' }
  | { readonly kind: 'tcp'; readonly port?: number }
  | { readonly kind: 'udp'; readonly port?: number };

/** both: nothing in scope passes either way; one-way: traffic from `from` to `to` is dropped. */
export type CutDirection = 'both' | 'one-way';

export interface Cut {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly direction: CutDirection;
  readonly scope: Scope;
}

/** Traffic from src to dst within scope, dropped. */
export interface Flow {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly scope: Scope;
}

export const ALL: Scope = { kind: 'all' };

/** Code-unit order: the same on every machine, whatever its locale (plans must be too). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class CutError extends Error {
  override readonly name = 'CutError';
}

export function validScope(scope: Scope): Scope {
  if ((scope.kind === 'tcp' || scope.kind === 'udp') && scope.port !== undefined) {
    if (!Number.isInteger(scope.port) || scope.port < 1 || scope.port > 65535)
      throw new CutError(`${scope.kind} port ${scope.port} is not between 1 and 65535`);
    return { kind: scope.kind, port: scope.port };
  }
  return { kind: scope.kind };
}

/** A short, stable text for a scope: all, ipv4, icmp, udp, udp-53. Used in names and keys. */
export function scopeLabel(scope: Scope): string {
  return (scope.kind === 'tcp' || scope.kind === 'udp') && scope.port !== undefined
    ? `${scope.kind}-${scope.port}`
    : scope.kind;
}

/** The inverse of scopeLabel, or null for a label we do not make. */
export function parseScopeLabel(label: string): Scope | null {
  if (label === 'all' || label === 'ipv4' || label === 'icmp' || label === 'tcp' || label === 'udp')
    return { kind: label };
  const m = /^(tcp|udp)-([1-9]\d{0,4})$/.exec(label);
  if (!m) return null;
  const port = Number(m[2]);
  return port <= 65535 ? { kind: m[1] as 'tcp' | 'udp', port } : null;
}

/** In words, for descriptions: "all traffic", "UDP to port 53". */
export function scopeWords(scope: Scope): string {
  switch (scope.kind) {
    case 'all':
      return 'all traffic';
    case 'ipv4':
      return 'IPv4';
    case 'icmp':
      return 'ICMP';
    default:
      return `${scope.kind.toUpperCase()}${scope.port === undefined ? '' : ` to port ${scope.port}`}`;
  }
}

export function flowKey(f: Flow): string {
  return `${f.src}>${f.dst}|${scopeLabel(f.scope)}`;
}

/** The directed flows a cut drops. */
export function flowsOf(cut: Cut): Flow[] {
  const scope = validScope(cut.scope);
  if (cut.from === cut.to) throw new CutError(`a cut needs two interfaces, got ${cut.from} twice`);
  if (isNetTarget(cut.from) && isNetTarget(cut.to))
    throw new CutError(
      `a cut needs a guest interface at one end at least, got ${cut.from} and ${cut.to}`,
    );
  const there: Flow = { src: cut.from, dst: cut.to, scope };
  return cut.direction === 'both' ? [there, { src: cut.to, dst: cut.from, scope }] : [there];
}

/**
 * The canonical cuts for a set of flows: a flow and its reverse become one both-way cut (from the
 * lower MAC), a lone flow a one-way cut; sorted. listActiveCuts returns this form.
 */
export function cutsFromFlows(flows: Iterable<Flow>): Cut[] {
  const byKey = new Map<string, Flow>();
  for (const f of flows) byKey.set(flowKey(f), f);
  const out: Cut[] = [];
  const done = new Set<string>();
  for (const [key, f] of byKey) {
    if (done.has(key)) continue;
    done.add(key);
    const reverseKey = flowKey({ src: f.dst, dst: f.src, scope: f.scope });
    if (byKey.has(reverseKey)) {
      done.add(reverseKey);
      const [from, to] = guestFirst(f.src, f.dst);
      out.push({ from, to, direction: 'both', scope: f.scope });
    } else out.push({ from: f.src, to: f.dst, direction: 'one-way', scope: f.scope });
  }
  return out.sort((a, b) => compareText(cutKey(a), cutKey(b)));
}

/**
 * A both-way cut's ends in canonical order: the lower MAC first, and the guest before addresses
 * outside (its intent lives on the `from` guest).
 */
function guestFirst(a: Endpoint, b: Endpoint): [Endpoint, Endpoint] {
  if (isNetTarget(a) !== isNetTarget(b)) return isNetTarget(a) ? [b, a] : [a, b];
  return a < b ? [a, b] : [b, a];
}

/** The same cuts in canonical form (duplicates and overlaps merged). */
export function normaliseCuts(cuts: Iterable<Cut>): Cut[] {
  return cutsFromFlows([...cuts].flatMap(flowsOf));
}

export function cutKey(c: Cut): string {
  return `${c.from}${c.direction === 'both' ? '<>' : '>'}${c.to}|${scopeLabel(c.scope)}`;
}

export function describeCut(
  c: Cut,
  nameOf: (end: Endpoint) => string = (e) => (isNetTarget(e) ? netWords(e) : e),
): string {
  const arrow = c.direction === 'both' ? '<->' : '->';
  return `${nameOf(c.from)} ${arrow} ${nameOf(c.to)} (${scopeWords(c.scope)})`;
}
