// Inventory patches: what changed between two revisions of a host's inventory, by key, and the
// one way to apply one. The engine sends a patch instead of the whole inventory when applying it
// to the previous revision gives exactly the new one (order included); clients apply it with the
// same function, so both sides agree by construction.
import type { HostInventory, InventoryPatch } from '../api/model';

type Keyed<T> = { upsert: T[]; remove: string[] };

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
  return [...kept, ...change.upsert.filter((item) => !present.has(key(item)))];
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
): { change: Keyed<T> | undefined; ordered: boolean } {
  const old = new Map(before.map((item) => [key(item), JSON.stringify(item)]));
  const upsert = after.filter((item) => old.get(key(item)) !== JSON.stringify(item));
  const kept = new Set(after.map(key));
  const remove = before.map(key).filter((k) => !kept.has(k));
  // merge() keeps the survivors' order and appends new items: is that the new order?
  const survivors = before.map(key).filter((k) => kept.has(k));
  const added = after.map(key).filter((k) => !old.has(k));
  const order = after.map(key);
  const ordered = [...survivors, ...added].every((k, i) => k === order[i]);
  return {
    change: upsert.length || remove.length ? { upsert, remove } : undefined,
    ordered,
  };
}

export type InventoryDelta =
  | { kind: 'same' }
  | { kind: 'patch'; patch: InventoryPatch }
  /** The new order cannot be reached by a patch (an item moved): send the whole inventory. */
  | { kind: 'reordered' };

/**
 * What changed from `before` to `after`, revision aside. readAt alone is no change (`same`); with
 * any other change the patch carries it, so the patched inventory equals `after` exactly.
 */
export function inventoryDelta(before: HostInventory, after: HostInventory): InventoryDelta {
  const patch: InventoryPatch = {};
  const changes = patch as Record<Collection, Keyed<unknown> | undefined>;
  let changed = false;
  for (const name of Object.keys(COLLECTIONS) as Collection[]) {
    const { change, ordered } = diff<unknown>(
      before[name],
      after[name],
      COLLECTIONS[name] as (item: unknown) => string,
    );
    if (!ordered) return { kind: 'reordered' };
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
