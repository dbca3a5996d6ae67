// The ssh dialer: one ssh2 connection running libvirt's own remote proxy command
// (virt-ssh-helper, or nc -U on older hosts); the exec channel is the byte stream.
// Behaves like OpenSSH where users notice: ~/.ssh/config, agent first then key files,
// passphrases asked through a callback only when a key is reached (and never kept),
// known_hosts checked strictly, trust on first use only through a callback.
import { readFile } from 'node:fs/promises';
import { Duplex } from 'node:stream';
import type { AnyAuthMethod, Client, ClientChannel, ParsedKey } from 'ssh2';
import { HostKeyChangedError, TransportError } from '../errors';
import { attachHostCommand, sshHostCommand } from './host-command';
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  type KnownHostsEntry,
  keyTypeOf,
  knownHostsLine,
  knownKeyTypes,
  readKnownHosts,
} from './known-hosts';
import {
  type ResolvedSshHost,
  resolveSshHost,
  type SshConfigOptions,
  type SshHostQuery,
} from './ssh-config';

export interface UnknownHostKey {
  /** The name the user gave (alias) and the host it resolved to. */
  alias: string;
  host: string;
  port: number;
  keyType: string;
  /** "SHA256:..." as OpenSSH prints it; show this to the user. */
  fingerprint: string;
  /** Where 'trust-and-save' appends the line. */
  knownHostsFile: string;
  knownHostsLine: string;
}

/** What the user decided about a host key seen for the first time. */
export type HostKeyDecision = 'trust-and-save' | 'trust-once' | 'reject';

export interface PassphraseRequest {
  keyFile: string;
  /** 1 on the first ask; more after a wrong passphrase (at most 3, like OpenSSH). */
  attempt: number;
}

export interface SshDialOptions extends SshConfigOptions {
  /** Asked when a key file is encrypted; return null to skip that key. */
  passphrase?: (req: PassphraseRequest) => Promise<string | null> | string | null;
  /** Asked when the host is not in known_hosts; without it unknown hosts are refused. */
  onUnknownHostKey?: (info: UnknownHostKey) => Promise<HostKeyDecision> | HostKeyDecision;
  /**
   * ssh handshake and authentication timeout, from the TCP connect to an authenticated session,
   * not counting the time a person takes to answer the callbacks above. Default 15 s.
   */
  readyTimeoutMs?: number;
  debug?: (message: string) => void;
}

/** Host-key algorithms a known_hosts key type can be verified with, in preference order. */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

const MAX_STDERR = 4096;
export const DEFAULT_READY_TIMEOUT_MS = 15_000;
/**
 * ssh2, loaded on the first ssh dial: it is a third of the CLI's start-up (its crypto and
 * protocol modules), which a command on the local socket never uses. CommonJS: its named
 * exports are only reachable through the default export under ESM.
 */
let ssh2: Promise<typeof import('ssh2')> | undefined;
const loadSsh2 = () => {
  ssh2 ??= import('ssh2').then((m) => m.default);
  return ssh2;
};

/**
 * Connects, authenticates, runs `command` and returns its channel as the byte stream. Closing
 * the stream ends the ssh connection.
 */
export async function dialSsh(
  query: SshHostQuery,
  command: string,
  options: SshDialOptions = {},
): Promise<Duplex> {
  const resolved = await resolveSshHost(query, options);
  const entries = (await Promise.all(resolved.knownHostsFiles.map(readKnownHosts))).flat();
  const { Client: SshClient } = await loadSsh2();
  const client = new SshClient();
  let failure: TransportError | null = null;
  const where = `${resolved.user}@${resolved.hostName}:${resolved.port}`;
  const readyMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const clock = handshakeClock(readyMs, () => {
    failure ??= new TransportError(
      'connect-failed',
      `${where}: no ssh handshake within ${readyMs / 1000} s (nothing answered, or not an ssh server)`,
    );
    client.destroy();
  });
  const asking = askingPauses(options, clock);
  const auth = authenticator(resolved, asking, (err) => {
    failure ??= err;
  });

  const ready = new Promise<void>((resolve, reject) => {
    const onError = (err: Error & { level?: string }) => {
      if (err.level === 'agent') return; // an unusable agent: the next method is tried
      clock.stop();
      client.end();
      reject(failure ?? mapSshError(err, resolved, auth.tried));
    };
    client.once('ready', () => {
      clock.stop();
      client.off('error', onError);
      client.off('close', onClose);
      resolve();
    });
    const onClose = () => {
      clock.stop();
      reject(
        failure ??
          new TransportError('connect-failed', `${where}: closed during the ssh handshake`),
      );
    };
    client.on('error', onError);
    client.once('close', onClose);
  });

  const preferred = knownKeyTypes(entries, resolved.hostName, resolved.port).flatMap(
    (t) => HOST_KEY_ALGORITHMS[t] ?? [],
  );
  client.connect({
    host: resolved.hostName,
    port: resolved.port,
    username: resolved.user,
    readyTimeout: 0, // the clock above, which stops while a person answers
    keepaliveInterval: 15_000,
    keepaliveCountMax: 3,
    ...(preferred.length > 0
      ? { algorithms: { serverHostKey: { prepend: preferred } as never } }
      : {}),
    hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
      verifyHostKey(key, entries, resolved, asking).then(
        () => verify(true),
        (err: TransportError) => {
          failure = err;
          verify(false);
        },
      );
    },
    authHandler: auth.next,
    ...(options.debug ? { debug: options.debug } : {}),
  });
  await ready;

  const channel = await new Promise<ClientChannel>((resolve, reject) => {
    client.exec(command, (err, ch) => {
      if (err) {
        client.end();
        reject(
          new TransportError('proxy-failed', `ssh exec failed: ${err.message}`, { cause: err }),
        );
      } else resolve(ch);
    });
  });
  const stream = channelStream(client, channel);
  attachHostCommand(stream, sshHostCommand(client));
  return stream;
}

