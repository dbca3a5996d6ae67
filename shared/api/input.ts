import { DURATION_RULE, PORT_RULE } from './values';

// What a person types, read one way for every face: the UI's fields, the CLI's flags and the
// engine's hosts.add refuse the same input with the same words. Numbers are decimal digits only
// (no sign, no 0x, no exponent), so "-5" or "0x10" is never quietly read as something else.

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const good = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (problem: string): Parsed<never> => ({ ok: false, problem });

function decimal(text: string, max: number): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= max ? n : null;
}

/** Seconds until a cut heals itself; empty means no limit (null). */
export function readDuration(input: string): Parsed<number | null> {
  const text = input.trim();
  if (text === '') return good(null);
  const n = decimal(text, 7 * 24 * 3600);
  return n === null
    ? bad(`'${text}' is not a duration: ${DURATION_RULE}; leave it empty for no limit`)
    : good(n);
}

/** A TCP or UDP destination port; empty means every port (null). */
export function readPort(input: string): Parsed<number | null> {
  const text = input.trim();
  if (text === '') return good(null);
  const n = decimal(text, 65_535);
  return n === null
    ? bad(`'${text}' is not a port: ${PORT_RULE}; leave it empty for every port`)
    : good(n);
}

// ---- host addresses ---------------------------------------------------------------------------

/** Where a host address leads: an ssh login, or a libvirt socket on this machine. */
export type HostAddress =
  | { transport: 'ssh'; user: string | null; host: string; port: number | null; driver: string }
  | { transport: 'unix'; socket: string | null; driver: string };

export const HOST_ADDRESS_FORMS =
  'give the host as ssh://user@host[:port], qemu+ssh://user@host/system or an ~/.ssh/config alias';

/** libvirt's hypervisor and state drivers; anything else (file:, http:) is not a libvirt URI. */
export const LIBVIRT_DRIVERS: ReadonlySet<string> = new Set([
  'qemu',
  'kvm',
  'lxc',
  'xen',
  'libxl',
  'test',
  'vbox',
  'ch',
  'bhyve',
  'vz',
  'openvz',
  'network',
  'nwfilter',
  'interface',
  'nodedev',
  'secret',
  'storage',
]);

/** A DNS name, an IPv4 address or an ssh alias; IPv6 only in brackets. */
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;
const IPV6_IN_BRACKETS = /^\[[0-9A-Fa-f:.]+\]$/;
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const AUTHORITY = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?/i;

function sshParts(
  text: string,
  user: string | undefined,
  host: string,
  port: string | undefined,
): Parsed<{ user: string | null; host: string; port: number | null }> {
  if (user?.includes(':'))
    return bad(
      'the address holds a password, which would be saved with it: leave it out and use ssh-agent or a key file',
    );
  if (user !== undefined && !USER.test(user)) return bad(`'${user}' is not a user name in ${text}`);
  if (!HOST_NAME.test(host) && !IPV6_IN_BRACKETS.test(host))
    return bad(`'${host || text}' is not a host: ${HOST_ADDRESS_FORMS}`);
  let n: number | null = null;
  if (port !== undefined) {
    n = decimal(port, 65_535);
    if (n === null) return bad(`'${port}' is not a port in ${text}: ${PORT_RULE}`);
  }
  return good({
    user: user ?? null,
    host: host.replace(/^\[(.*)\]$/, '$1').toLowerCase(),
    port: n,
  });
}

/**
 * A host as the user gives it, checked before anything is saved or dialled: libvirt URIs
 * (qemu:///system, qemu+ssh://user@host:port/system), ssh://user@host:port, or
 * [user@]alias[:port]. Refuses what the connection would refuse (TLS, host-key checks turned off,
 * command=) and a password, which would end up in the saved profile and in every id.
 */
