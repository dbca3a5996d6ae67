// The ssh transport against the lab's real sshd: host-key checks (changed, unknown, trust on
// first use), client keys (wrong key, passphrase-protected, ssh-agent), ~/.ssh/config aliases
// and libvirt's proxy variants.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LabState, readLabState } from '../../lab/lab-client';
import {
  type ConnectOptions,
  connect,
  HostKeyChangedError,
  type PassphraseRequest,
  TransportError,
  type UnknownHostKey,
} from './index';
import { labSshUri } from './lab-support';

const state: LabState = await readLabState();
const dir = mkdtempSync(join(tmpdir(), 'kvm-chaos-rpctest-ssh-'));
const home = join(dir, 'home');
mkdirSync(join(home, '.ssh'), { recursive: true });
let agent: ChildProcess | undefined;

afterAll(() => {
  if (agent?.pid) process.kill(agent.pid);
  rmSync(dir, { recursive: true, force: true });
});

/** Options that ignore the real ~/.ssh and any agent of the machine. */
const isolated: ConnectOptions = {
  home,
  configFile: null,
  env: { USER: 'root' },
  reconnect: false,
};

const hostPub = readFileSync(join(state.ssh.knownHosts, '..', 'ssh_host_ed25519_key.pub'), 'utf8');
const hostFingerprint = execFileSync('ssh-keygen', ['-l', '-f', '-'], { input: hostPub })
  .toString()
  .split(' ')[1];

function newKeyFile(name: string, passphrase = ''): string {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', file]);
  return file;
}

async function hostnameVia(uri: string, options: ConnectOptions = {}): Promise<string> {
  const lv = await connect(uri, { ...isolated, ...options });
  try {
    return await lv.connectGetHostname();
  } finally {
    await lv.close();
  }
}

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the connection to be refused');
    },
    (e: unknown) => e,
  );

describe('host keys', () => {
  it('the lab URI (its known_hosts, its key) connects', async () => {
    expect(await hostnameVia(state.sshUri)).toBe(execFileSync('hostname').toString().trim());
  });

  it('refuses a host whose key differs from known_hosts, naming both fingerprints', async () => {
    const other = newKeyFile('impostor_host_key');
    const otherPub = readFileSync(`${other}.pub`, 'utf8').split(' ');
    const knownHosts = join(dir, 'known_hosts_wrong');
    writeFileSync(knownHosts, `[127.0.0.1]:2222 ${otherPub[0]} ${otherPub[1]}\n`);
    const err = await failureOf(hostnameVia(labSshUri(state, { knownHosts })));
    expect(err).toBeInstanceOf(HostKeyChangedError);
    expect(err).toMatchObject({ code: 'host-key-changed', fingerprint: hostFingerprint });
    expect((err as Error).message).toContain('CHANGED');
    expect((err as Error).message).toContain(hostFingerprint);
  });

  it('refuses an unknown host without a trust callback', async () => {
    const knownHosts = join(dir, 'known_hosts_empty');
    writeFileSync(knownHosts, '');
    const err = await failureOf(hostnameVia(labSshUri(state, { knownHosts })));
    expect(err).toMatchObject({ name: 'TransportError', code: 'host-key-unknown' });
    expect((err as Error).message).toContain(hostFingerprint);
  });

  it('trust on first use: the callback sees the SHA256 fingerprint; saving makes it known', async () => {
    const knownHosts = join(dir, 'known_hosts_tofu');
    writeFileSync(knownHosts, '');
    const uri = labSshUri(state, { knownHosts });
    const asked: UnknownHostKey[] = [];

    const rejected = await failureOf(
      hostnameVia(uri, {
        onUnknownHostKey: (info) => {
          asked.push(info);
          return 'reject';
        },
      }),
    );
    expect(rejected).toMatchObject({ code: 'host-key-unknown' });
    expect(asked[0]).toMatchObject({
      host: '127.0.0.1',
      port: 2222,
      keyType: 'ssh-ed25519',
      fingerprint: hostFingerprint,
      knownHostsFile: knownHosts,
    });

    await hostnameVia(uri, { onUnknownHostKey: () => 'trust-once' });
    expect(readFileSync(knownHosts, 'utf8')).toBe('');

    await hostnameVia(uri, { onUnknownHostKey: () => 'trust-and-save' });
    const saved = readFileSync(knownHosts, 'utf8');
    expect(saved).toBe(`${asked[0]?.knownHostsLine}\n`);
    // OpenSSH finds the line we wrote, and we connect without asking again.
    expect(
      execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', knownHosts]).toString(),
    ).toContain('found');
    await hostnameVia(uri);
  });
});

