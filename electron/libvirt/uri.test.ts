import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TransportError } from './errors';
import { escapeShell, parseConnectUri, remoteProxyCommand } from './uri';

describe('parseConnectUri', () => {
  it('empty and qemu:///system mean the local socket', () => {
    const local = {
      transport: 'unix',
      socketPath: '/var/run/libvirt/libvirt-sock',
      name: 'qemu:///system',
    };
    expect(parseConnectUri('')).toEqual(local);
    expect(parseConnectUri(undefined)).toEqual(local);
    expect(parseConnectUri('qemu:///system')).toEqual(local);
    expect(parseConnectUri('qemu+unix:///system')).toEqual(local);
  });

  it('keeps the driver and extra parameters in the name, consumes socket=', () => {
    expect(parseConnectUri('test+unix:///default?socket=/tmp/s')).toEqual({
      transport: 'unix',
      socketPath: '/tmp/s',
      name: 'test:///default',
    });
    expect(parseConnectUri('qemu:///system?foo=bar').name).toBe('qemu:///system?foo=bar');
    expect(parseConnectUri('qemu:///system', true)).toMatchObject({
      socketPath: '/var/run/libvirt/libvirt-sock-ro',
    });
  });

  it('parses libvirt ssh URIs like libvirt does', () => {
    expect(
      parseConnectUri(
        'qemu+ssh://root@127.0.0.1:2222/system?keyfile=/lab/id_ed25519&known_hosts=/lab/known_hosts',
      ),
    ).toEqual({
      transport: 'ssh',
      host: '127.0.0.1',
      port: 2222,
      user: 'root',
      keyFile: '/lab/id_ed25519',
      knownHostsFile: '/lab/known_hosts',
      name: 'qemu:///system',
      proxy: 'auto',
      socketPath: '/var/run/libvirt/libvirt-sock',
    });
    expect(parseConnectUri('qemu+ssh://kvm1/session')).toMatchObject({
      host: 'kvm1',
      name: 'qemu:///session',
    });
    expect(parseConnectUri('qemu+ssh://[::1]:22/system')).toMatchObject({ host: '::1', port: 22 });
    expect(parseConnectUri('qemu+ssh://h/system?netcat=/bin/nc')).toMatchObject({
      proxy: 'netcat',
      netcat: '/bin/nc',
    });
    expect(parseConnectUri('qemu+ssh://h/system?proxy=native')).toMatchObject({ proxy: 'native' });
  });

  it('parses ssh:// URLs and ssh aliases', () => {
    expect(parseConnectUri('ssh://admin@kvm1:2200')).toEqual({
      transport: 'ssh',
      host: 'kvm1',
      port: 2200,
      user: 'admin',
      name: 'qemu:///system',
      proxy: 'auto',
      socketPath: '/var/run/libvirt/libvirt-sock',
    });
    expect(parseConnectUri('kvm-lab')).toMatchObject({ transport: 'ssh', host: 'kvm-lab' });
    expect(parseConnectUri('me@kvm-lab:2022')).toMatchObject({
      host: 'kvm-lab',
      user: 'me',
      port: 2022,
    });
  });

  it('refuses what would weaken host-key checking or is not supported', () => {
    for (const uri of [
      'qemu+ssh://h/system?no_verify=1',
      'qemu+libssh2://h/system?known_hosts_verify=ignore',
      'qemu+tls://h/system',
      'qemu://h/system',
      'qemu+ssh://h/system?command=/usr/bin/ssh',
      'qemu+ssh://h/system?proxy=magic',
      'qemu+ssh://h:99999/system',
      'not a host',
      'http://[bad',
    ]) {
      expect(() => parseConnectUri(uri), uri).toThrow(TransportError);
    }
  });

  it('refuses what is not a libvirt driver (file:, http:)', () => {
    for (const uri of ['file:///etc/passwd', 'http:///x', 'data:///system']) {
      expect(() => parseConnectUri(uri), uri).toThrow(/is not a libvirt driver/);
    }
    expect(parseConnectUri('test:///default')).toMatchObject({ transport: 'unix' });
  });

  it('refuses a password in the URI without repeating it', () => {
    for (const uri of [
      'ssh://root:hunter2@kvm1',
      'qemu+ssh://root:hunter2@kvm1:2222/system',
      'qemu+ssh://root:hunter2@kvm1:99999/system',
    ]) {
      let message = '';
      try {
        parseConnectUri(uri);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, uri).toMatch(/password|\*\*\*/);
      expect(message, uri).not.toContain('hunter2');
    }
  });
});

describe('remoteProxyCommand', () => {
  it('matches the command libvirt 9.0.0 sends (observed verbatim)', () => {
    expect(
      remoteProxyCommand({
        proxy: 'auto',
        name: 'qemu:///system',
        socketPath: '/var/run/libvirt/libvirt-sock',
      }),
    ).toBe(
      `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     virt-ssh-helper 'qemu:///system'; else    if 'nc' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;'nc' $ARG -U /var/run/libvirt/libvirt-sock; fi'`,
    );
  });

  it('read-only, native and netcat variants', () => {
    expect(
      remoteProxyCommand({
        proxy: 'native',
        name: 'qemu:///system',
        socketPath: '/s',
        readOnly: true,
      }),
    ).toBe(`sh -c 'virt-ssh-helper -r 'qemu:///system''`);
    expect(
      remoteProxyCommand({
        proxy: 'auto',
        name: 'qemu:///system',
        socketPath: '/s',
        netcat: '/bin/nc',
      }),
    ).toMatch(/^sh -c 'if '\/bin\/nc' -q .*'\/bin\/nc' \$ARG -U \/s'$/);
  });

  it('escapes names with shell metacharacters twice', () => {
    expect(escapeShell('a b')).toBe("'a b'");
    expect(escapeShell("it's")).toBe("'it'\\''s'");
    expect(escapeShell('')).toBe("''");
    const cmd = remoteProxyCommand({
      proxy: 'native',
      name: 'qemu:///system?x=$(id)',
      socketPath: '/s',
    });
    expect(cmd).toContain(`''\\''qemu:///system?x=$(id)'\\'''`);
  });

  it('the double escape survives the login shell plus sh -c (run through /bin/sh)', () => {
    for (const name of ['qemu:///system?x=$(id)', "it's a b", 'a"b;c`d`', 'plain:///x']) {
      const cmd = remoteProxyCommand({ proxy: 'native', name, socketPath: '/s' }).replace(
        'virt-ssh-helper',
        'printf %s',
      );
      expect(execFileSync('sh', ['-c', cmd]).toString()).toBe(name);
    }
  });
});
