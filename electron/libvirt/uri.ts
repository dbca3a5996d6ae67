// One parser for every way a user names a libvirt host:
//   qemu:///system, qemu+unix:///system?socket=...   local socket
//   qemu+ssh://user@host:port/system?keyfile=&known_hosts=&socket=&proxy=&netcat=
//   ssh://user@host:port                              ssh, qemu:///system on the far side
//   user@alias, alias                                 ssh, resolved through ~/.ssh/config
// and the command libvirt runs on the far side of ssh (virNetClientSSHHelperCommand).
import { LIBVIRT_DRIVERS } from '../../shared/api/input';
import { TransportError } from './errors';

export const DEFAULT_SOCKET = '/var/run/libvirt/libvirt-sock';
export const DEFAULT_SOCKET_RO = '/var/run/libvirt/libvirt-sock-ro';
export const DEFAULT_NAME = 'qemu:///system';

export type ProxyMode = 'auto' | 'netcat' | 'native';

export type ConnectTarget =
  | {
      transport: 'unix';
      socketPath: string;
      /** The URI given to CONNECT_OPEN. */
      name: string;
    }
  | {
      transport: 'ssh';
      /** Host or ~/.ssh/config alias, as written. */
      host: string;
      port?: number;
      user?: string;
      keyFile?: string;
      knownHostsFile?: string;
      name: string;
      proxy: ProxyMode;
      netcat?: string;
      /** The daemon socket on the remote host. */
      socketPath: string;
    };

// Parameters the client consumes; any other query parameter travels on inside `name`.
const CLIENT_PARAMS = new Set([
  'socket',
  'keyfile',
  'known_hosts',
  'known_hosts_verify',
  'proxy',
  'netcat',
  'no_verify',
  'no_tty',
  'command',
  'mode',
  'sshauth',
  'name',
]);

/** The URI as it may be shown: a password in it replaced by ***. */
export function withoutPassword(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:?#]*):[^/@?#]*@/i, '$1:***@');
}

function bad(message: string): TransportError {
  return new TransportError('bad-target', message);
}

function parsePort(text: string, uri: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw bad(`bad port '${text}' in ${uri}`);
  }
  return port;
}

/** "system" | "session" path to the remote URI, keeping extra parameters. */
function driverName(driver: string, path: string, extra: URLSearchParams): string {
  const query = extra.toString();
  return `${driver}://${path || '/system'}${query ? `?${query}` : ''}`;
}

export function parseConnectUri(input: string | undefined, readOnly = false): ConnectTarget {
  const text = (input ?? '').trim();
  if (text === '') {
    return {
      transport: 'unix',
      socketPath: readOnly ? DEFAULT_SOCKET_RO : DEFAULT_SOCKET,
      name: DEFAULT_NAME,
    };
  }
  if (!text.includes('://')) return parseSshAlias(text, readOnly);

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad(`not a connection URI: ${withoutPassword(text)}`);
  }
  if (url.password) {
    throw bad(
      `${withoutPassword(text)}: a password in the URI is never used nor kept; use ssh-agent or a key file`,
    );
  }
  const scheme = url.protocol.slice(0, -1);
  const [driver = '', transport] = scheme.split('+', 2) as [string, string | undefined];
  const params = url.searchParams;
  const extra = new URLSearchParams();
  for (const [k, v] of params) if (!CLIENT_PARAMS.has(k)) extra.append(k, v);

  if (params.get('no_verify') === '1' || params.get('known_hosts_verify') === 'ignore') {
    throw bad(
      `${text}: host-key verification cannot be turned off; add the host to known_hosts ` +
        'or accept its fingerprint when asked',
    );
  }
  if (params.has('command')) throw bad(`${text}: command= is not supported (ssh is built in)`);

  if (driver === 'ssh' && transport === undefined) {
    return sshTarget(url, DEFAULT_NAME, params, readOnly);
  }
  if (!LIBVIRT_DRIVERS.has(driver)) {
    throw bad(
      `${text}: '${driver}' is not a libvirt driver; use qemu:///system, qemu+ssh://user@host/system or ssh://user@host`,
    );
  }

  if (transport === 'ssh' || transport === 'libssh' || transport === 'libssh2') {
    if (!url.hostname) throw bad(`${text}: an ssh URI needs a host`);
    return sshTarget(url, driverName(driver, url.pathname, extra), params, readOnly);
  }
  if (transport === undefined || transport === 'unix') {
    if (url.hostname) {
      throw bad(
        `${text}: a host without a transport means TLS, which is not supported; use ${driver}+ssh://`,
      );
    }
    const session = url.pathname === '/session';
    const socketPath =
      params.get('socket') ??
      (session
        ? `${process.env.XDG_RUNTIME_DIR ?? `/run/user/${process.getuid?.() ?? 0}`}/libvirt/libvirt-sock`
        : readOnly
          ? DEFAULT_SOCKET_RO
          : DEFAULT_SOCKET);
    return { transport: 'unix', socketPath, name: driverName(driver, url.pathname, extra) };
  }
  throw bad(`${text}: transport '${transport}' is not supported (use ssh or the local socket)`);
}

