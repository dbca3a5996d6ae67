import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  checkedParams,
  checkedTarget,
  decimalArg,
  durationArg,
  portArg,
  UsageError,
} from './options';

const GUEST = 'guest:lab:e3b65745-3b44-431d-8d46-7344a4a5a094';

describe('numbers on the command line', () => {
  it('are decimal digits only, read with the UI words', () => {
    expect(durationArg('16')).toBe(16);
    expect(portArg('53')).toBe(53);
    for (const text of ['0x10', '1e3', '-5', '16.5', ' ', '0', '604801', 'abc'])
      expect(() => durationArg(text), text).toThrow(InvalidArgumentError);
    expect(() => durationArg('0x10')).toThrow(
      /'0x10' is not a duration: a duration is whole seconds/,
    );
    for (const text of ['abc', '0', '65536', '0x35', '+53'])
      expect(() => portArg(text), text).toThrow(/is not a port/);
    const timeout = decimalArg('--timeout', 1, 86_400);
    expect(timeout('30')).toBe(30);
    expect(() => timeout('1e3')).toThrow(/--timeout is a whole number from 1 to 86400/);
  });
});

describe('requests', () => {
  it("are checked with the contract's schemas: halves of one guest is refused", () => {
    expect(() =>
      checkedParams('chaos.apply', { partition: { topology: 'halves', guestIds: [GUEST] } }),
    ).toThrow(UsageError);
    expect(
      checkedParams('chaos.apply', { partition: { topology: 'isolate', guestIds: [GUEST] } }),
    ).toMatchObject({ partition: { topology: 'isolate' } });
  });
});

describe('-c', () => {
  it('refuses what is not a libvirt host, and passwords, without repeating them', () => {
    for (const uri of ['file:///etc/passwd', 'ssh://root:hunter2@kvm1', '!!! not a host ###']) {
      let message = '';
      try {
        checkedTarget(uri);
      } catch (e) {
        expect(e, uri).toBeInstanceOf(UsageError);
        message = (e as Error).message;
      }
      expect(message, uri).not.toBe('');
      expect(message, uri).not.toContain('hunter2');
    }
  });

  it('names a host for messages without its query', () => {
    expect(checkedTarget('qemu+ssh://root@127.0.0.1:2222/system?keyfile=/k')).toBe(
      'root@127.0.0.1:2222',
    );
    expect(checkedTarget('qemu:///system')).toBe('libvirtd on this machine (qemu:///system)');
  });
});
