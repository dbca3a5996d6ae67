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
    /** A row per port, the first source to name it wins: binding, then guest, then interruption. */
    const add = (
      portdev: string,
      guestId: GuestId | null,
      name: string,
      mac: string,
      binding: Binding | null,
    ) => {
      if (seen.has(portdev)) return;
      seen.add(portdev);
      rows.push({
        key: `${host.id}|${portdev}`,
        hostId: host.id,
        hostLabel: host.label,
        portdev,
        guestId,
        guestName: (guestId && guestName.get(guestId)) || name,
        mac,
        binding,
        class: binding?.class ?? 'none',
        interruptions: inventory.interruptions.filter((x) => x.portdev === portdev),
      });
    };
    for (const b of inventory.bindings) add(b.portdev, b.guestId, b.ownerName, b.mac, b);
    for (const guest of inventory.guests)
      for (const iface of guest.interfaces)
        if (iface.portdev) add(iface.portdev, guest.id, guest.name, iface.mac, null);
    for (const x of inventory.interruptions)
      if (x.portdev) add(x.portdev, x.guestId, 'no guest', '', null);
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