describe('client keys', () => {
  it('refuses a key the server does not know', async () => {
    const key = newKeyFile('stranger_key');
    const err = await failureOf(hostnameVia(labSshUri(state, { key })));
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ code: 'auth-failed' });
    expect((err as Error).message).toContain(key);
  });

  it('asks the passphrase of an encrypted key through the callback', async () => {
    const key = join(dir, 'encrypted_key');
    copyFileSync(state.ssh.key, key);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'lab secret', '-f', key]);
    expect(readFileSync(key, 'utf8')).not.toBe(readFileSync(state.ssh.key, 'utf8'));
    const uri = labSshUri(state, { key });

    const asks: PassphraseRequest[] = [];
    await hostnameVia(uri, {
      passphrase: (req) => {
        asks.push(req);
        return 'lab secret';
      },
    });
    expect(asks).toEqual([{ keyFile: key, attempt: 1 }]);

    const wrong: number[] = [];
    const err = await failureOf(
      hostnameVia(uri, {
        passphrase: (req) => {
          wrong.push(req.attempt);
          return 'not it';
        },
      }),
    );
    expect(err).toMatchObject({ code: 'auth-failed' });
    expect(wrong).toEqual([1, 2, 3]);

    const none = await failureOf(hostnameVia(uri));
    expect((none as Error).message).toContain('encrypted');
  });

  it('uses ssh-agent (SSH_AUTH_SOCK) when no key file is given', async () => {
    const sock = join(dir, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    const env = { SSH_AUTH_SOCK: sock, USER: 'root' };
    await new Promise((r) => setTimeout(r, 300));
    execFileSync('ssh-add', [state.ssh.key], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const uri = `ssh://root@127.0.0.1:2222/?known_hosts=${state.ssh.knownHosts}`;
    expect(await hostnameVia(uri, { env })).toBeTruthy();
    // Without the agent the same URI has no credentials at all.
    const err = await failureOf(hostnameVia(uri));
    expect(err).toMatchObject({ code: 'auth-failed' });
  });
});

describe('~/.ssh/config and proxies', () => {
  it('connects through a config alias (HostName, Port, User, IdentityFile, UserKnownHostsFile)', async () => {
    const config = join(home, '.ssh', 'config');
    writeFileSync(
      config,
      `Host kvm-lab-alias
  HostName 127.0.0.1
  Port 2222
  User root
  IdentityFile ${state.ssh.key}
  UserKnownHostsFile ${state.ssh.knownHosts}
`,
    );
    expect(await hostnameVia('kvm-lab-alias', { configFile: config })).toBeTruthy();
    expect(await hostnameVia('ssh://kvm-lab-alias', { configFile: config })).toBeTruthy();
  });

  it('runs libvirt nc and native proxies too', async () => {
    expect(await hostnameVia(`${state.sshUri}&proxy=netcat`)).toBeTruthy();
    expect(await hostnameVia(`${state.sshUri}&proxy=native`)).toBeTruthy();
  });

  it('reports why the remote proxy failed', async () => {
    const err = await failureOf(hostnameVia(`${state.sshUri}&netcat=/nonexistent/nc`));
    expect(err).toMatchObject({ name: 'TransportError', code: 'proxy-failed' });
    expect((err as Error).message).toContain('/nonexistent/nc');
  });
});
