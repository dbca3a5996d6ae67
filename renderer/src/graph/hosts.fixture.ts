import type { Guest, HostInventory, HostSummary, Segment } from '../../../shared/api';
import { labGuest, labHost, labInventory, labSegment } from '../../../shared/api/fixtures';
import { guestId, HostId, segmentId } from '../../../shared/api/values';

// Several hosts shaped like the lab (h1-node1.., one network per `segments`), for tests of the
// layout and the flow at scale. Tests only.

export function hostSummary(n: number): HostSummary {
  const id = HostId.parse(`h${n}`);
  return { ...labHost, id, label: `h${n}`, status: { ...labHost.status, hostId: id } };
}

export function hostInventory(n: number, guests: number, segments = 1): HostInventory {
  const hostId = HostId.parse(`h${n}`);
  const nets: Segment[] = Array.from({ length: segments }, (_, s) => ({
    ...labSegment,
    id: segmentId(hostId, 'network', `net${s + 1}`),
    hostId,
    name: `net${s + 1}`,
  }));
  const list: Guest[] = Array.from({ length: guests }, (_, i) => {
    const base = labGuest(i + 1);
    const uuid = `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${String(i + 1).padStart(12, '0')}`;
    return {
      ...base,
      id: guestId(hostId, uuid),
      hostId,
      uuid,
      name: `h${n}-node${i + 1}`,
      interfaces: base.interfaces.map((iface) => ({
        ...iface,
        segmentId: (nets[i % segments] as Segment).id,
      })),
    };
  });
  return { ...labInventory(0), hostId, hostname: `h${n}`, segments: nets, guests: list };
}

/** `hosts` hosts of `guests` guests each, as buildGraphModel takes them. */
export function hostsOf(hosts: number, guests: number, segments = 1) {
  const summaries = Array.from({ length: hosts }, (_, i) => hostSummary(i + 1));
  const inventories = Object.fromEntries(
    summaries.map((h, i) => [h.id, hostInventory(i + 1, guests, segments)]),
  );
  return { summaries, inventories };
}
