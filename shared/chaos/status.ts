// What a host holds against what its intents want: each wanted cut enforced or pending, rules no
// intent wants (orphaned), and what an interrupted change left behind, each with the one action
// that repairs it. Pure; every listing (CLI, UI, serve) shows the same truth from it.
import type { MacAddress, PortDev, Uuid } from '../libvirt/values';
import {
  type Cut,
  cutKey,
  cutsFromFlows,
  type Endpoint,
  type Flow,
  flowKey,
  flowsOf,
  isNetTarget,
} from './cut';
import { readComposite } from './enforcement';
import { type CutIntent, isExpired, type StoredIntent } from './intent';
import { isCutFilter, isPortFilter, parseOurName, portHash } from './naming';
import { listActiveCuts } from './planner';
import type { HostSnapshot } from './snapshot';

export type CutStatus = 'applied' | 'pending' | 'expired' | 'orphaned';

export interface CutView {
  readonly cut: Cut;
  readonly status: CutStatus;
  /** The intent behind it; null for orphaned rules. */
  readonly intent: StoredIntent | null;
  /** Ports whose rules enforce (part of) it. */
  readonly enforcedOn: readonly PortDev[];
}

export type InterruptionKind =
  | 'stray-filter'
  | 'unbound-port'
  | 'orphaned-rules'
  | 'pending-cut'
  | 'leftover-binding'
  | 'expired-cut';

export interface HostInterruption {
  readonly kind: InterruptionKind;
  readonly portdev: PortDev | null;
  /** The guest concerned (uuid), when there is one. */
  readonly guestUuid: string | null;
  readonly message: string;
}

/** The one action that repairs any interruption: a change that plans from the intents. */
export const REPAIR_ACTION = 'kvm-chaos repair (or any change on this host: it repairs first)';

export interface HostStatus {
  readonly cuts: readonly CutView[];
  readonly interruptions: readonly HostInterruption[];
}

/** Every flow enforced on the host now, with the ports enforcing it. */
function enforcedFlows(snapshot: HostSnapshot): Map<string, { flow: Flow; ports: Set<PortDev> }> {
  const out = new Map<string, { flow: Flow; ports: Set<PortDev> }>();
  for (const c of listActiveCuts(snapshot))
    for (const f of flowsOf(c)) {
      const e = out.get(flowKey(f)) ?? { flow: f, ports: new Set<PortDev>() };
      for (const p of c.enforcedOn) e.ports.add(p);
      out.set(flowKey(f), e);
    }
  return out;
}

