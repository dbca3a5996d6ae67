// Resolves an ssh host the way OpenSSH would: ~/.ssh/config (HostName, User, Port,
// IdentityFile, IdentityAgent, IdentitiesOnly, UserKnownHostsFile, HashKnownHosts), explicit
// values from the URI winning over the file, OpenSSH's default key and known_hosts paths.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import { TransportError } from '../errors';

export interface SshHostQuery {
  /** Host or alias as the user wrote it. */
  host: string;
  port?: number;
  user?: string;
  keyFile?: string;
  knownHostsFile?: string;
}

export interface ResolvedSshHost {
  alias: string;
  hostName: string;
  port: number;
  user: string;
  /** Key files to try in order (existing or not: a missing one is skipped at auth time). */
  identityFiles: string[];
  /** Whether identityFiles came from the user (URI or config) rather than the defaults. */
  identityFilesExplicit: boolean;
  /** ssh-agent socket, or null when disabled (IdentityAgent none) or absent. */
  agent: string | null;
  identitiesOnly: boolean;
  /** Files read for host-key checks; new keys are appended to the first. */
  knownHostsFiles: string[];
  hashKnownHosts: boolean;
}

export interface SshConfigOptions {
  /** Path of the config to read; null reads none. Default ~/.ssh/config. */
  configFile?: string | null;
  home?: string;
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_IDENTITIES = [
  'id_rsa',
  'id_ecdsa',
  'id_ecdsa_sk',
  'id_ed25519',
  'id_ed25519_sk',
  'id_xmss',
  'id_dsa',
];

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

const yes = (v: string | undefined) => v?.toLowerCase() === 'yes';

export async function resolveSshHost(
  query: SshHostQuery,
  options: SshConfigOptions = {},
): Promise<ResolvedSshHost> {
  const home = options.home ?? homedir();
  const env = options.env ?? process.env;
  const configFile =
    options.configFile === undefined ? join(home, '.ssh', 'config') : options.configFile;
  let computed: Record<string, string | string[]> = {};
  if (configFile) {
    let text: string | null = null;
    try {
      text = await readFile(configFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new TransportError(
          'bad-target',
          `cannot read ${configFile}: ${(err as Error).message}`,
        );
      }
    }
    if (text !== null) {
      const config = SSHConfig.parse(text);
      // Match exec would run shell commands from the file; the app never does that.
      computed = config.compute(
        { Host: query.host, ...(query.user ? { User: query.user } : {}) },
        { ignoreCase: true, matchExec: false },
      );
    }
  }
  for (const unsupported of ['proxyjump', 'proxycommand']) {
    const v = first(computed[unsupported]);
    if (v && v.toLowerCase() !== 'none') {
      throw new TransportError(
        'bad-target',
        `${configFile} sets ${unsupported === 'proxyjump' ? 'ProxyJump' : 'ProxyCommand'} for ` +
          `${query.host}, which kvm-chaos does not support yet; connect to the host directly`,
      );
    }
  }

  const hostName = first(computed.hostname)?.replaceAll('%h', query.host) ?? query.host;
  const portText = first(computed.port);
  const port = query.port ?? (portText ? Number(portText) : 22);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new TransportError('bad-target', `bad Port '${portText}' for ${query.host}`);
  }
  const localUser = env.USER ?? userInfo().username;
  const user = query.user ?? first(computed.user) ?? localUser;

  const expand = (path: string): string =>
    path
      .replace(/^~(?=\/|$)/, home)
      .replace(/%(.)/g, (whole, t: string) => {
        switch (t) {
          case '%':
            return '%';
          case 'd':
            return home;
          case 'u':
            return localUser;
          case 'h':
            return hostName;
          case 'n':
            return query.host;
          case 'p':
            return String(port);
          case 'r':
            return user;
          default:
            return whole;
        }
      })
      .replace(/\$\{(\w+)\}/g, (_, name: string) => env[name] ?? '');

  const configured = [
    ...(query.keyFile ? [query.keyFile] : []),
    ...all(computed.identityfile).filter((f) => f.toLowerCase() !== 'none'),
  ].map(expand);
  const identityFiles =
    configured.length > 0 ? configured : DEFAULT_IDENTITIES.map((f) => join(home, '.ssh', f));

  const agentSetting = first(computed.identityagent);
  let agent: string | null = env.SSH_AUTH_SOCK ?? null;
  if (agentSetting) {
    if (agentSetting.toLowerCase() === 'none') agent = null;
    else if (agentSetting === 'SSH_AUTH_SOCK') agent = env.SSH_AUTH_SOCK ?? null;
    else if (agentSetting.startsWith('$')) agent = env[agentSetting.slice(1)] ?? null;
    else agent = expand(agentSetting);
  }
  if (agent !== null && !existsSync(agent)) agent = null;

  const configuredKnownHosts = all(computed.userknownhostsfile).flatMap((v) => v.split(/\s+/));
  const userKnownHosts =
    configuredKnownHosts.length > 0
      ? configuredKnownHosts
      : [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')];
  // An explicit known_hosts (URI) is the only file consulted, as with libvirt's libssh.
  const knownHostsFiles = query.knownHostsFile
    ? [expand(query.knownHostsFile)]
    : [...userKnownHosts.map(expand), '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

  return {
    alias: query.host,
    hostName,
    port,
    user,
    identityFiles,
    identityFilesExplicit: configured.length > 0,
    agent,
    identitiesOnly: yes(first(computed.identitiesonly)),
    knownHostsFiles,
    hashKnownHosts: yes(first(computed.hashknownhosts)),
  };
}
