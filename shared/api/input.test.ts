import { describe, expect, it } from 'vitest';
import { ApplyRequest } from './calls';
import { labCut } from './fixtures';
import {
  hostAddressKey,
  hostAddressProblem,
  readDuration,
  readHostAddress,
  readPort,
} from './input';
import { CutScope } from './model';
import { describeIssues } from './wire';

const problem = <T>(p: { ok: true; value: T } | { ok: false; problem: string }) =>
  p.ok ? null : p.problem;

describe('durations and ports as typed', () => {
  it('reads decimal whole numbers only; empty means no limit / every port', () => {
    expect(readDuration('')).toEqual({ ok: true, value: null });
    expect(readDuration(' 30 ')).toEqual({ ok: true, value: 30 });
    expect(readDuration('604800')).toEqual({ ok: true, value: 604800 });
    expect(readPort('53')).toEqual({ ok: true, value: 53 });
    expect(readPort('  ')).toEqual({ ok: true, value: null });
  });

  it('refuses a sign, a fraction, hex, exponents, zero and too much, saying what would do', () => {
    for (const text of ['-5', '0', '1.5', '0x10', '1e3', '+5', '604801', 'abc', '5 s']) {
      expect(problem(readDuration(text))).toBe(
        `'${text}' is not a duration: a duration is whole seconds from 1 to 604800 (a week); leave it empty for no limit`,
      );
    }
    for (const text of ['abc', '0', '65536', '-1', '53.0', '0x35']) {
      expect(problem(readPort(text))).toBe(
        `'${text}' is not a port: a port is a whole number from 1 to 65535; leave it empty for every port`,
      );
    }
  });

  it('the contract refuses the same values with the same rule, whoever sends them', () => {
    const cut = labCut(1, 2);
    const request = { cuts: [{ from: cut.from, to: cut.to, direction: 'both', scope: cut.scope }] };
    for (const durationSeconds of [-5, 0, 1.5, 604801]) {
      const parsed = ApplyRequest.safeParse({ ...request, durationSeconds });
      expect(parsed.success).toBe(false);
      if (!parsed.success)
        expect(describeIssues(parsed.error)).toContain(
          'a duration is whole seconds from 1 to 604800 (a week)',
        );
    }
    for (const port of [0, 65536, 5.5, -53]) {
      const parsed = CutScope.safeParse({ kind: 'udp', port });
      expect(parsed.success).toBe(false);
      if (!parsed.success)
        expect(describeIssues(parsed.error)).toContain('a port is a whole number from 1 to 65535');
    }
    expect(CutScope.safeParse({ kind: 'udp', port: 'abc' }).success).toBe(false);
    expect(ApplyRequest.safeParse({ ...request, durationSeconds: 30 }).success).toBe(true);
  });
});