export function readHostAddress(input: string): Parsed<HostAddress> {
  const given = input.trim();
  // Every message below may be shown and logged: a password in the input never is.
  const text = withoutPassword(given);
  if (text === '') return bad(HOST_ADDRESS_FORMS);
  if (!text.includes('://')) {
    const m = /^(?:([^@]*)@)?([^@:]*|\[[^\]]*\])(?::([^@]*))?$/.exec(text);
    if (!m || /\s/.test(text)) return bad(`'${text}' is not a host: ${HOST_ADDRESS_FORMS}`);
    const parts = sshParts(text, m[1], m[2] ?? '', m[3]);
    return parts.ok ? good({ transport: 'ssh', ...parts.value, driver: 'qemu:///system' }) : parts;
  }
  const authority = AUTHORITY.exec(given);
  if (!authority || /\s/.test(given)) return bad(`'${text}' is not a connection URI`);
  const [, scheme = '', user, host = '', port] = authority;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    // The URL parser's own reason is not worth showing; the port is the usual culprit.
    if (port !== undefined && decimal(port, 65_535) === null)
      return bad(`'${port}' is not a port in ${text}: ${PORT_RULE}`);
    return bad(`'${text}' is not a connection URI`);
  }
  const params = url.searchParams;
  if (params.get('no_verify') === '1' || params.get('known_hosts_verify') === 'ignore')
    return bad(
      `${text}: host-key verification cannot be turned off; add the host to known_hosts or accept its fingerprint when asked`,
    );
  if (params.has('command')) return bad(`${text}: command= is not supported (ssh is built in)`);
  const proxy = params.get('proxy');
  if (proxy !== null && !['auto', 'netcat', 'native'].includes(proxy))
    return bad(`proxy=${proxy}: expected auto, netcat or native`);
  if (proxy === 'native' && params.has('netcat'))
    return bad('netcat= cannot be combined with proxy=native');

  const [driver = '', transport] = scheme.toLowerCase().split('+', 2) as [string, string?];
  const path = url.pathname || '/system';
  if (driver === 'ssh' && transport === undefined) {
    const parts = sshParts(text, user, host, port);
    return parts.ok ? good({ transport: 'ssh', ...parts.value, driver: 'qemu:///system' }) : parts;
  }
  if (!LIBVIRT_DRIVERS.has(driver))
    return bad(
      `${text}: '${driver}' is not a libvirt driver; use qemu:///system, qemu+ssh://user@host/system or ssh://user@host`,
    );
  if (transport === 'ssh' || transport === 'libssh' || transport === 'libssh2') {
    if (host === '') return bad(`${text}: an ssh URI needs a host`);
    const parts = sshParts(text, user, host, port);
    return parts.ok
      ? good({ transport: 'ssh', ...parts.value, driver: `${driver}://${path}` })
      : parts;
  }
  if (transport === undefined || transport === 'unix') {
    if (host !== '')
      return bad(
        `${text}: a host without a transport means TLS, which is not supported; use ${driver}+ssh://`,
      );
    return good({ transport: 'unix', socket: params.get('socket'), driver: `${driver}://${path}` });
  }
  return bad(`${text}: transport '${transport}' is not supported (use ssh or the local socket)`);
}

/** The address with the password of `scheme://user:password@` masked, for messages and logs. */
export function withoutPassword(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^@/?#:]*):[^@/?#]*@/i, '$1:***@');
}

/** Two addresses with the same key reach the same libvirt daemon the same way. */
export function hostAddressKey(address: HostAddress): string {
  return address.transport === 'ssh'
    ? `ssh:${address.user ?? ''}@${address.host}:${address.port ?? ''}/${address.driver}`
    : `unix:${address.socket ?? ''}/${address.driver}`;
}

/** What is wrong with adding this host next to those already added; null when nothing is. */
export function hostAddressProblem(
  uri: string,
  added: readonly { id: string; uri: string; label: string }[],
): string | null {
  const address = readHostAddress(uri);
  if (!address.ok) return address.problem;
  const key = hostAddressKey(address.value);
  const same = added.find((h) => {
    const other = readHostAddress(h.uri);
    return other.ok && hostAddressKey(other.value) === key;
  });
  return same
    ? `${withoutPassword(uri.trim())} is already added as ${same.label === same.id ? same.id : `${same.label} (${same.id})`}: its guests would show twice`
    : null;
}
