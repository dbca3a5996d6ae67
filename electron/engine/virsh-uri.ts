// The URI virsh needs to reach a host the way kvm-chaos does. virsh runs OpenSSH, which ignores
// libvirt's known_hosts= (it checks the user's own known_hosts and reads ~/.ssh/config), so the
// URI keeps what OpenSSH understands (user, host or alias, port, key file) and the script says
// in a comment which known_hosts it now relies on.
import type { HostAuth } from '../../shared/api';
import { DEFAULT_SOCKET, parseConnectUri } from '../libvirt/uri';

export interface VirshConnection {
  readonly uri: string;
  /** One line for the script: how it connects, and what it relies on. */
  readonly note: string;
}

export function virshConnection(
  profile: { uri: string; auth: HostAuth },
  knownHostsPath: string,
): VirshConnection {
  const t = parseConnectUri(
    profile.auth.method === 'local' ? profile.uri || undefined : profile.uri,
  );
  const name = new URL(t.name);
  const driver = name.protocol.slice(0, -1);
  if (t.transport === 'unix') {
    const socket =
      t.socketPath === DEFAULT_SOCKET ? '' : `?socket=${encodeURIComponent(t.socketPath)}`;
    return {
      uri: `${driver}://${name.pathname}${socket}`,
      note: 'the local libvirt socket (run this script on that host, as root or in group libvirt)',
    };
  }
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const query = new URLSearchParams(name.search);
  const keyFile = profile.auth.method === 'key' ? profile.auth.keyPath : t.keyFile;
  if (keyFile) query.set('keyfile', keyFile);
  if (t.socketPath !== DEFAULT_SOCKET) query.set('socket', t.socketPath);
  // Paths stay readable (libvirt unescapes either way).
  const q = query.toString().replace(/%2F/gi, '/');
  return {
    uri: `${driver}+ssh://${t.user ? `${encodeURIComponent(t.user)}@` : ''}${host}${t.port ? `:${t.port}` : ''}${name.pathname}${q ? `?${q}` : ''}`,
    note:
      `ssh through OpenSSH: it reads ~/.ssh/config for ${t.host} and checks the host key in ` +
      `~/.ssh/known_hosts of the user running this script (kvm-chaos checked it in ${t.knownHostsFile ?? knownHostsPath})`,
  };
}
