import type {
  Binding,
  GuestId,
  HostId,
  HostInventory,
  HostSummary,
  Interruption,
  OwnershipClass,
} from '../../../shared/api';

// The inspector's rows: every port of every host, with its binding if it has one. Ports without
// a binding are listed too (class 'none'): an unfiltered port is worth seeing. A port that an
// interrupted change left half-done carries the interruption, and is never filtered away. Pure.

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
  interruptions: Interruption[];
};

/** An interruption with no port (a cut whose guest is down, say), shown per host. */
export type HostInterruption = { key: string; hostId: HostId; hostLabel: string } & Interruption;

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
    const interrupted = (portdev: string) =>
      inventory.interruptions.filter((x) => x.portdev === portdev);
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
        interruptions: interrupted(binding.portdev),
      });
    }
    for (const guest of inventory.guests) {
      for (const iface of guest.interfaces) {
        if (!iface.portdev || seen.has(iface.portdev)) continue;
        seen.add(iface.portdev);
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
          interruptions: interrupted(iface.portdev),
        });
      }
    }
    for (const x of inventory.interruptions) {
      if (x.portdev === null || seen.has(x.portdev)) continue;
      seen.add(x.portdev);
      rows.push({
        key: `${host.id}|${x.portdev}`,
        hostId: host.id,
        hostLabel: host.label,
        portdev: x.portdev,
        guestId: x.guestId,
        guestName: (x.guestId && guestName.get(x.guestId)) || 'no guest',
        mac: '',
        binding: null,
        class: 'none',
        interruptions: interrupted(x.portdev),
      });
    }
  }
  const collator = new Intl.Collator('en', { numeric: true });
  return rows.sort(
    (a, b) => collator.compare(a.hostLabel, b.hostLabel) || collator.compare(a.portdev, b.portdev),
  );
}

/** Interruptions that name no port, per host. */
export function hostInterruptions(
  hosts: readonly HostSummary[],
  inventories: Readonly<Record<string, HostInventory | undefined>>,
): HostInterruption[] {
  return hosts.flatMap((host) =>
    (inventories[host.id]?.interruptions ?? [])
      .filter((x) => x.portdev === null)
      .map((x, i) => ({ ...x, key: `${host.id}|${i}`, hostId: host.id, hostLabel: host.label })),
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
    const hidden = row.class !== 'none' && !classes.includes(row.class);
    if (hidden && row.interruptions.length === 0) return false;
    if (words.length === 0) return true;
    const text = [
      row.portdev,
      row.guestName,
      row.mac,
      row.hostLabel,
      row.class,
      row.binding?.filter ?? 'no binding',
      ...row.interruptions.flatMap((x) => [x.kind, x.message]),
      ...(row.binding?.parameters.flatMap((p) => [p.name, p.value]) ?? []),
    ]
      .join(' ')
      .toLowerCase();
    return words.every((w) => text.includes(w));
  });
}
