// The engine's view of cuts: what the host holds (derived from its bindings by the planner) with
// this instance's knowledge layered on top (in flight, expiry, re-applied), and the translation
// between the contract's cuts (guest + MAC) and the planner's (MACs).
import type { ActiveCut, ApplyId, CutId, CutRequest, HostId } from '../../shared/api';
import { type Cut, cutKey, normaliseCuts } from '../../shared/chaos/cut';
import { listActiveCuts } from '../../shared/chaos/planner';
import { type HostSnapshot, snapshotFromHost } from '../../shared/chaos/snapshot';
import { interfaceIndex, type ParsedHost } from '../../shared/inventory/build';
import { macAddress } from '../../shared/libvirt';
import { engineError } from './errors';

export interface CutNote {
  state: 'applying' | 'healing' | 're-applied' | 'failed';
  applyId: ApplyId | null;
  expiresAt: number | null;
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

/** The contract's view of the host's cuts, plus cuts still being applied. */
export function contractCuts(
  hostId: HostId,
  parsed: ParsedHost,
  notes: ReadonlyMap<string, CutNote & { cut: Cut }>,
  applyIdOf: (key: string) => { applyId: ApplyId | null; expiresAt: number | null },
): ActiveCut[] {
  const index = interfaceIndex(hostId, parsed);
  const end = (mac: string) => {
    const at = index.get(mac);
    if (!at) throw engineError('not-found', `no guest has MAC ${mac}`);
    return at;
  };
  const toContract = (
    cut: Cut,
    enforcedOn: readonly string[],
    note: CutNote | undefined,
  ): ActiveCut | null => {
    const from = index.get(cut.from);
    const to = index.get(cut.to);
    if (!from || !to) return null; // a guest undefined meanwhile: nothing to show it on
    const key = cutKey(cut);
    const known = applyIdOf(key);
    return {
      id: cutIdOf(hostId, cut),
      hostId,
      from: { guestId: from.guestId, mac: cut.from },
      to: { guestId: to.guestId, mac: cut.to },
      direction: cut.direction,
      scope: cut.scope,
      segmentId: (from.segmentId ?? end(cut.to).segmentId) as ActiveCut['segmentId'],
      state: note?.state ?? 'applied',
      expiresAt: note?.expiresAt ?? known.expiresAt,
      applyId: note?.applyId ?? known.applyId,
      enforcedOn: [...enforcedOn],
    };
  };
  const held = listActiveCuts(snapshotOf(parsed));
  const out: ActiveCut[] = [];
  const heldKeys = new Set<string>();
  for (const c of held) {
    heldKeys.add(cutKey(c));
    const note = notes.get(cutKey(c));
    // A note of 'applying' is stale once the host holds the cut; 'healing' and 're-applied' stand.
    const shown = toContract(c, c.enforcedOn, note?.state === 'applying' ? undefined : note);
    if (shown) out.push(shown);
  }
  for (const [key, note] of notes)
    if (!heldKeys.has(key) && (note.state === 'applying' || note.state === 'failed')) {
      const shown = toContract(note.cut, [], note);
      if (shown) out.push(shown);
    }
  return out.filter((c) => c.segmentId !== null);
}

export { normaliseCuts };
