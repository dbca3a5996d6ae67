// Branded values: a string that passed its constructor once, normalised, so the rest of the code
// can neither mix a MAC with a port name nor compare two spellings of one address.
import { XmlModelError } from './errors';

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** Lower-case, two hex digits per octet: 52:54:00:00:00:22. */
export type MacAddress = Brand<string, 'MacAddress'>;
/** Dotted quad without leading zeros. */
export type Ipv4 = Brand<string, 'Ipv4'>;
/** RFC 5952 canonical text: lower case, longest zero run compressed. */
export type Ipv6 = Brand<string, 'Ipv6'>;
/** A host network device name (a tap such as vnet3): what libvirt calls the port. */
export type PortDev = Brand<string, 'PortDev'>;
/** The name of an nwfilter. */
export type FilterName = Brand<string, 'FilterName'>;
/** Lower-case 8-4-4-4-12. */
export type Uuid = Brand<string, 'Uuid'>;
/** address/prefix, the address as its constructor normalises it. */
export type Cidr = Brand<string, 'Cidr'>;

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** True when the text holds a C0 control character or DEL (never valid in names we handle). */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

function invalid(what: string, value: unknown): never {
  throw new XmlModelError('invalid-value', `not a valid ${what}: ${JSON.stringify(value)}`);
}

export function macAddress(text: string): MacAddress {
  // libvirt accepts one or two hex digits per octet (1:2:3:4:5:6); we store two.
  const parts = typeof text === 'string' ? text.trim().split(':') : [];
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p)))
    invalid('MAC address', text);
  return parts.map((p) => p.toLowerCase().padStart(2, '0')).join(':') as MacAddress;
}

export function ipv4(text: string): Ipv4 {
  const parts = typeof text === 'string' ? text.split('.') : [];
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255))
    invalid('IPv4 address', text);
  return text as Ipv4;
}

/** The eight 16-bit groups of an IPv6 address, or null. */
function ipv6Groups(text: string): number[] | null {
  if (typeof text !== 'string' || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const split = (s: string | undefined) => (s ? s.split(':') : []);
  const head = split(halves[0]);
  const tail = split(halves[1]);
  const groups: number[][] = [[], []];
  for (const [i, part] of [head, tail].entries()) {
    for (const [j, g] of part.entries()) {
      const lastOfAll = i === (halves.length === 2 ? 1 : 0) && j === part.length - 1;
      if (g.includes('.')) {
        if (!lastOfAll) return null;
        const parsed = (() => {
          try {
            return ipv4(g);
          } catch {
            return null;
          }
        })();
        if (!parsed) return null;
        const o = parsed.split('.').map(Number) as [number, number, number, number];
        groups[i]?.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        groups[i]?.push(Number.parseInt(g, 16));
      }
    }
  }
  const [a = [], b = []] = groups;
  if (halves.length === 1) return a.length === 8 ? a : null;
  const missing = 8 - a.length - b.length;
  if (missing < 1) return null;
  return [...a, ...new Array<number>(missing).fill(0), ...b];
}

export function ipv6(text: string): Ipv6 {
  const g = ipv6Groups(text);
  if (!g) invalid('IPv6 address', text);
  // Compress the longest run of two or more zero groups (the first one on a tie).
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > best.len) best = { start: i, len: j - i };
    i = j;
  }
  const hex = g.map((n) => n.toString(16));
  if (best.len < 2) return hex.join(':') as Ipv6;
  const left = hex.slice(0, best.start).join(':');
  const right = hex.slice(best.start + best.len).join(':');
  return `${left}::${right}` as Ipv6;
}

export function portDev(text: string): PortDev {
  // The kernel's rule for interface names: 1-15 bytes, no '/', ':' or whitespace, not . or ..
  if (
    typeof text !== 'string' ||
    text.length === 0 ||
    new TextEncoder().encode(text).length > 15 ||
    /[/:\s]/.test(text) ||
    CONTROL.test(text) ||
    text === '.' ||
    text === '..'
  )
    invalid('port device name', text);
  return text as PortDev;
}

