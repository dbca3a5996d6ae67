import { describe, expect, it } from 'vitest';
import { labBinding, labCut, labGuest, labInventory } from '../api/fixtures';
import type { HostInventory } from '../api/model';
import { applyInventoryPatch, inventoryDelta } from './patch';

const next = (inv: HostInventory, change: Partial<HostInventory>): HostInventory => ({
  ...inv,
  revision: inv.revision + 1,
  readAt: inv.readAt + 1000,
  ...change,
});

/** The patch of before → after, which applied to before must give after exactly. */
function patchOf(before: HostInventory, after: HostInventory) {
  const delta = inventoryDelta(before, after);
  if (delta.kind !== 'patch') throw new Error(`expected a patch, got ${delta.kind}`);
  expect(applyInventoryPatch(before, delta.patch, after.revision)).toEqual(after);
  return delta.patch;
}

describe('inventory patches', () => {
  const before = labInventory(3, { revision: 4, readAt: 1_000 });

  it('a read that changed nothing but the time is no change', () => {
    expect(inventoryDelta(before, next(before, {}))).toEqual({ kind: 'same' });
  });

  it('one guest changed: only that guest (and the read time) travel', () => {
    const after = next(before, {
      guests: before.guests.map((g, i) => (i === 1 ? { ...g, state: 'shutoff' as const } : g)),
    });
    const patch = patchOf(before, after);
    expect(patch).toEqual({
      guests: { upsert: [after.guests[1]], remove: [] },
      readAt: after.readAt,
    });
  });

  it('added and removed items by key, cuts and bindings, interruptions and hostname whole', () => {
    const after = next(before, {
      hostname: 'renamed',
      guests: [...before.guests.slice(1), labGuest(4)],
      bindings: [...before.bindings, labBinding(2)],
      cuts: [...before.cuts, labCut(1, 2)],
      interruptions: [
        { kind: 'unbound-port', portdev: 'vnet9', guestId: null, message: 'm', repair: 'r' },
      ],
    });
    const patch = patchOf(before, after);
    expect(patch.guests?.remove).toEqual([before.guests[0]?.id]);
    expect(patch.guests?.upsert.map((g) => g.name)).toEqual([labGuest(4).name]);
    expect(patch.hostname).toBe('renamed');
    expect(patch.interruptions).toHaveLength(1);
    expect(patch.segments).toBeUndefined();
  });

  it('a new order (libvirt lists in hash order) travels as the keys in order', () => {
    const after = next(before, { guests: [labGuest(4), ...[...before.guests].reverse()] });
    const patch = patchOf(before, after);
    expect(patch.guests?.order).toEqual(after.guests.map((g) => g.id));
    expect(patch.guests?.upsert.map((g) => g.name)).toEqual([labGuest(4).name]);
  });

  it('no order when merging alone gives it', () => {
    const after = next(before, { guests: [...before.guests, labGuest(4)] });
    expect(patchOf(before, after).guests?.order).toBeUndefined();
  });

  it('collections the patch does not name keep their identity', () => {
    const after = next(before, { cuts: [labCut(1, 3)] });
    const patched = applyInventoryPatch(before, patchOf(before, after), after.revision);
    expect(patched.guests).toBe(before.guests);
  });
});
