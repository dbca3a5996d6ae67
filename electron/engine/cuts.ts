// The engine's view of cuts: what the host's intents want and its bindings enforce (shared/chaos
// status), with the changes this instance has in flight layered on top, and the translation
// between the contract's cuts (guest + MAC) and the planner's (MACs).
import {
  type ActiveCut,
  type ApplyId,
  type CutEnd,
  type CutId,
  type CutRequest,
  type GuestId,
  guestId,
  type HostId,
  type Interruption,
  isGuestEnd,
} from '../../shared/api';
import {
  type Cut,
  cutKey,
  type Endpoint,
  isNetTarget,
  netTarget,
  normaliseCuts,
} from '../../shared/chaos/cut';
import { withRemoteEnds } from '../../shared/chaos/remote';
import { type HostSnapshot, snapshotFromHost } from '../../shared/chaos/snapshot';
import { hostStatus, REPAIR_ACTION } from '../../shared/chaos/status';
import { interfaceIndex, type ParsedHost } from '../../shared/inventory/build';
import { type MacAddress, macAddress } from '../../shared/libvirt';
import { intentsOf, outsideEndOf } from './intents';

/** A change of this instance still running: shown until the host says otherwise. */
export interface CutNote {
  readonly cut: Cut;
  readonly state: 'applying' | 'healing';
  readonly applyId: ApplyId;
}

export function cutIdOf(hostId: HostId, cut: Cut): CutId {
  return `cut:${hostId}:${cutKey(cut)}` as CutId;
}

/** What the planner sees: the host's ports, plus the other hosts' ends its intents name. */
export function snapshotOf(parsed: ParsedHost): HostSnapshot {
  const local = snapshotFromHost({
    domains: parsed.domains.map((d) => d.domain),
    networks: parsed.networks.map((n) => n.network),
    bindings: parsed.bindings.map((b) => b.binding),
    filters: parsed.filters,
  });
  return withRemoteEnds(local, intentsOf(parsed));
}

/** A guest interface of another host, found by MAC in that host's inventory. */
export type RemoteIndex = (
  mac: MacAddress,
  hostLabel: string,
) => { guestId: GuestId; segmentId: string | null } | undefined;

/** A cut end for the planner; an outside end must hold addresses by now (names resolved). */
function endpointOf(e: CutEnd): Endpoint {
  return isGuestEnd(e) ? macAddress(e.mac) : netTarget(e.address);
}

export function toPlannerCut(r: CutRequest): Cut {
  return {
    from: endpointOf(r.from),
    to: endpointOf(r.to),
    direction: r.direction,
    scope: r.scope.kind === 'tcp' || r.scope.kind === 'udp' ? r.scope : { kind: r.scope.kind },
  };
}

/** The contract's view of the host's cuts and interruptions. */
export function contractStatus(
  hostId: HostId,
  parsed: ParsedHost,
  notes: ReadonlyMap<string, CutNote>,
  now: Date,
  remoteIndex: RemoteIndex = () => undefined,
): { cuts: ActiveCut[]; interruptions: Interruption[] } {
  const local = interfaceIndex(hostId, parsed);
  const intents = intentsOf(parsed);
  const remoteHost = new Map<string, string>();
  for (const i of intents) if (i.remote) remoteHost.set(i.remote.mac, i.remote.host);
  // The other end of a cut across hosts is shown once that host's inventory is read.
  const index = {
    get: (mac: MacAddress) => {
      const here = local.get(mac);
      if (here) return here;
      const host = remoteHost.get(mac);
      return host === undefined ? undefined : remoteIndex(mac, host);
    },
  };
  const status = hostStatus(snapshotOf(parsed), intents, now);
  const endOf = (e: Endpoint): { end: CutEnd; segmentId: string | null } | undefined => {
    if (!isNetTarget(e)) {
      const g = index.get(e);
      return g && { end: { guestId: g.guestId, mac: e }, segmentId: g.segmentId };
    }
    return { end: outsideEndOf(intents, e), segmentId: null };
  };
  const toContract = (
    cut: Cut,
    base: Omit<ActiveCut, 'id' | 'hostId' | 'from' | 'to' | 'direction' | 'scope' | 'segmentId'>,
  ): ActiveCut | null => {
    const from = endOf(cut.from);
    const to = endOf(cut.to);
    if (!from || !to) return null; // a guest undefined meanwhile: nothing to show it on
    const segmentId = from.segmentId ?? to.segmentId;
    if (!segmentId) return null;
    return {
      id: cutIdOf(hostId, cut),
      hostId,
      from: from.end,
      to: to.end,
      direction: cut.direction,
      scope: cut.scope,
      segmentId: segmentId as ActiveCut['segmentId'],
      ...base,
    };
  };
  const cuts: ActiveCut[] = [];
  const shown = new Set<string>();
  for (const v of status.cuts) {
    const note = notes.get(cutKey(v.cut));
    const c = toContract(v.cut, {
      state: note && v.status !== 'orphaned' ? note.state : v.status,
      expiresAt: v.intent?.expiresAt ? Date.parse(v.intent.expiresAt) : null,
      applyId: note?.applyId ?? null,
      enforcedOn: [...v.enforcedOn],
      author: v.intent ? { ...v.intent.author } : null,
      createdAt: v.intent ? Date.parse(v.intent.createdAt) : null,
      runId: v.intent?.runId ?? null,
    });
    if (c) {
      cuts.push(c);
      shown.add(cutKey(v.cut));
    }
  }
  for (const [key, note] of notes)
    if (!shown.has(key) && note.state === 'applying') {
      const c = toContract(note.cut, {
        state: 'applying',
        expiresAt: null,
        applyId: note.applyId,
        enforcedOn: [],
        author: null,
        createdAt: null,
        runId: null,
      });
      if (c) cuts.push(c);
    }
  const interruptions: Interruption[] = status.interruptions.map((i) => ({
    kind: i.kind,
    portdev: i.portdev,
    guestId: i.guestUuid ? (guestId(hostId, i.guestUuid) as GuestId) : null,
    message: i.message,
    repair: REPAIR_ACTION,
  }));
  return { cuts, interruptions };
}

export { normaliseCuts };
