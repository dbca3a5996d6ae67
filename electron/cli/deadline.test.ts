import { describe, expect, it } from 'vitest';
import { Deadline, StallError } from './deadline';

const never = new Promise<never>(() => {});

describe('Deadline', () => {
  it('ends a step at its own bound, naming the host and what it waited for', async () => {
    const d = new Deadline(30, 'root@kvm1:2222');
    const step = d.step('the inventory', never, 0.05);
    await expect(step).rejects.toBeInstanceOf(StallError);
    await expect(step).rejects.toThrow(
      /^root@kvm1:2222 did not answer within 0\.1 s while waiting for the inventory\n/,
    );
  });

  it("ends any step at the command's deadline and says it was --timeout", async () => {
    const d = new Deadline(0.05, 'kvm1');
    await expect(d.step('the change to be applied', never, 20)).rejects.toThrow(
      "(the command's --timeout of 0.1 s)",
    );
  });

  it('ends the running step at once when told to (a dropped connection)', async () => {
    const d = new Deadline(30, 'kvm1');
    const step = d.step('the change to be applied', never);
    d.fail(new StallError('the connection to kvm1 dropped'));
    await expect(step).rejects.toThrow('the connection to kvm1 dropped');
  });

  it('passes results and errors of steps that finish in time', async () => {
    const d = new Deadline(30, 'kvm1');
    expect(await d.step('x', Promise.resolve(7), 1)).toBe(7);
    await expect(d.step('x', Promise.reject(new Error('libvirt said no')))).rejects.toThrow(
      'libvirt said no',
    );
  });
});