function sshTarget(
  url: URL,
  name: string,
  params: URLSearchParams,
  readOnly: boolean,
): ConnectTarget {
  const proxy = (params.get('proxy') ?? (params.has('netcat') ? 'netcat' : 'auto')) as ProxyMode;
  if (!['auto', 'netcat', 'native'].includes(proxy)) {
    throw bad(`proxy=${proxy}: expected auto, netcat or native`);
  }
  if (proxy === 'native' && params.has('netcat')) {
    throw bad('netcat= cannot be combined with proxy=native');
  }
  return {
    transport: 'ssh',
    host: decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, '$1')),
    ...(url.port ? { port: parsePort(url.port, url.href) } : {}),
    ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
    ...(params.get('keyfile') ? { keyFile: params.get('keyfile') as string } : {}),
    ...(params.get('known_hosts') ? { knownHostsFile: params.get('known_hosts') as string } : {}),
    ...(params.get('netcat') ? { netcat: params.get('netcat') as string } : {}),
    name,
    proxy,
    socketPath: params.get('socket') ?? (readOnly ? DEFAULT_SOCKET_RO : DEFAULT_SOCKET),
  };
}

/** `[user@]alias[:port]`: an ssh host, typically an ~/.ssh/config alias. */
function parseSshAlias(text: string, readOnly: boolean): ConnectTarget {
  const m = /^(?:([^@\s/]+)@)?([^@\s/:[\]]+|\[[^\]]+\])(?::(\d+))?$/.exec(text);
  if (!m) throw bad(`not a host, alias or URI: ${text}`);
  const [, user, host = '', port] = m;
  return {
    transport: 'ssh',
    host: host.replace(/^\[(.*)\]$/, '$1'),
    ...(port ? { port: parsePort(port, text) } : {}),
    ...(user ? { user } : {}),
    name: DEFAULT_NAME,
    proxy: 'auto',
    socketPath: readOnly ? DEFAULT_SOCKET_RO : DEFAULT_SOCKET,
  };
}

const SHELL_META = /[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/;

/** virBufferEscapeShell: unchanged without metacharacters, else single-quoted. */
export function escapeShell(s: string): string {
  if (s === '') return "''";
  if (!SHELL_META.test(s)) return s;
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** sshd runs the command through a shell, and the command runs `sh -c` again. */
const escapeTwice = (s: string) => escapeShell(escapeShell(s));

/**
 * The remote command libvirt itself sends over ssh: virt-ssh-helper when the host has it,
 * else `nc -U socket` (with -q0 where nc needs it to exit on EOF).
 */
export function remoteProxyCommand(opts: {
  proxy: ProxyMode;
  name: string;
  socketPath: string;
  netcat?: string;
  readOnly?: boolean;
}): string {
  const netcat = escapeTwice(opts.netcat ?? 'nc');
  const nccmd =
    `if '${netcat}' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ` +
    `ARG=-q0;else ARG=;fi;'${netcat}' $ARG -U ${escapeTwice(opts.socketPath)}`;
  const helpercmd = `virt-ssh-helper${opts.readOnly ? ' -r ' : ' '}'${escapeTwice(opts.name)}'`;
  const proxy = opts.proxy === 'auto' && opts.netcat !== undefined ? 'netcat' : opts.proxy;
  switch (proxy) {
    case 'auto':
      return (
        "sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then " +
        `    ${helpercmd}; else    ${nccmd}; fi'`
      );
    case 'netcat':
      return `sh -c '${nccmd}'`;
    case 'native':
      return `sh -c '${helpercmd}'`;
  }
}
