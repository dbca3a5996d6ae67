// Inventory patches: what changed between two revisions of a host's inventory, by key, and the
// one way to apply one. Applying the patch of two revisions to the first gives exactly the second,
// order included; clients apply it with the same function, so both sides agree by construction.
import type { HostInventory, InventoryPatch } from '../api/model';

/** `order`: every key in its new place, only when merging alone would not give it. */
type Keyed<T> = { upsert: T[]; remove: string[]; order?: string[] };

/** The collections a patch names, each with the key its items are replaced by. */
const COLLECTIONS = {
  segments: (s: HostInventory['segments'][number]) => s.id as string,
  guests: (g: HostInventory['guests'][number]) => g.id as string,
  bindings: (b: HostInventory['bindings'][number]) => b.portdev,
  filters: (f: HostInventory['filters'][number]) => f.name,
  cuts: (c: HostInventory['cuts'][number]) => c.id as string,
} as const;
type Collection = keyof typeof COLLECTIONS;

function merge<T>(items: T[], change: Keyed<T> | undefined, key: (item: T) => string): T[] {
  if (!change) return items;
  const removed = new Set(change.remove);
  const replaced = new Map(change.upsert.map((item) => [key(item), item]));
  const kept = items
    .filter((item) => !removed.has(key(item)))
    .map((item) => replaced.get(key(item)) ?? item);
  const present = new Set(kept.map(key));
  const merged = [...kept, ...change.upsert.filter((item) => !present.has(key(item)))];
  if (!change.order) return merged;
  const byKey = new Map(merged.map((item) => [key(item), item]));
  return change.order.flatMap((k) => {
    const item = byKey.get(k);
    return item === undefined ? [] : [item];
  });
}

/** An inventory with a patch applied; every collection not named by the patch keeps its identity. */
export function applyInventoryPatch(
  inventory: HostInventory,
  patch: InventoryPatch,
  revision: number,
): HostInventory {
  return {
    ...inventory,
    revision,
    hostname: patch.hostname ?? inventory.hostname,
    readAt: patch.readAt ?? inventory.readAt,
    segments: merge(inventory.segments, patch.segments, COLLECTIONS.segments),
    guests: merge(inventory.guests, patch.guests, COLLECTIONS.guests),
    bindings: merge(inventory.bindings, patch.bindings, COLLECTIONS.bindings),
    filters: merge(inventory.filters, patch.filters, COLLECTIONS.filters),
    cuts: merge(inventory.cuts, patch.cuts, COLLECTIONS.cuts),
    interruptions: patch.interruptions ?? inventory.interruptions,
  };
}

function diff<T>(
  before: readonly T[],
  after: readonly T[],
  key: (item: T) => string,
): Keyed<T> | undefined {
  const old = new Map(before.map((item) => [key(item), JSON.stringify(item)]));
  const upsert = after.filter((item) => old.get(key(item)) !== JSON.stringify(item));
  const order = after.map(key);
  const kept = new Set(order);
  const remove = before.map(key).filter((k) => !kept.has(k));
  // merge() keeps the survivors' order and appends new items; libvirt lists in hash order, so a
  // new filter or binding can land anywhere: then the new order travels too.
  const merged = [
    ...before.map(key).filter((k) => kept.has(k)),
    ...order.filter((k) => !old.has(k)),
  ];
  const reordered = merged.some((k, i) => k !== order[i]);
  if (!upsert.length && !remove.length && !reordered) return undefined;
  return reordered ? { upsert, remove, order } : { upsert, remove };
}

export type InventoryDelta = { kind: 'same' } | { kind: 'patch'; patch: InventoryPatch };

export function inventoryDelta(before: HostInventory, after: HostInventory): InventoryDelta {
  const patch: InventoryPatch = {};
  const changes = patch as Record<Collection, Keyed<unknown> | undefined>;
  let changed = false;
  for (const name of Object.keys(COLLECTIONS) as Collection[]) {
    const change = diff<unknown>(
      before[name],
      after[name],
      COLLECTIONS[name] as (item: unknown) => string,
    );
    if (change) {
      changes[name] = change;
      changed = true;
    }
  }
  if (after.hostname !== before.hostname) {
    patch.hostname = after.hostname;
    changed = true;
  }
  if (JSON.stringify(after.interruptions) !== JSON.stringify(before.interruptions)) {
    patch.interruptions = after.interruptions;
    changed = true;
  }
  if (!changed) return { kind: 'same' };
  if (after.readAt !== before.readAt) patch.readAt = after.readAt;
  return { kind: 'patch', patch };
}