describe('host addresses', () => {
  it('reads every form the connection understands', () => {
    expect(readHostAddress('ssh://root@127.0.0.1:2222')).toEqual({
      ok: true,
      value: {
        transport: 'ssh',
        user: 'root',
        host: '127.0.0.1',
        port: 2222,
        driver: 'qemu:///system',
      },
    });
    expect(readHostAddress('qemu+ssh://alice@KVM1.example.org/system?keyfile=/k')).toEqual({
      ok: true,
      value: {
        transport: 'ssh',
        user: 'alice',
        host: 'kvm1.example.org',
        port: null,
        driver: 'qemu:///system',
      },
    });
    expect(readHostAddress('me@kvm-lab:2022')).toMatchObject({
      ok: true,
      value: { user: 'me', host: 'kvm-lab', port: 2022 },
    });
    expect(readHostAddress('kvm1')).toMatchObject({ ok: true, value: { host: 'kvm1' } });
    expect(readHostAddress('qemu+ssh://[::1]:22/system')).toMatchObject({
      ok: true,
      value: { host: '::1', port: 22 },
    });
    expect(readHostAddress('qemu:///system')).toEqual({
      ok: true,
      value: { transport: 'unix', socket: null, driver: 'qemu:///system' },
    });
    expect(readHostAddress('test:///tmp/scale.xml')).toMatchObject({
      ok: true,
      value: { transport: 'unix', driver: 'test:///tmp/scale.xml' },
    });
  });

  it('refuses what is not a host, with the reason', () => {
    expect(problem(readHostAddress('!!! not a host ###'))).toBe(
      "'!!! not a host ###' is not a host: give the host as ssh://user@host[:port], qemu+ssh://user@host/system or an ~/.ssh/config alias",
    );
    expect(problem(readHostAddress('ssh://root@127.0.0.1:abc'))).toBe(
      "'abc' is not a port in ssh://root@127.0.0.1:abc: a port is a whole number from 1 to 65535",
    );
    expect(problem(readHostAddress('kvm1:0'))).toBe(
      "'0' is not a port in kvm1:0: a port is a whole number from 1 to 65535",
    );
    expect(problem(readHostAddress('ssh://root:secret@kvm1'))).toBe(
      'the address holds a password, which would be saved with it: leave it out and use ssh-agent or a key file',
    );
    expect(problem(readHostAddress('root:secret@kvm1'))).toMatch(/^the address holds a password/);
    // Messages are shown and logged: a password never is.
    expect(problem(readHostAddress('ssh://root:secret@kvm1:abc'))).toBe(
      "'abc' is not a port in ssh://root:***@kvm1:abc: a port is a whole number from 1 to 65535",
    );
    expect(problem(readHostAddress('ssh://!!!@kvm1'))).toBe(
      "'!!!' is not a user name in ssh://!!!@kvm1",
    );
    expect(problem(readHostAddress('ssh://ro ot@kvm1'))).toBe(
      "'ssh://ro ot@kvm1' is not a connection URI",
    );
    expect(problem(readHostAddress('ssh://k$vm1'))).toMatch(/^'k\$vm1' is not a host/);
    expect(problem(readHostAddress('qemu+ssh://h/system?no_verify=1'))).toMatch(
      /host-key verification cannot be turned off/,
    );
    expect(problem(readHostAddress('qemu+ssh://h/system?command=sh'))).toMatch(/command= is not/);
    expect(problem(readHostAddress('qemu://kvm1/system'))).toMatch(/means TLS/);
    expect(problem(readHostAddress('qemu+tls://kvm1/system'))).toMatch(/transport 'tls'/);
    expect(problem(readHostAddress('qemu+ssh:///system'))).toMatch(/an ssh URI needs a host/);
    expect(problem(readHostAddress(''))).toMatch(/^give the host as/);
    expect(problem(readHostAddress('file:///etc/passwd'))).toBe(
      "file:///etc/passwd: 'file' is not a libvirt driver; use qemu:///system, qemu+ssh://user@host/system or ssh://user@host",
    );
  });

  it('one key per daemon and login: the same host written two ways is the same host', () => {
    const key = (text: string) => {
      const a = readHostAddress(text);
      if (!a.ok) throw new Error(a.problem);
      return hostAddressKey(a.value);
    };
    expect(key('ssh://root@127.0.0.1:2222')).toBe(key('qemu+ssh://root@127.0.0.1:2222/system'));
    expect(key('root@KVM1')).toBe(key('ssh://root@kvm1'));
    expect(key('qemu:///system')).toBe(key('qemu+unix:///system'));
    expect(key('ssh://root@kvm1')).not.toBe(key('ssh://alice@kvm1'));
    expect(key('ssh://root@kvm1:2222')).not.toBe(key('ssh://root@kvm1'));
    expect(key('qemu+ssh://root@kvm1/session')).not.toBe(key('qemu+ssh://root@kvm1/system'));
  });

  it('refuses a second profile for the same host, naming the first', () => {
    const added = [{ id: 'root@127.0.0.1:2222', uri: 'ssh://root@127.0.0.1:2222', label: 'lab' }];
    expect(hostAddressProblem('qemu+ssh://root@127.0.0.1:2222/system', added)).toBe(
      'qemu+ssh://root@127.0.0.1:2222/system is already added as lab (root@127.0.0.1:2222): its guests would show twice',
    );
    expect(hostAddressProblem('ssh://root@127.0.0.1:2223', added)).toBeNull();
    expect(hostAddressProblem('!!! not a host ###', added)).toMatch(/is not a host/);
    // A profile saved before these checks existed is simply not a match.
    expect(hostAddressProblem('kvm1', [{ id: 'x', uri: '!!! bad', label: 'x' }])).toBeNull();
  });
});
