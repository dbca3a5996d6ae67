// The engine's view of cuts: what the host's intents want and its bindings enforce (shared/chaos
// status), with the changes this instance has in flight layered on top, and the translation
// between the contract's cuts (guest + MAC) and the planner's (MACs).
import type {
  ActiveCut,
  ApplyId,
  CutId,
  CutRequest,
  GuestId,
  HostId,
  Interruption,
} from '../../shared/api';
import { guestId } from '../../shared/api';
import { type Cut, cutKey, normaliseCuts } from '../../shared/chaos/cut';
import { type HostSnapshot, snapshotFromHost } from '../../shared/chaos/snapshot';
import { hostStatus, REPAIR_ACTION } from '../../shared/chaos/status';
import { interfaceIndex, type ParsedHost } from '../../shared/inventory/build';
import { macAddress } from '../../shared/libvirt';
import { intentsOf } from './intents';

/** A change of this instance still running: shown until the host says otherwise. */
export interface CutNote {
  readonly cut: Cut;
  readonly state: 'applying' | 'healing';
  readonly applyId: ApplyId;
}

export function cutIdOf(hostId: HostId, cut: Cut): CutId {
  return `cut:${hostId}:${cutKey(cut)}` as CutId;
}

export function snapshotOf(parsed: ParsedHost): HostSnapshot {
  return snapshotFromHost({
    domains: parsed.domains.map((d) => d.domain),
    networks: parsed.networks.map((n) => n.network),
    bindings: parsed.bindings.map((b) => b.binding),
    filters: parsed.filters,
  });
}

export function toPlannerCut(r: CutRequest): Cut {
  return {
    from: macAddress(r.from.mac),
    to: macAddress(r.to.mac),
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
): { cuts: ActiveCut[]; interruptions: Interruption[] } {
  const index = interfaceIndex(hostId, parsed);
  const status = hostStatus(snapshotOf(parsed), intentsOf(parsed), now);
  const toContract = (
    cut: Cut,
    base: Omit<ActiveCut, 'id' | 'hostId' | 'from' | 'to' | 'direction' | 'scope' | 'segmentId'>,
  ): ActiveCut | null => {
    const from = index.get(cut.from);
    const to = index.get(cut.to);
    if (!from || !to) return null; // a guest undefined meanwhile: nothing to show it on
    const segmentId = from.segmentId ?? to.segmentId;
    if (!segmentId) return null;
    return {
      id: cutIdOf(hostId, cut),
      hostId,
      from: { guestId: from.guestId, mac: cut.from },
      to: { guestId: to.guestId, mac: cut.to },
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
