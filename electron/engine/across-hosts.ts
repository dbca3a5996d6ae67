// Guests on one L2 segment, wherever they run: the members of a cut or partition found across
// every connected host, through the segments that span hosts (shared/inventory/fabric.ts). The
// planner then needs only MACs; which host holds each cut is shared/chaos/placement.ts's choice.
import type {
  GuestEnd,
  GuestId,
  HostId,
  HostInventory,
  PartitionRequest,
  SegmentId,
} from '../../shared/api';
import { parseGuestId } from '../../shared/api';
import type { Cut } from '../../shared/chaos/cut';
import {
  bridge,
  complete,
  grudgeToCuts,
  halves,
  majoritiesRing,
  majorityMinority,
} from '../../shared/chaos/topology';
import { segmentJoin, sharedSegments } from '../../shared/inventory/fabric';
import { type MacAddress, macAddress } from '../../shared/libvirt';
import { engineError } from './errors';

export interface Members {
  /** Each requested guest's MAC on the segment they all share, in request order. */
  readonly macs: MacAddress[];
  /** Every cuttable (or stopped) interface on that segment, on any host. */
  readonly all: MacAddress[];
  readonly hostOf: Map<MacAddress, HostId>;
  /** The segment's name, for people. */
  readonly segment: string;
}

/**
 * The guests' MACs on the one segment they all share (a segment may span hosts). `ends`: the
 * interfaces a cut request names, which hostOf places on their guests' hosts even when they are
 * not the member's first interface on the segment (a second NIC) or not cuttable (the planner
 * says why, on the host that would hold the cut).
 */
export function membersOnSegment(
  inventories: readonly HostInventory[],
  ids: readonly GuestId[],
  userGroups: readonly (readonly SegmentId[])[] = [],
  ends: readonly GuestEnd[] = [],
): Members {
  const byHost = new Map(inventories.map((inv) => [inv.hostId, inv]));
  const guests = ids.map((id) => {
    const inv = byHost.get(parseGuestId(id).hostId);
    const g = inv?.guests.find((x) => x.id === id);
    if (!inv || !g)
      throw engineError('not-found', `no guest ${id} on any connected host`, 'connect its host');
    return g;
  });
  const hosts = new Set(guests.map((g) => g.hostId));
  const shared = hosts.size > 1 ? sharedSegments(inventories, userGroups) : [];
  const joined = segmentJoin(shared);
  const segs = guests.map(
    (g) => new Set(g.interfaces.flatMap((i) => (i.segmentId ? [joined(i.segmentId)] : []))),
  );
  const common = [...(segs[0] ?? [])].filter((seg) => segs.every((set) => set.has(seg)));
  if (common.length === 0) {
    const names = guests.map((g) => g.name).join(', ');
    throw engineError(
      'invalid-request',
      hosts.size > 1
        ? `${names} share no L2 segment that kvm-chaos can see spans their hosts`
        : `${names} share no network or bridge`,
      hosts.size > 1
        ? "a segment is joined across hosts when one host's network leased an address to the other's guest, or when you group the segments in the profile"
        : undefined,
    );
  }
  const segment = common[0] as SegmentId;
  const hostOf = new Map<MacAddress, HostId>();
  const all: MacAddress[] = [];
  for (const inv of inventories)
    for (const g of inv.guests)
      for (const i of g.interfaces)
        if (
          i.segmentId &&
          joined(i.segmentId) === segment &&
          (i.uncuttable === null || i.uncuttable.reason === 'not-running')
        ) {
          all.push(i.mac as MacAddress);
          hostOf.set(i.mac as MacAddress, inv.hostId);
        }
  const macs = guests.map((g) => {
    const nic = g.interfaces.find((i) => i.segmentId && joined(i.segmentId) === segment);
    hostOf.set(nic?.mac as MacAddress, g.hostId);
    return nic?.mac as MacAddress;
  });
  for (const e of ends) hostOf.set(macAddress(e.mac), parseGuestId(e.guestId).hostId);
  const name = shared.find((s) => s.id === segment)?.name ?? segment;
  return { macs, all, hostOf, segment: name };
}

/** A partition's cuts, on the members' MACs. */
export function partitionCuts(p: PartitionRequest, m: Members): Cut[] {
  const { macs, all } = m;
  switch (p.topology) {
    case 'groups': {
      let i = 0;
      return grudgeToCuts(complete(p.groups.map((g) => g.map(() => macs[i++] as MacAddress))));
    }
    case 'isolate': {
      const rest = all.filter((x) => !macs.includes(x));
      return grudgeToCuts(complete([...macs.map((x) => [x]), ...(rest.length ? [rest] : [])]));
    }
    case 'halves':
      return grudgeToCuts(halves(macs));
    case 'majority-minority':
      return grudgeToCuts(majorityMinority(macs, macs.slice(Math.floor(macs.length / 2) + 1)));
    case 'majorities-ring':
      return grudgeToCuts(majoritiesRing(macs));
    case 'bridge':
      return grudgeToCuts(bridge(macs));
  }
}
