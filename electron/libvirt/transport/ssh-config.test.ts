import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TransportError } from '../errors';
import { resolveSshHost } from './ssh-config';

const home = mkdtempSync(join(tmpdir(), 'kvm-chaos-ssh-config-'));
mkdirSync(join(home, '.ssh'));
const agentSock = join(home, 'agent.sock');
writeFileSync(agentSock, '');
afterAll(() => rmSync(home, { recursive: true, force: true }));

const config = (text: string) => {
  const file = join(home, '.ssh', 'config');
  writeFileSync(file, text);
  return file;
};

const env = { USER: 'alice', SSH_AUTH_SOCK: agentSock };

describe('resolveSshHost', () => {
  it('applies an alias: HostName, Port, User, IdentityFile with tokens', async () => {
    config(`
Host kvm-lab
  HostName 127.0.0.1
  Port 2222
  User root
  IdentityFile ~/.ssh/lab_%r
  IdentityFile %d/.ssh/second
  UserKnownHostsFile ~/.ssh/lab_known_hosts
  HashKnownHosts yes
`);
    const r = await resolveSshHost({ host: 'kvm-lab' }, { home, env });
    expect(r).toEqual({
      alias: 'kvm-lab',
      hostName: '127.0.0.1',
      port: 2222,
      user: 'root',
      identityFiles: [join(home, '.ssh/lab_root'), join(home, '.ssh/second')],
      identityFilesExplicit: true,
      agent: agentSock,
      identitiesOnly: false,
      knownHostsFiles: [
        join(home, '.ssh/lab_known_hosts'),
        '/etc/ssh/ssh_known_hosts',
        '/etc/ssh/ssh_known_hosts2',
      ],
      hashKnownHosts: true,
    });
  });

  it('explicit values (from the URI) win over the file; the first value wins in the file', async () => {
    config(`
Host kvm-lab
  HostName 10.0.0.5
  User root
Host *
  User nobody
  Port 2200
`);
    const r = await resolveSshHost(
      { host: 'kvm-lab', user: 'bob', port: 22, keyFile: '/k', knownHostsFile: '/kh' },
      { home, env },
    );
    expect(r).toMatchObject({
      hostName: '10.0.0.5',
      user: 'bob',
      port: 22,
      identityFiles: ['/k'],
      knownHostsFiles: ['/kh'],
    });
    const other = await resolveSshHost({ host: 'elsewhere' }, { home, env });
    expect(other).toMatchObject({ hostName: 'elsewhere', user: 'nobody', port: 2200 });
  });

  it('falls back to OpenSSH defaults: local user, port 22, default keys and known_hosts', async () => {
    const r = await resolveSshHost({ host: 'h' }, { home, env, configFile: null });
    expect(r.user).toBe('alice');
    expect(r.port).toBe(22);
    expect(r.identityFilesExplicit).toBe(false);
    expect(r.identityFiles).toContain(join(home, '.ssh/id_ed25519'));
    expect(r.knownHostsFiles[0]).toBe(join(home, '.ssh/known_hosts'));
  });

  it('IdentityAgent none disables the agent; a missing agent socket counts as none', async () => {
    config('Host a\n  IdentityAgent none\nHost b\n  IdentityAgent ~/nope.sock\n');
    expect((await resolveSshHost({ host: 'a' }, { home, env })).agent).toBeNull();
    expect((await resolveSshHost({ host: 'b' }, { home, env })).agent).toBeNull();
    expect((await resolveSshHost({ host: 'c' }, { home, env: { USER: 'x' } })).agent).toBeNull();
  });

  it('refuses ProxyJump rather than silently connecting directly', async () => {
    config('Host behind\n  ProxyJump bastion\n');
    await expect(resolveSshHost({ host: 'behind' }, { home, env })).rejects.toBeInstanceOf(
      TransportError,
    );
  });
});
