import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFilterXml, parseNwfilter } from '../libvirt/nwfilter';
import { macAddress, uuid } from '../libvirt/values';
import {
  cutFilterName,
  dropFilterName,
  isOurs,
  nameLabel,
  PREFIX,
  parseOurName,
  portHash,
  protectFilterName,
} from './naming';

describe('names of what kvm-chaos creates', () => {
  it('reads like what it is in virsh nwfilter-list', () => {
    const m = macAddress('52:54:00:00:00:11');
    const u = uuid('e3b65745-3b44-431d-8d46-7344a4a5a094');
    expect(cutFilterName('lab-node1', u, m)).toMatch(/^kvm-chaos-cut-lab-node1-[0-9a-f]{10}$/);
    expect(dropFilterName('in', { kind: 'all' })).toBe('kvm-chaos-drop-in-all');
    expect(dropFilterName('out', { kind: 'udp', port: 53 })).toBe('kvm-chaos-drop-out-udp-53');
    expect(protectFilterName('no-smtp')).toBe('kvm-chaos-protect-no-smtp');
    expect(PREFIX).toBe('kvm-chaos-');
  });

  it('parses its own names back and nothing else', () => {
    const m = macAddress('52:54:00:00:00:11');
    const u = uuid('e3b65745-3b44-431d-8d46-7344a4a5a094');
    expect(parseOurName(cutFilterName('x', u, m))).toEqual({ kind: 'cut', hash: portHash(u, m) });
    expect(parseOurName('kvm-chaos-drop-out-tcp-8080')).toEqual({
      kind: 'drop',
      direction: 'out',
      scopeLabel: 'tcp-8080',
      prefix: null,
    });
    expect(parseOurName('kvm-chaos-drop-in-net24-udp-53')).toEqual({
      kind: 'drop',
      direction: 'in',
      scopeLabel: 'udp-53',
      prefix: 24,
    });
    expect(parseOurName('kvm-chaos-protect-no-smtp')).toEqual({ kind: 'protect', id: 'no-smtp' });
    for (const other of [
      'clean-traffic',
      'kvm-chaos-labtest-seed-udp',
      'kvm-chaos-cut-x',
      'kvm-chaos-drop-sideways-all',
      'kvm-chaos-drop-in-net33-all',
    ])
      expect(parseOurName(other)).toBeNull();
    expect(isOurs('kvm-chaos-labtest-seed-udp')).toBe(true);
  });

  it('makes a safe, distinct, libvirt-valid name for any guest name', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.uuid()), {
          minLength: 2,
          maxLength: 20,
        }),
        (guests) => {
          const m = macAddress('52:54:00:00:00:11');
          const ids = new Set(guests.map(([, id]) => id));
          const names = guests.map(([name, id]) => cutFilterName(name, uuid(id), m));
          for (const n of names) {
            expect(n).toMatch(/^kvm-chaos-cut-[A-Za-z0-9._-]+-[0-9a-f]{10}$/);
            expect(n.length).toBeLessThanOrEqual(60);
            // libvirt takes it back unchanged.
            expect(parseNwfilter(buildFilterXml({ name: n, entries: [] })).name).toBe(n);
          }
          expect(new Set(names).size).toBe(ids.size);
        },
      ),
    );
    expect(nameLabel(`it's <"x"> & y`)).toBe('it-s-x-y');
    expect(nameLabel('naïve été')).toBe('naive-ete');
    expect(nameLabel('日本')).toBe('guest');
    expect(nameLabel('a b')).toBe(nameLabel('a_b').replace('_', '-'));
  });
});