export function hostStatus(
  snapshot: HostSnapshot,
  intents: readonly StoredIntent[],
  now: Date,
): HostStatus {
  const enforced = enforcedFlows(snapshot);
  const running = new Map<Endpoint, PortDev>();
  const owner = new Map<Endpoint, string>();
  for (const p of snapshot.ports) {
    owner.set(p.mac, p.guest.uuid);
    if (p.portdev && p.uncuttable === null) running.set(p.mac, p.portdev);
  }
  const wantedFlows = new Set<string>();
  const cuts: CutView[] = [];
  const interruptions: HostInterruption[] = [];
  const seen = new Set<string>();
  for (const intent of intents) {
    const key = cutKey(intent.cut);
    if (seen.has(key)) continue;
    seen.add(key);
    const flows = flowsOf(intent.cut);
    const expired = isExpired(intent, now);
    if (!expired) for (const f of flows) wantedFlows.add(flowKey(f));
    const ports = new Set<PortDev>();
    let all = true;
    for (const f of flows) {
      const e = enforced.get(flowKey(f));
      if (e) for (const p of e.ports) ports.add(p);
      else all = false;
    }
    const placeable = running.has(intent.cut.from) || running.has(intent.cut.to);
    const status: CutStatus = expired ? 'expired' : all ? 'applied' : 'pending';
    cuts.push({ cut: intent.cut, status, intent, enforcedOn: [...ports].sort() });
    const label = `${intent.fromName} ${intent.cut.direction === 'both' ? '<->' : '->'} ${intent.toName}`;
    if (status === 'expired')
      interruptions.push({
        kind: 'expired-cut',
        portdev: null,
        guestUuid: owner.get(intent.cut.from) ?? null,
        message: `the cut ${label} expired at ${intent.expiresAt}; no instance was running to heal it`,
      });
    else if (status === 'pending' && placeable)
      interruptions.push({
        kind: 'pending-cut',
        portdev: null,
        guestUuid: owner.get(intent.cut.from) ?? null,
        message: `the cut ${label} is wanted but not enforced (a change was interrupted, or a guest restarted)`,
      });
  }
  // Rules that no live intent wants: an interrupted heal, or cuts made before intents existed.
  const orphanFlows = [...enforced.values()].filter(
    (e) => !wantedFlows.has(flowKey(e.flow)) && !isExpiredFlow(e.flow, intents, now),
  );
  for (const c of cutsFromFlows(orphanFlows.map((e) => e.flow))) {
    const ports = new Set<PortDev>();
    for (const f of flowsOf(c)) for (const p of enforced.get(flowKey(f))?.ports ?? []) ports.add(p);
    cuts.push({ cut: c, status: 'orphaned', intent: null, enforcedOn: [...ports].sort() });
  }
  const orphanPorts = new Set<PortDev>();
  for (const e of orphanFlows) for (const p of e.ports) orphanPorts.add(p);
  for (const p of [...orphanPorts].sort()) {
    const port = snapshot.ports.find((x) => x.portdev === p);
    interruptions.push({
      kind: 'orphaned-rules',
      portdev: p,
      guestUuid: port?.guest.uuid ?? null,
      message: `${port?.guest.name ?? p}'s port ${p} drops traffic that no cut on the host asks for`,
    });
  }
  // Ports without any binding although our composite wraps an original: protection lost.
  const bound = new Set(snapshot.bindings.map((b) => b.portdev as string));
  for (const port of snapshot.ports) {
    if (!port.portdev || bound.has(port.portdev)) continue;
    const composite = snapshot.filters.find(
      (f) => parseOurName(f.name)?.kind === 'cut' && f.name.endsWith(portHashSuffix(port)),
    );
    if (!composite) continue;
    const original = readComposite(composite).original;
    if (!original) continue;
    interruptions.push({
      kind: 'unbound-port',
      portdev: port.portdev,
      guestUuid: port.guest.uuid,
      message: `${port.guest.name}'s port ${port.portdev} has no binding at all: its ${original.filter} protection is not in force (a change was interrupted between removing and re-creating it)`,
    });
  }
  // A port filter of ours that no interface refers to: a protection change was interrupted.
  for (const f of strayPortFilters(snapshot)) {
    const port = snapshot.ports.find((p) => f.name.endsWith(portHashSuffix(p)));
    interruptions.push({
      kind: 'stray-filter',
      portdev: port?.portdev ?? null,
      guestUuid: port?.guest.uuid ?? null,
      message: `${f.name} is left from an interrupted protection change: no interface refers to it`,
    });
  }
  // Our bindings on ports that no running guest has.
  const ports = new Set(snapshot.ports.flatMap((p) => (p.portdev ? [p.portdev as string] : [])));
  for (const b of snapshot.bindings)
    if (isCutFilter(b.filterref.filter) && !ports.has(b.portdev))
      interruptions.push({
        kind: 'leftover-binding',
        portdev: b.portdev,
        guestUuid: b.owner.uuid,
        message: `${b.portdev} still carries ${b.filterref.filter} although ${b.owner.name} no longer has that port`,
      });
  return { cuts, interruptions };
}

function isExpiredFlow(f: Flow, intents: readonly CutIntent[], now: Date): boolean {
  return intents.some(
    (i) => isExpired(i, now) && flowsOf(i.cut).some((g) => flowKey(g) === flowKey(f)),
  );
}

/** Port filters of ours that no interface (as read) refers to and no binding uses. */
export function strayPortFilters(snapshot: HostSnapshot) {
  const referenced = new Set([
    ...snapshot.ports.flatMap((p) => (p.filterref ? [p.filterref] : [])),
    ...snapshot.bindings.map((b) => b.filterref.filter as string),
  ]);
  return snapshot.filters.filter((f) => isPortFilter(f.name) && !referenced.has(f.name));
}

/** The end of the name of a port's composite (naming.cutFilterName): renamed guests still match. */
function portHashSuffix(port: { guest: { uuid: Uuid }; mac: MacAddress }): string {
  return `-${portHash(port.guest.uuid, port.mac)}`;
}

/** The cuts the intents want that name interfaces the host has (the others cannot be planned). */
export function plannableIntents(
  snapshot: HostSnapshot,
  intents: readonly StoredIntent[],
): { keep: StoredIntent[]; gone: StoredIntent[] } {
  const macs = new Set(snapshot.ports.map((p) => p.mac as string));
  const keep: StoredIntent[] = [];
  const gone: StoredIntent[] = [];
  // Addresses outside the guests are always there.
  const here = (e: Endpoint) => isNetTarget(e) || macs.has(e);
  for (const i of intents) (here(i.cut.from) && here(i.cut.to) ? keep : gone).push(i);
  return { keep, gone };
}