/** The handshake's countdown: it stops while a person is asked something. */
function handshakeClock(ms: number, onExpired: () => void) {
  let left = ms;
  let startedAt = Date.now();
  let timer: NodeJS.Timeout | undefined = setTimeout(onExpired, ms);
  let questions = 0;
  let stopped = false;
  return {
    pause() {
      if (stopped || questions++ > 0) return;
      clearTimeout(timer);
      left -= Date.now() - startedAt;
    },
    resume() {
      if (stopped || --questions > 0) return;
      startedAt = Date.now();
      timer = setTimeout(onExpired, Math.max(0, left));
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** The callbacks, with the handshake clock stopped while they wait for a person. */
function askingPauses(
  options: SshDialOptions,
  clock: ReturnType<typeof handshakeClock>,
): SshDialOptions {
  const paused =
    <A, R>(f: (a: A) => Promise<R> | R) =>
    async (a: A): Promise<R> => {
      clock.pause();
      try {
        return await f(a);
      } finally {
        clock.resume();
      }
    };
  const { onUnknownHostKey, passphrase } = options;
  return {
    ...options,
    ...(onUnknownHostKey ? { onUnknownHostKey: paused(onUnknownHostKey) } : {}),
    ...(passphrase ? { passphrase: paused(passphrase) } : {}),
  };
}

/**
 * The exec channel as a plain Duplex whose end and errors mean what the RPC layer expects:
 * it ends or fails only once the channel has closed, with the proxy's stderr when it exited
 * badly (e.g. "nc: not found"), and destroying it closes the ssh connection.
 */
function channelStream(client: Client, channel: ClientChannel): Duplex {
  let stderr = '';
  let exit: string | null = null;
  const stream = new Duplex({
    read() {
      channel.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      channel.write(chunk) ? done() : channel.once('drain', () => done());
    },
    final(done) {
      channel.end();
      done();
    },
    destroy(err, done) {
      channel.close();
      client.end();
      done(err);
    },
  });
  channel.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) channel.pause();
  });
  channel.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-MAX_STDERR);
  });
  channel.on('exit', (code: number | null, signal?: string) => {
    if (code !== 0) exit = code === null ? `signal ${signal}` : `exit status ${code}`;
  });
  channel.on('close', () => {
    if (exit !== null) {
      const said = stderr.trim().split('\n').slice(-3).join(' / ') || exit;
      stream.destroy(
        new TransportError('proxy-failed', `the remote libvirt proxy stopped: ${said}`),
      );
    } else {
      stream.push(null);
      stream.destroy();
    }
  });
  client.on('error', (err) =>
    stream.destroy(new TransportError('connect-failed', `ssh: ${err.message}`, { cause: err })),
  );
  client.on('close', () => stream.destroy());
  return stream;
}