export function filterName(text: string): FilterName {
  // libvirt only asks for a name; it also names the filter's file, so no '/'.
  if (typeof text !== 'string' || text.length === 0 || text.includes('/') || CONTROL.test(text))
    invalid('filter name', text);
  return text as FilterName;
}

export function uuid(text: string): Uuid {
  const t = typeof text === 'string' ? text.trim().toLowerCase() : '';
  const hex = /^[0-9a-f]{32}$/.test(t)
    ? t
    : /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(t)
      ? t.replaceAll('-', '')
      : invalid('uuid', text);
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-') as Uuid;
}

export type IpFamily = 'ipv4' | 'ipv6';

/** An IPv4 or IPv6 address, normalised, with its family. */
export function ipAddress(
  text: string,
): { family: 'ipv4'; address: Ipv4 } | { family: 'ipv6'; address: Ipv6 } {
  if (typeof text === 'string' && text.includes(':'))
    return { family: 'ipv6', address: ipv6(text) };
  return { family: 'ipv4', address: ipv4(text) };
}

export function cidr(text: string): Cidr {
  const [addr, prefix, extra] = typeof text === 'string' ? text.split('/') : [];
  if (
    addr === undefined ||
    prefix === undefined ||
    extra !== undefined ||
    !/^\d{1,3}$/.test(prefix)
  )
    invalid('CIDR network', text);
  const ip = ipAddress(addr);
  const bits = Number(prefix);
  if (bits > (ip.family === 'ipv4' ? 32 : 128)) invalid('CIDR network', text);
  return `${ip.address}/${bits}` as Cidr;
}

/** The address as a big integer, for prefix arithmetic. */
function ipBits(text: string): { family: IpFamily; value: bigint } {
  const ip = ipAddress(text);
  if (ip.family === 'ipv4')
    return {
      family: 'ipv4',
      value: ip.address.split('.').reduce((acc, o) => (acc << 8n) | BigInt(o), 0n),
    };
  const g = ipv6Groups(ip.address) ?? [];
  return { family: 'ipv6', value: g.reduce((acc, n) => (acc << 16n) | BigInt(n), 0n) };
}

/** True when `ip` lies inside `net` (same family, same leading `prefix` bits). */
export function cidrContains(net: Cidr, ip: Ipv4 | Ipv6): boolean {
  const [addr = '', prefix = '0'] = net.split('/');
  const a = ipBits(addr);
  const b = ipBits(ip);
  if (a.family !== b.family) return false;
  const width = a.family === 'ipv4' ? 32n : 128n;
  const shift = width - BigInt(prefix);
  return a.value >> shift === b.value >> shift;
}

/** The network an address belongs to: subnetOf('192.168.77.1', 24) is 192.168.77.0/24. */
export function subnetOf(address: Ipv4 | Ipv6 | string, prefix: number): Cidr {
  const { family, value } = ipBits(address);
  const width = family === 'ipv4' ? 32 : 128;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) invalid('prefix length', prefix);
  const shift = BigInt(width - prefix);
  const net = (value >> shift) << shift;
  if (family === 'ipv4') {
    const octets = [24n, 16n, 8n, 0n].map((s) => ((net >> s) & 255n).toString());
    return `${octets.join('.')}/${prefix}` as Cidr;
  }
  const groups = Array.from({ length: 8 }, (_, i) =>
    ((net >> BigInt(112 - 16 * i)) & 0xffffn).toString(16),
  );
  return `${ipv6(groups.join(':'))}/${prefix}` as Cidr;
}

/** The prefix length of a dotted netmask (255.255.255.0 -> 24), or null when not contiguous. */
export function netmaskPrefix(mask: string): number | null {
  const { family, value } = ipBits(mask);
  if (family !== 'ipv4') return null;
  const bits = value.toString(2).padStart(32, '0');
  if (!/^1*0*$/.test(bits)) return null;
  const firstZero = bits.indexOf('0');
  return firstZero === -1 ? 32 : firstZero;
}

/** A constructor that returns null instead of throwing, for values that may legitimately vary. */
export function attempt<T>(make: (s: string) => T, text: string | undefined): T | null {
  if (text === undefined) return null;
  try {
    return make(text);
  } catch {
    return null;
  }
}

/** A copy of `o` without its undefined properties, so optional fields are absent, not undefined. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
