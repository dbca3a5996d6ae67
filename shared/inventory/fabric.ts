// Segments that span hosts. Guests of several KVM hosts often share one L2 segment (bridges
// joined by a VLAN or, in the lab, a veth pair); a cut or partition between them is only sound
// when they do. We join two hosts' segments only on what is observable, never on a name alone:
// - a lease: one host's libvirt network leased an address to a guest interface of the other host
//   (that guest's frames reached this network's DHCP server, so the two are one broadcast
//   domain);
// - the user's word: a grouping saved in the profile (for segments whose DHCP is elsewhere).
// Each joined segment carries its evidence in words, so the UI and CLI show why, not only that.
import type { HostId, HostInventory, SegmentId } from '../api';

export type JoinEvidence =
  | { readonly kind: 'lease'; readonly words: string }
  | { readonly kind: 'user'; readonly words: string };

/** One L2 segment seen from several hosts. */
export interface SharedSegment {
  /** Stable: the smallest member segment id. */
  readonly id: SegmentId;
  /** A name for people: the members' names, each once. */
  readonly name: string;
  readonly segments: readonly SegmentId[];
  readonly hosts: readonly HostId[];
  readonly evidence: readonly JoinEvidence[];
}

/** How a join the user saved is said, beside the lease sentence. */
export const USER_JOIN_WORDS = 'joined by you';

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    let p = this.parent.get(x) ?? x;
    if (p !== x) {
      p = this.find(p);
      this.parent.set(x, p);
    }
    return p;
  }
  union(a: string, b: string): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    // The smaller id is the root, so a shared segment's id does not depend on join order.
    if (ra < rb) this.parent.set(rb, ra);
    else if (rb < ra) this.parent.set(ra, rb);
  }
}

/**
 * The segments that span two or more hosts, from the hosts' inventories and the user's saved
 * groupings (each a list of segment ids that are one L2 segment). Segments of one host are never
 * joined with each other: on one host two bridges are two segments.
 */
export function sharedSegments(
  inventories: readonly HostInventory[],
  userGroups: readonly (readonly SegmentId[])[] = [],
): SharedSegment[] {
  const segmentById = new Map(inventories.flatMap((inv) => inv.segments.map((s) => [s.id, s])));
  // Which segment each guest interface is on, by MAC, and whose it is (for the evidence's words).
  const nicByMac = new Map<string, { segment: SegmentId; guest: string; host: string }>();
  for (const inv of inventories)
    for (const g of inv.guests)
      for (const nic of g.interfaces)
        if (nic.segmentId)
          nicByMac.set(nic.mac, { segment: nic.segmentId, guest: g.name, host: inv.hostname });
  const uf = new UnionFind();
  const evidence = new Map<string, JoinEvidence[]>();
  const note = (a: SegmentId, b: SegmentId, e: JoinEvidence) => {
    uf.union(a, b);
    const key = [a, b].sort().join('|');
    const list = evidence.get(key) ?? [];
    if (!list.some((x) => x.kind === e.kind)) list.push(e);
    evidence.set(key, list);
  };
  for (const inv of inventories)
    for (const seg of inv.segments)
      for (const mac of seg.leasedMacs ?? []) {
        const nic = nicByMac.get(mac);
        const other = nic ? segmentById.get(nic.segment) : undefined;
        if (!nic || !other || other.hostId === seg.hostId) continue;
        note(seg.id, other.id, {
          kind: 'lease',
          words: `${nic.guest} on ${nic.host} (${mac}) holds a DHCP lease from ${seg.name} on ${inv.hostname}`,
        });
      }
  // The user's word never makes two segments of one host one (through what leases joined): such
  // a member is left out (the join call refuses to save it; an older file may still hold it).
  const hostsUnder = (root: string) =>
    new Set([...segmentById.values()].filter((s) => uf.find(s.id) === root).map((s) => s.hostId));
  for (const group of userGroups) {
    const known = group.filter((id) => segmentById.has(id));
    for (const id of known.slice(1)) {
      const [ra, rb] = [uf.find(known[0] as SegmentId), uf.find(id)];
      if (ra !== rb && [...hostsUnder(ra)].some((h) => hostsUnder(rb).has(h))) continue;
      note(known[0] as SegmentId, id, { kind: 'user', words: USER_JOIN_WORDS });
    }
  }
  const members = new Map<string, SegmentId[]>();
  for (const id of segmentById.keys()) {
    const root = uf.find(id);
    members.set(root, [...(members.get(root) ?? []), id]);
  }
  const out: SharedSegment[] = [];
  for (const ids of members.values()) {
    const hosts = [...new Set(ids.map((id) => segmentById.get(id)?.hostId as HostId))];
    if (hosts.length < 2) continue;
    ids.sort();
    const ev = [...evidence.entries()]
      .filter(([key]) => ids.includes(key.split('|')[0] as SegmentId))
      .flatMap(([, list]) => list);
    out.push({
      id: ids[0] as SegmentId,
      name: [...new Set(ids.map((id) => segmentById.get(id)?.name ?? id))].join(' + '),
      segments: ids,
      hosts: hosts.sort(),
      evidence: ev,
    });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Segment id -> the id of the shared segment it belongs to (itself when it spans nothing). */
export function segmentJoin(shared: readonly SharedSegment[]): (id: SegmentId) => SegmentId {
  const map = new Map<SegmentId, SegmentId>();
  for (const s of shared) for (const id of s.segments) map.set(id, s.id);
  return (id) => map.get(id) ?? id;
}
