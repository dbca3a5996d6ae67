import type {
  Binding,
  GuestId,
  HostId,
  HostInventory,
  HostSummary,
  OwnershipClass,
} from '../../../shared/api';

// The inspector's rows: every port of every host, with its binding if it has one. Ports without
// a binding are listed too (class 'none'): an unfiltered port is worth seeing. Pure.

export type PortRow = {
  key: string;
  hostId: HostId;
  hostLabel: string;
  portdev: string;
  guestId: GuestId | null;
  guestName: string;
  mac: string;
  binding: Binding | null;
  class: OwnershipClass | 'none';
};

export function portRows(
  hosts: readonly HostSummary[],
  inventories: Readonly<Record<string, HostInventory | undefined>>,
): PortRow[] {
  const rows: PortRow[] = [];
  for (const host of hosts) {
    const inventory = inventories[host.id];
    if (!inventory) continue;
    const seen = new Set<string>();
    const guestName = new Map(inventory.guests.map((g) => [g.id as string, g.name]));
    for (const binding of inventory.bindings) {
      seen.add(binding.portdev);
      rows.push({
        key: `${host.id}|${binding.portdev}`,
        hostId: host.id,
        hostLabel: host.label,
        portdev: binding.portdev,
        guestId: binding.guestId,
        guestName: (binding.guestId && guestName.get(binding.guestId)) || binding.ownerName,
        mac: binding.mac,
        binding,
        class: binding.class,
      });
    }
    for (const guest of inventory.guests) {
      for (const iface of guest.interfaces) {
        if (!iface.portdev || seen.has(iface.portdev)) continue;
        rows.push({
          key: `${host.id}|${iface.portdev}`,
          hostId: host.id,
          hostLabel: host.label,
          portdev: iface.portdev,
          guestId: guest.id,
          guestName: guest.name,
          mac: iface.mac,
          binding: null,
          class: 'none',
        });
      }
    }
  }
  const collator = new Intl.Collator('en', { numeric: true });
  return rows.sort(
    (a, b) => collator.compare(a.hostLabel, b.hostLabel) || collator.compare(a.portdev, b.portdev),
  );
}

/** Rows whose class is wanted and whose text contains every word of the query. */
export function filterRows(
  rows: readonly PortRow[],
  query: string,
  classes: readonly OwnershipClass[],
): PortRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((row) => {
    if (row.class !== 'none' && !classes.includes(row.class)) return false;
    if (words.length === 0) return true;
    const text = [
      row.portdev,
      row.guestName,
      row.mac,
      row.hostLabel,
      row.class,
      row.binding?.filter ?? 'no binding',
      ...(row.binding?.parameters.flatMap((p) => [p.name, p.value]) ?? []),
    ]
      .join(' ')
      .toLowerCase();
    return words.every((w) => text.includes(w));
  });
}