async function verifyHostKey(
  key: Buffer,
  entries: KnownHostsEntry[],
  resolved: ResolvedSshHost,
  options: SshDialOptions,
): Promise<void> {
  const { hostName: host, port } = resolved;
  const verdict = checkHostKey(entries, host, port, key);
  const print = fingerprint(key);
  const file = resolved.knownHostsFiles[0] ?? '~/.ssh/known_hosts';
  switch (verdict.status) {
    case 'known':
      return;
    case 'revoked':
      throw new TransportError(
        'host-key-revoked',
        `the host key of ${host} (${print}) is marked @revoked in known_hosts (line ${verdict.entry.line})`,
      );
    case 'changed':
      throw new HostKeyChangedError(
        port === 22 ? host : `[${host}]:${port}`,
        print,
        verdict.known.map((e) => `${fingerprint(e.key)} (line ${e.line})`),
        file,
      );
    case 'unknown': {
      const info: UnknownHostKey = {
        alias: resolved.alias,
        host,
        port,
        keyType: keyTypeOf(key),
        fingerprint: print,
        knownHostsFile: file,
        knownHostsLine: knownHostsLine(host, port, key, resolved.hashKnownHosts),
      };
      const decision = options.onUnknownHostKey ? await options.onUnknownHostKey(info) : 'reject';
      if (decision === 'trust-and-save') {
        await appendKnownHost(file, info.knownHostsLine);
        return;
      }
      if (decision === 'trust-once') return;
      throw new TransportError(
        'host-key-unknown',
        `the authenticity of ${host}${port === 22 ? '' : `:${port}`} can't be established: ` +
          `${info.keyType} key ${print} is not in ${resolved.knownHostsFiles.join(', ')}` +
          (options.onUnknownHostKey ? ' and was not accepted' : ''),
      );
    }
  }
}

/**
 * The authentication sequence: agent (unless IdentitiesOnly), then each key file. Key files
 * are read, and passphrases asked, only when the sequence reaches them.
 */
function authenticator(
  resolved: ResolvedSshHost,
  options: SshDialOptions,
  onFatal: (err: TransportError) => void,
) {
  const tried: string[] = [];
  const steps: (() => Promise<AnyAuthMethod | null>)[] = [];
  const username = resolved.user;
  if (resolved.agent && !resolved.identitiesOnly) {
    const agent = resolved.agent;
    steps.push(async () => {
      tried.push(`agent ${agent}`);
      return { type: 'agent', username, agent };
    });
  }
  for (const file of resolved.identityFiles) {
    steps.push(async () => {
      const key = await loadKey(file, resolved.identityFilesExplicit, options, tried);
      return key ? { type: 'publickey', username, key } : null;
    });
  }
  let index = 0;
  const next = (
    methodsLeft: string[] | null,
    _partial: boolean | null,
    done: (m: AnyAuthMethod | false) => void,
  ) => {
    if (methodsLeft && !methodsLeft.includes('publickey')) {
      onFatal(
        new TransportError(
          'auth-failed',
          `${resolved.user}@${resolved.hostName} accepts only ${methodsLeft.join(', ')}; ` +
            'kvm-chaos authenticates with keys (agent or key files)',
        ),
      );
      done(false);
      return;
    }
    (async () => {
      while (index < steps.length) {
        const step = steps[index++];
        const method = step ? await step() : null;
        if (method) return method;
      }
      return false as const;
    })().then(done, (err: unknown) => {
      onFatal(
        err instanceof TransportError
          ? err
          : new TransportError('auth-failed', String(err), { cause: err }),
      );
      done(false);
    });
  };
  return { next: next as never, tried };
}

async function loadKey(
  file: string,
  explicit: boolean,
  options: SshDialOptions,
  tried: string[],
): Promise<ParsedKey | null> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    if (explicit) tried.push(`${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    return null;
  }
  const { utils } = await loadSsh2();
  let parsed = utils.parseKey(data);
  for (let attempt = 1; parsed instanceof Error && /passphrase/i.test(parsed.message); attempt++) {
    if (!options.passphrase || attempt > 3) {
      tried.push(
        `${file} (encrypted, ${options.passphrase ? 'wrong passphrase' : 'no passphrase callback'})`,
      );
      return null;
    }
    const passphrase = await options.passphrase({ keyFile: file, attempt });
    if (passphrase === null) {
      tried.push(`${file} (encrypted, skipped)`);
      return null;
    }
    parsed = utils.parseKey(data, passphrase);
  }
  if (parsed instanceof Error || !parsed.isPrivateKey()) {
    tried.push(`${file} (not a usable private key)`);
    return null;
  }
  tried.push(file);
  return parsed;
}

function mapSshError(
  err: Error & { level?: string; code?: string },
  resolved: ResolvedSshHost,
  tried: readonly string[],
): TransportError {
  const where = `${resolved.user}@${resolved.hostName}:${resolved.port}`;
  if (err.level === 'client-authentication') {
    return new TransportError(
      'auth-failed',
      `${where} refused our keys (tried: ${tried.join(', ') || 'nothing: no agent and no key files'})`,
      { cause: err },
    );
  }
  if (err.level === 'client-timeout') {
    return new TransportError('connect-failed', `${where}: ssh handshake timed out`, {
      cause: err,
    });
  }
  return new TransportError('connect-failed', `${where}: ${err.message}`, { cause: err });
}
