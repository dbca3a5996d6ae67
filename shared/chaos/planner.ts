// The planner: from the cuts a host should hold and a snapshot of what it holds, the ordered
// libvirt operations that get it there. Pure; the engine executes the operations.
//
// Invariants (tested in planner.test.ts against an in-memory libvirt):
// - Declarative: `desired` is every cut the host should hold; planCuts(s, []) heals everything.
// - Derivable from host state alone: listActiveCuts(s) recovers the cuts, and heal restores the
//   original bindings from the composites and bindings on the host, nothing else.
// - Minimal: a port is touched only if its rules must change; which ports carry new rules is a
//   minimum vertex cover of the pairs still to cut (preferring ports that already carry our
//   binding, since those change in place).
// - Idempotent: planning again against the result yields no operations.
// - Safe order: rule filters first, then per port: define or redefine its composite, and only if
//   the port does not carry our binding yet, delete its binding and create ours (the one moment a
//   port is unfiltered; libvirt allows one binding per port). Heal deletes ours and re-creates the
//   original (the same unavoidable moment), then removes filters nothing references any more.
import { type BindingDef, buildBindingXml, type FilterBinding } from '../libvirt/binding';
import type { FilterParameter, FilterRef } from '../libvirt/filterref';
import {
  buildFilterXml,
  type FilterDef,
  type NwFilter,
  sameFilterContent,
} from '../libvirt/nwfilter';
import type { FilterName, MacAddress, PortDev, Uuid } from '../libvirt/values';
import { serializeXml } from '../libvirt/xml';
import { vertexCover } from './cover';
import {
  type Cut,
  CutError,
  compareText,
  cutsFromFlows,
  describeCut,
  type Endpoint,
  type Flow,
  flowKey,
  flowsOf,
  isNetTarget,
  netWords,
  scopeWords,
} from './cut';
import {
  compositeFilter,
  dropFilter,
  flowRule,
  type PortRule,
  prefixOf,
  readComposite,
  ruleFilterName,
  ruleFlow,
  ruleKey,
} from './enforcement';
import {
  cutFilterName,
  DOMAIN_ID_VARIABLE,
  isCutFilter,
  isPortFilter,
  parseOurName,
  portHash,
  VARIABLE_PREFIX,
} from './naming';
import type { GuestPort, HostSnapshot } from './snapshot';

export type Operation =
  | {
      readonly kind: 'define-filter';
      readonly target: FilterName;
      /** What to send to nwfilter-define (with the uuid when it redefines). */
      readonly xml: string;
      /** The definition it replaces, for rollback; null when the filter is new. */
      readonly previousXml: string | null;
      readonly description: string;
    }
  | {
      readonly kind: 'undefine-filter';
      readonly target: FilterName;
      /** The definition being removed, for rollback. */
      readonly xml: string;
      readonly description: string;
    }
  | {
      readonly kind: 'create-binding';
      readonly target: PortDev;
      readonly xml: string;
      readonly description: string;
    }
  | {
      readonly kind: 'delete-binding';
      readonly target: PortDev;
      /** The binding being removed, for rollback. */
      readonly xml: string;
      readonly description: string;
    };

export type PlanErrorCode =
  | 'unknown-interface' // no guest interface has that MAC
  | 'ambiguous-interface' // several interfaces share the MAC
  | 'uncuttable' // macvtap, or not on a bridge
  | 'different-segment' // the two ends are not on one L2 segment
  | 'invalid-cut'; // same interface twice, bad port number...

export class PlanError extends Error {
  override readonly name = 'PlanError';
  constructor(
    readonly code: PlanErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A cut neither of whose ends has a port right now (both guests stopped). */
export interface DeferredCut {
  readonly cut: Cut;
  readonly reason: string;
}

export interface Plan {
  readonly operations: readonly Operation[];
  /** The cuts the host holds once the plan is applied (canonical form). */
  readonly cuts: readonly Cut[];
  readonly deferred: readonly DeferredCut[];
  /** Ports whose rules change. */
  readonly portsTouched: readonly PortDev[];
  /** Ports that pass through a moment without any binding (delete, then create). */
  readonly unfilteredWindows: readonly PortDev[];
  /** What the plan does, in sentences. */
  readonly summary: readonly string[];
  /** Things the plan could not do as it should, such as a binding whose filter is missing. */
  readonly warnings: readonly string[];
  /**
   * Ports whose interface refers to our port filter that now wraps nothing and drops nothing
   * (protection was removed while they were cut): the engine lets go of the filter once the plan
   * ran, so the guest ends as it was before kvm-chaos protected it.
   */
  readonly releasable: readonly PortDev[];
}

/** A cut as the host holds it, and the ports whose rules enforce it. */
export interface ActiveCut extends Cut {
  readonly enforcedOn: readonly PortDev[];
}

export interface PlanOptions {
  /** Vertex-cover components up to this many ports are solved exactly (default 16). */
  readonly exactLimit?: number;
}

// ---- reading the host ---------------------------------------------------------------------------

interface PortView {
  readonly portdev: PortDev;
  readonly mac: MacAddress;
  readonly owner: { readonly name: string; readonly uuid: Uuid };
  /** The guest's domain id while it runs. */
  readonly domainId: number | undefined;
  readonly binding: FilterBinding | undefined;
  /** The binding on the port is one of our composites. */
  readonly bound: boolean;
  /**
   * The binding is the interface's own (its filterref names our port filter): libvirt made it
   * from the domain XML, so we only ever redefine the filter, never delete or undefine.
   */
  readonly interfaceOwned: boolean;
  /** Our composite for this port: the bound one, or one left without a binding. */
  readonly composite: NwFilter | undefined;
  /** What the port had before we wrapped it, and gets back on heal; null: no binding. */
  readonly original: FilterRef | null;
  /** False when our binding's composite is gone, so the original cannot be known. */
  readonly originalKnown: boolean;
  /** The rules in force now, by ruleKey. */
  readonly rules: ReadonlyMap<string, PortRule>;
}

function withoutOurVariables(params: readonly FilterParameter[]): FilterParameter[] {
  return params.filter((p) => !p.name.startsWith(VARIABLE_PREFIX));
}

interface HostView {
  readonly views: Map<PortDev, PortView>;
  /** Our bindings left on ports that no running guest has (see readHost). */
  readonly stale: readonly FilterBinding[];
  /** Our composites that no port view claims. */
  readonly strayComposites: NwFilter[];
  /** Port filters no running port is bound to (their guest is stopped): kept, never undefined. */
  readonly idlePortFilters: NwFilter[];
  readonly filters: Map<string, NwFilter>;
  readonly nameOf: (mac: Endpoint) => string;
}

function readHost(s: HostSnapshot): HostView {
  const filters = new Map(s.filters.map((f) => [f.name as string, f]));
  const bindings = new Map(s.bindings.map((b) => [b.portdev as PortDev, b]));
  const portsByDev = new Map<PortDev, GuestPort>();
  for (const p of s.ports) if (p.portdev) portsByDev.set(p.portdev, p);
  const composites = s.filters.filter((f) => parseOurName(f.name)?.kind === 'cut');
  const claimed = new Set<string>();
  const views = new Map<PortDev, PortView>();
  const stale: FilterBinding[] = [];

  const devs = new Set<PortDev>([...portsByDev.keys(), ...bindings.keys()]);
  for (const dev of [...devs].sort()) {
    const port = portsByDev.get(dev);
    let binding = bindings.get(dev);
    if (binding && port && boundBefore(binding, port)) {
      // Our binding from before the guest restarted: its rules are not in force. Delete it and
      // treat the port as unbound (its composite, found by hash, says what to put back).
      stale.push(binding);
      binding = undefined;
    }
    const bound = binding !== undefined && isCutFilter(binding.filterref.filter);
    const interfaceOwned = bound && binding !== undefined && isPortFilter(binding.filterref.filter);
    if (!port && !bound) continue; // a binding on something that is not a guest port of ours
    if (!port && interfaceOwned) continue; // libvirt deletes it with its guest; nothing to do
    if (!port && bound && binding) {
      // Our binding on a port that no running guest has: libvirt keeps API-made bindings when
      // a guest is destroyed (measured, libvirt 9.0), so its rules would fall on whichever
      // guest gets that tap name next. It enforces nothing now; the plan deletes it.
      stale.push(binding);
      continue;
    }
    const mac = (port?.mac ?? binding?.mac) as MacAddress;
    const owner = binding?.owner ?? (port as GuestPort).guest;
    let composite: NwFilter | undefined;
    if (bound && binding) composite = filters.get(binding.filterref.filter);
    else {
      const hash = portHash(owner.uuid, mac);
      composite = composites.find((f) => {
        const n = parseOurName(f.name);
        return n?.kind === 'cut' && n.hash === hash && !claimed.has(f.name);
      });
      // An orphan only matters for a port without a binding (a crash between delete and create)
      // or as the filter to reuse; a bound foreign binding is the truth about the original.
    }
    if (composite) claimed.add(composite.name);
    const content = composite ? readComposite(composite) : { rules: [], original: null };
    let original: FilterRef | null;
    if (interfaceOwned) original = content.original;
    else if (bound && binding)
      original = content.original
        ? {
            filter: content.original.filter,
            parameters: withoutOurVariables(binding.filterref.parameters),
          }
        : null;
    else if (binding) original = binding.filterref;
    else original = content.original;
    views.set(dev, {
      portdev: dev,
      mac,
      owner,
      domainId: port?.domainId,
      binding,
      bound,
      interfaceOwned,
      composite,
      original,
      originalKnown: !bound || composite !== undefined,
      rules: new Map(bound ? content.rules.map((r) => [ruleKey(r), r]) : []),
    });
  }
  const names = new Map<Endpoint, string>();
  for (const p of s.ports) names.set(p.mac, p.guest.name);
  for (const v of views.values()) if (!names.has(v.mac)) names.set(v.mac, v.owner.name);
  const boundPortFilters = new Set(
    [...views.values()].flatMap((v) => (v.interfaceOwned && v.composite ? [v.composite.name] : [])),
  );
  return {
    views,
    stale,
    strayComposites: composites.filter((f) => !claimed.has(f.name)),
    idlePortFilters: s.filters.filter((f) => isPortFilter(f.name) && !boundPortFilters.has(f.name)),
    filters,
    nameOf: (e) => names.get(e) ?? (isNetTarget(e) ? netWords(e) : e),
  };
}

/** The cuts the host holds now, read from our bindings alone, with the ports enforcing each. */
export function listActiveCuts(snapshot: HostSnapshot): ActiveCut[] {
  const host = readHost(snapshot);
  const enforcers = new Map<string, Set<PortDev>>();
  const flows: Flow[] = [];
  for (const v of host.views.values())
    for (const r of v.rules.values()) {
      const f = ruleFlow(v.mac, r);
      flows.push(f);
      const set = enforcers.get(flowKey(f)) ?? new Set<PortDev>();
      set.add(v.portdev);
      enforcers.set(flowKey(f), set);
    }
  return cutsFromFlows(flows).map((cut) => ({
    ...cut,
    enforcedOn: [
      ...new Set(flowsOf(cut).flatMap((f) => [...(enforcers.get(flowKey(f)) ?? [])])),
    ].sort(),
  }));
}

// ---- planning -----------------------------------------------------------------------------------

/** The price of one unfiltered window in ports touched: more than any host has ports. */
const WINDOW_COST = 100_000;

function throwIfUncuttable(p: GuestPort): void {
  if (p.uncuttable === 'direct' || p.uncuttable === 'no-segment' || p.uncuttable === 'no-mac')
    throw new PlanError(
      'uncuttable',
      `${p.guest.name} (${p.mac}) cannot be cut: ${p.uncuttable === 'direct' ? 'macvtap interfaces are not filtered by nwfilter' : 'it is not on a libvirt network or bridge'}`,
    );
}

function resolveEnds(snapshot: HostSnapshot, cuts: readonly Cut[]) {
  const byMac = new Map<Endpoint, GuestPort[]>();
  for (const p of snapshot.ports) byMac.set(p.mac, [...(byMac.get(p.mac) ?? []), p]);
  const portOf = (mac: Endpoint): GuestPort => {
    const found = byMac.get(mac) ?? [];
    if (found.length === 0)
      throw new PlanError('unknown-interface', `no guest interface has MAC ${mac}`);
    if (found.length > 1)
      throw new PlanError(
        'ambiguous-interface',
        `MAC ${mac} belongs to ${found.map((p) => p.guest.name).join(' and ')}`,
      );
    return found[0] as GuestPort;
  };
  const placeable: Flow[] = [];
  const deferred: DeferredCut[] = [];
  for (const cut of cuts) {
    let flows: Flow[];
    try {
      flows = flowsOf(cut);
    } catch (e) {
      throw new PlanError('invalid-cut', e instanceof CutError ? e.message : String(e));
    }
    // Addresses outside the guests have no port: the guest's port enforces the cut, whatever
    // segment it is on (the traffic leaves through the bridge's gateway).
    const outside = isNetTarget(cut.from) ? cut.from : isNetTarget(cut.to) ? cut.to : null;
    if (outside) {
      const guest = portOf((outside === cut.from ? cut.to : cut.from) as MacAddress);
      throwIfUncuttable(guest);
      if (!guest.portdev) deferred.push({ cut, reason: `${guest.guest.name} is not running` });
      else placeable.push(...flows);
      continue;
    }
    const a = portOf(cut.from as MacAddress);
    const b = portOf(cut.to as MacAddress);
    for (const p of [a, b]) throwIfUncuttable(p);
    if (a.segment !== b.segment)
      throw new PlanError(
        'different-segment',
        `${a.guest.name} (${a.segment}) and ${b.guest.name} (${b.segment}) are not on one L2 segment`,
      );
    if (!a.portdev && !b.portdev)
      deferred.push({ cut, reason: `neither ${a.guest.name} nor ${b.guest.name} is running` });
    else placeable.push(...flows);
  }
  const running = new Map<Endpoint, PortDev>();
  for (const p of snapshot.ports)
    if (p.portdev && p.uncuttable === null) running.set(p.mac, p.portdev);
  return { placeable, deferred, running };
}

/**
 * The operations that make the host hold exactly `desired` (plus nothing of ours). Throws
 * PlanError for a cut that names an unknown, ambiguous or uncuttable interface, or two interfaces
 * on different segments.
 */
export function planCuts(
  snapshot: HostSnapshot,
  desired: readonly Cut[],
  options: PlanOptions = {},
): Plan {
  const host = readHost(snapshot);
  const { placeable, deferred, running } = resolveEnds(snapshot, desired);
  const desiredFlows = new Map(placeable.map((f) => [flowKey(f), f]));
  const name = host.nameOf;

  // Flows already dropped somewhere stay where they are.
  const enforced = new Set<string>();
  for (const v of host.views.values())
    for (const r of v.rules.values()) enforced.add(flowKey(ruleFlow(v.mac, r)));

  // Ports that must change regardless: they hold a rule nobody wants any more, or a binding of
  // ours whose composite is gone.
  const forced = new Set<Endpoint>();
  const viewByMac = new Map<Endpoint, PortView>();
  for (const v of host.views.values()) {
    viewByMac.set(v.mac, v);
    const stale = [...v.rules.values()].some((r) => !desiredFlows.has(flowKey(ruleFlow(v.mac, r))));
    if (stale || !v.originalKnown) forced.add(v.mac);
  }
  // New pairs to cut; a pair with one end stopped must be enforced on the other end.
  const pairs = new Map<string, [Endpoint, Endpoint]>();
  for (const f of desiredFlows.values()) {
    if (enforced.has(flowKey(f))) continue;
    const srcUp = running.has(f.src);
    const dstUp = running.has(f.dst);
    if (!srcUp) forced.add(f.dst);
    else if (!dstUp) forced.add(f.src);
    else {
      const [a, b] = f.src < f.dst ? [f.src, f.dst] : [f.dst, f.src];
      pairs.set(`${a}|${b}`, [a, b]);
    }
  }
  // A port with someone else's binding can only be cut by replacing that binding, which leaves it
  // unfiltered for a moment: enforce on the other end whenever that one has no such binding.
  const foreign = (m: Endpoint) => {
    const v = viewByMac.get(m);
    return v?.binding !== undefined && !v.bound;
  };
  const open = [...pairs.values()].filter(([a, b]) => !forced.has(a) && !forced.has(b));
  const cover = vertexCover(open, {
    prefer: (m) => viewByMac.get(m)?.bound ?? false,
    // Any number of ports touched in place is cheaper than one unfiltered window.
    cost: (m) => (foreign(m) ? WINDOW_COST : 1),
    exactLimit: options.exactLimit,
  });
  const chosen = new Set<Endpoint>([...forced, ...cover]);

  // Final rules: what stays, plus each new flow on one chosen end of its pair.
  const final = new Map<Endpoint, Map<string, PortRule>>();
  const finalOf = (m: Endpoint) => {
    let r = final.get(m);
    if (!r) {
      r = new Map();
      final.set(m, r);
    }
    return r;
  };
  for (const v of host.views.values())
    for (const r of v.rules.values())
      if (desiredFlows.has(flowKey(ruleFlow(v.mac, r)))) finalOf(v.mac).set(ruleKey(r), r);
  const pending = [...desiredFlows.values()]
    .filter((f) => !enforced.has(flowKey(f)))
    .sort((x, y) => compareText(flowKey(x), flowKey(y)));
  const pairChoice = new Map<string, Endpoint>();
  // A wrapped port left without rules gets its original back: one more unfiltered window.
  const unwrapWindow = (m: Endpoint) => {
    const v = viewByMac.get(m);
    return v?.bound === true && !v.interfaceOwned && v.original !== null;
  };
  for (const f of pending) {
    const [a, b] = f.src < f.dst ? [f.src, f.dst] : [f.dst, f.src];
    const key = `${a}|${b}`;
    let at = pairChoice.get(key);
    if (!at) {
      const candidates = [a, b].filter((m) => chosen.has(m) && running.has(m));
      const score = (m: Endpoint) =>
        // A port already carrying our binding changes in place; leaving it without rules would
        // put its original back (a window when it has one), so it comes first.
        (unwrapWindow(m) ? 8 : 0) +
        (viewByMac.get(m)?.bound ? 4 : 0) +
        (final.get(m)?.size ? 2 : 0) +
        (m === a ? 1 : 0);
      at = candidates.sort((x, y) => score(y) - score(x))[0];
      if (!at) throw new Error(`internal: no port chosen for ${key}`);
      pairChoice.set(key, at);
    }
    const rule = flowRule(at, f);
    finalOf(at).set(ruleKey(rule), rule);
  }
  // A wrapped port about to lose every rule (and so get its original back, a window) can take
  // one direction of a pair whose other end keeps rules anyway: both stay wrapped.
  for (const m of [...viewByMac.keys()].sort()) {
    if (!unwrapWindow(m) || !running.has(m) || final.get(m)?.size) continue;
    for (const f of [...desiredFlows.values()].sort((x, y) =>
      compareText(flowKey(x), flowKey(y)),
    )) {
      if (f.src !== m && f.dst !== m) continue;
      const other = f.src === m ? f.dst : f.src;
      const there = final.get(other);
      const moved = there ? flowRule(other, f) : null;
      if (!there || !moved || !there.has(ruleKey(moved)) || there.size < 2) continue;
      there.delete(ruleKey(moved));
      const rule = flowRule(m, f);
      finalOf(m).set(ruleKey(rule), rule);
      break;
    }
  }

  improveExactly(final, desiredFlows, running, viewByMac, foreign, unwrapWindow);

  // ---- operations ----
  const ops: Operation[] = [];
  const touched: PortDev[] = [];
  const windows: PortDev[] = [];
  const warnings: string[] = [];
  const summary: string[] = [];
  const releasable: PortDev[] = [];

  const liveComposites = new Map<string, Map<string, PortRule>>(); // composite name -> rules
  const undefineLater: NwFilter[] = [];
  const portOps: Operation[] = [];

  const views = [...host.views.values()].sort(
    (x, y) =>
      compareText(x.owner.name, y.owner.name) ||
      compareText(x.mac, y.mac) ||
      compareText(x.portdev, y.portdev),
  );
  for (const v of views) {
    const want = final.get(v.mac) ?? new Map<string, PortRule>();
    const wantRules = [...want.values()];
    const sameRules = want.size === v.rules.size && [...want.keys()].every((k) => v.rules.has(k));
    const compositeName = (
      v.bound && v.binding
        ? v.binding.filterref.filter
        : (v.composite?.name ?? cutFilterName(v.owner.name, v.owner.uuid, v.mac))
    ) as FilterName;
    const ownerLabel = v.owner.name;
    const peersText = (rules: PortRule[]) => describeRules(rules, name);

    if (wantRules.length > 0) {
      const def = compositeFilter(compositeName, wantRules, v.original, v.composite?.uuid);
      liveComposites.set(compositeName, want);
      const needsDefine = !v.composite || !sameFilterContent(v.composite, def);
      if (v.bound && sameRules && !needsDefine) continue; // already right: not touched
      touched.push(v.portdev);
      if (needsDefine)
        portOps.push({
          kind: 'define-filter',
          target: compositeName,
          xml: buildFilterXml(def),
          previousXml: v.composite ? serializeXml(v.composite.xml) : null,
          description: v.bound
            ? `redefine ${compositeName} in place: ${ownerLabel} ${peersText(wantRules)} (its port is never unfiltered)`
            : `define ${compositeName}: ${ownerLabel} ${peersText(wantRules)}${v.original ? `, then ${v.original.filter} as before` : ''}`,
        });
      if (!v.bound) {
        if (v.binding) {
          portOps.push({
            kind: 'delete-binding',
            target: v.portdev,
            xml: serializeXml(v.binding.xml),
            description: `delete ${v.portdev}'s binding (${v.binding.filterref.filter}): ${ownerLabel}'s port is unfiltered until the next step`,
          });
          windows.push(v.portdev);
        }
        portOps.push({
          kind: 'create-binding',
          target: v.portdev,
          xml: buildBindingXml(bindingFor(v, compositeName, v.original?.parameters ?? [])),
          description: `bind ${compositeName} to ${v.portdev} (${ownerLabel})${v.original ? `, keeping ${v.original.filter}` : ''}`,
        });
      }
      continue;
    }

    // No rules wanted on this port.
    if (v.interfaceOwned) {
      // The interface's own port filter: back to its original alone, in place.
      if (v.original === null) releasable.push(v.portdev);
      const def = compositeFilter(compositeName, [], v.original, v.composite?.uuid);
      if (v.composite && !sameFilterContent(v.composite, def)) {
        touched.push(v.portdev);
        portOps.push({
          kind: 'define-filter',
          target: compositeName,
          xml: buildFilterXml(def),
          previousXml: serializeXml(v.composite.xml),
          description: `redefine ${compositeName} in place: ${ownerLabel} drops nothing any more${v.original ? `, ${v.original.filter} stays` : ''} (its port is never unfiltered)`,
        });
      }
      continue;
    }
    if (v.bound && v.binding) {
      touched.push(v.portdev);
      portOps.push({
        kind: 'delete-binding',
        target: v.portdev,
        xml: serializeXml(v.binding.xml),
        description: `delete ${v.portdev}'s binding (${compositeName})${v.original ? `: ${ownerLabel}'s port is unfiltered until ${v.original.filter} is bound again` : ''}`,
      });
      if (v.original) {
        windows.push(v.portdev);
        portOps.push({
          kind: 'create-binding',
          target: v.portdev,
          xml: buildBindingXml(bindingFor(v, v.original.filter, v.original.parameters)),
          description: `restore ${v.portdev}'s original binding (${v.original.filter}) for ${ownerLabel}`,
        });
      } else if (!v.originalKnown)
        warnings.push(
          `${v.portdev} (${ownerLabel}) was bound to ${compositeName}, which no longer exists: its original binding cannot be known and is not restored`,
        );
      if (v.composite) undefineLater.push(v.composite);
    } else if (!v.binding && v.composite && v.original) {
      // A port left without any binding between our delete and create: put its original back.
      touched.push(v.portdev);
      portOps.push({
        kind: 'create-binding',
        target: v.portdev,
        xml: buildBindingXml(bindingFor(v, v.original.filter, v.original.parameters)),
        description: `restore ${v.portdev}'s original binding (${v.original.filter}) for ${ownerLabel}, left unbound by an interrupted change`,
      });
      undefineLater.push(v.composite);
    } else if (v.composite) undefineLater.push(v.composite);
  }

  // Rule filters: define the ones the composites need (first), remove the ones nothing needs.
  const neededDrops = new Map<string, PortRule>();
  for (const v of host.views.values()) {
    const rules = final.get(v.mac);
    if (!rules) continue;
    for (const r of rules.values()) neededDrops.set(ruleFilterName(r), r);
  }
  for (const [dropName, r] of [...neededDrops].sort(([a], [b]) => compareText(a, b))) {
    const op = defineIfNeeded(
      host.filters.get(dropName),
      dropFilter(r.direction, r.scope, prefixOf(r.peer)),
      `drops ${scopeWords(r.scope)} ${r.direction === 'in' ? 'to a guest from' : 'from a guest to'} the ${isNetTarget(r.peer) ? 'addresses' : 'peers'} listed where it is used`,
    );
    if (op) ops.push(op);
  }
  for (const b of host.stale)
    ops.push({
      kind: 'delete-binding',
      target: b.portdev,
      xml: serializeXml(b.xml),
      description: `delete ${b.portdev}'s leftover binding (${b.filterref.filter}): ${b.owner.name} no longer has that port`,
    });
  ops.push(...portOps);
  // A stopped guest's port filter must not bring old drop rules back when it starts.
  for (const f of host.idlePortFilters) {
    const content = readComposite(f);
    if (content.rules.length === 0) continue;
    ops.push({
      kind: 'define-filter',
      target: f.name,
      xml: buildFilterXml(compositeFilter(f.name, [], content.original, f.uuid)),
      previousXml: serializeXml(f.xml),
      description: `redefine ${f.name} without drop rules: its guest is not running`,
    });
  }
  const composites = [...undefineLater, ...host.strayComposites].filter(
    (f) => !liveComposites.has(f.name),
  );
  for (const f of composites.sort((a, b) => compareText(a.name, b.name)))
    ops.push({
      kind: 'undefine-filter',
      target: f.name,
      xml: serializeXml(f.xml),
      description: `undefine ${f.name}: no port uses it any more`,
    });
  for (const f of [...host.filters.values()].sort((a, b) => compareText(a.name, b.name))) {
    if (parseOurName(f.name)?.kind !== 'drop' || neededDrops.has(f.name)) continue;
    ops.push({
      kind: 'undefine-filter',
      target: f.name,
      xml: serializeXml(f.xml),
      description: `undefine ${f.name}: no cut uses it any more`,
    });
  }

  const cuts = cutsFromFlows(desiredFlows.values());
  const before = listActiveCuts(snapshot);
  const key = (c: Cut) => describeCut(c);
  const beforeKeys = new Set(before.map(key));
  const afterKeys = new Set(cuts.map(key));
  for (const c of cuts) if (!beforeKeys.has(key(c))) summary.push(`cut ${describeCut(c, name)}`);
  for (const c of before) if (!afterKeys.has(key(c))) summary.push(`heal ${describeCut(c, name)}`);
  for (const d of deferred) summary.push(`not yet: ${describeCut(d.cut, name)}: ${d.reason}`);
  if (touched.length > 0)
    summary.push(
      `${touched.length} port${touched.length === 1 ? '' : 's'} touched: ${touched.join(', ')}`,
    );
  if (windows.length > 0)
    summary.push(
      `unfiltered for the time of one delete and one create (libvirt allows one binding per port): ${windows.join(', ')}`,
    );

  return {
    operations: ops,
    cuts,
    deferred,
    portsTouched: touched,
    unfilteredWindows: windows,
    summary,
    warnings,
    releasable,
  };
}

/** Up to this many flows between running guests, the placement is checked against every other. */
const EXACT_FLOWS = 12;

/**
 * For small changes, every placement of the flows on their ends is tried, and the best (fewest
 * unfiltered windows, then fewest ports touched) replaces the heuristic's when strictly better.
 * The cover above is exact from a clean host; this makes moves between two cut states exact too.
 */
function improveExactly(
  final: Map<Endpoint, Map<string, PortRule>>,
  desiredFlows: ReadonlyMap<string, Flow>,
  running: ReadonlyMap<Endpoint, PortDev>,
  viewByMac: ReadonlyMap<Endpoint, PortView>,
  foreign: (m: Endpoint) => boolean,
  unwrapWindow: (m: Endpoint) => boolean,
) {
  const flows = [...desiredFlows.values()]
    .filter((f) => running.has(f.src) && running.has(f.dst))
    .sort((x, y) => compareText(flowKey(x), flowKey(y)));
  if (flows.length === 0 || flows.length > EXACT_FLOWS) return;
  const movable = new Set(flows.map(flowKey));
  const current = new Map<Endpoint, Set<string>>();
  for (const [m, v] of viewByMac)
    current.set(m, new Set([...v.rules.values()].map((r) => flowKey(ruleFlow(m, r)))));
  const fixed = new Map<Endpoint, Set<string>>();
  for (const [m, rules] of final)
    for (const r of rules.values()) {
      const k = flowKey(ruleFlow(m, r));
      if (!movable.has(k)) fixed.set(m, (fixed.get(m) ?? new Set()).add(k));
    }
  const cost = (placed: Map<Endpoint, Set<string>>): [number, number] => {
    let windows = 0;
    let touched = 0;
    for (const m of new Set([...current.keys(), ...placed.keys()])) {
      const a = current.get(m) ?? new Set<string>();
      const b = placed.get(m) ?? new Set<string>();
      if (a.size !== b.size || [...a].some((k) => !b.has(k))) touched++;
      if (b.size > 0 && foreign(m)) windows++;
      if (b.size === 0 && a.size > 0 && unwrapWindow(m)) windows++;
    }
    return [windows, touched];
  };
  const placedOf = (ends: readonly Endpoint[]) => {
    const placed = new Map([...fixed].map(([m, set]) => [m, new Set(set)]));
    flows.forEach((f, i) => {
      const m = ends[i] as Endpoint;
      placed.set(m, (placed.get(m) ?? new Set()).add(flowKey(f)));
    });
    return placed;
  };
  const heuristic = new Map<Endpoint, Set<string>>();
  for (const [m, rules] of final)
    heuristic.set(m, new Set([...rules.values()].map((r) => flowKey(ruleFlow(m, r)))));
  let best = cost(heuristic);
  let bestEnds: Endpoint[] | null = null;
  for (let pick = 0; pick < 1 << flows.length; pick++) {
    const ends = flows.map((f, i) => (pick & (1 << i) ? f.dst : f.src));
    const [w, t] = cost(placedOf(ends));
    if (w < best[0] || (w === best[0] && t < best[1])) {
      best = [w, t];
      bestEnds = ends;
    }
  }
  if (!bestEnds) return;
  const placed = placedOf(bestEnds);
  final.clear();
  for (const [m, keys] of placed) {
    const rules = new Map<string, PortRule>();
    for (const k of keys) {
      const f = desiredFlows.get(k);
      if (!f) continue;
      const r = flowRule(m, f);
      rules.set(ruleKey(r), r);
    }
    if (rules.size > 0) final.set(m, rules);
  }
}

/** A define-filter operation when `def` is missing or differs from `existing`, else null. */
function defineIfNeeded(
  existing: NwFilter | undefined,
  def: FilterDef,
  what: string,
): Operation | null {
  if (existing && sameFilterContent(existing, def)) return null;
  return {
    kind: 'define-filter',
    target: def.name,
    xml: buildFilterXml(existing?.uuid ? { ...def, uuid: existing.uuid } : def),
    previousXml: existing ? serializeXml(existing.xml) : null,
    description: `${existing ? 'redefine' : 'define'} ${def.name}: ${what}`,
  };
}

/**
 * Operations that define each filter that is missing on the host or differs from `defs`
 * (redefined with the host's uuid); none for filters already right. For the filters of
 * protection presets (shared/protection presetFilters), before an interface refers to them.
 */
export function ensureFilters(snapshot: HostSnapshot, defs: readonly FilterDef[]): Operation[] {
  const byName = new Map(snapshot.filters.map((f) => [f.name as string, f]));
  return defs.flatMap((def) => {
    const op = defineIfNeeded(byName.get(def.name), def, 'a protection filter of ours');
    return op ? [op] : [];
  });
}

/** Heal everything of ours on the host. */
export function planHeal(snapshot: HostSnapshot, options?: PlanOptions): Plan {
  return planCuts(snapshot, [], options);
}

function bindingFor(
  v: PortView,
  filter: FilterName,
  parameters: readonly FilterParameter[],
): BindingDef {
  // Our own bindings say which run of the guest they were made for (see DOMAIN_ID_VARIABLE).
  const ours = isCutFilter(filter) && v.domainId !== undefined;
  return {
    owner: { name: v.owner.name, uuid: v.owner.uuid },
    portdev: v.portdev,
    ...(v.binding?.linkdev !== undefined ? { linkdev: v.binding.linkdev } : {}),
    mac: v.mac,
    filterref: {
      filter,
      parameters: ours
        ? [...parameters, { name: DOMAIN_ID_VARIABLE, value: String(v.domainId) }]
        : parameters,
    },
  };
}

/** Our API-made binding, made for an earlier run of the guest that now has this port. */
function boundBefore(b: FilterBinding, port: GuestPort): boolean {
  if (!isCutFilter(b.filterref.filter) || isPortFilter(b.filterref.filter)) return false;
  const made = b.filterref.parameters.find((p) => p.name === DOMAIN_ID_VARIABLE)?.value;
  return made !== undefined && port.domainId !== undefined && made !== String(port.domainId);
}

function describeRules(rules: readonly PortRule[], nameOf: (m: Endpoint) => string): string {
  const parts = new Map<string, string[]>();
  for (const r of rules) {
    const k = `${r.direction === 'in' ? 'drops' : 'stops sending'} ${scopeWords(r.scope)} ${r.direction === 'in' ? 'from' : 'to'}`;
    parts.set(k, [...(parts.get(k) ?? []), nameOf(r.peer)]);
  }
  return [...parts].map(([k, peers]) => `${k} ${peers.sort().join(', ')}`).join('; ');
}

/** The operation that undoes `op` (for rolling back a partly applied plan, newest first). */
export function inverseOperation(op: Operation): Operation {
  switch (op.kind) {
    case 'define-filter':
      return op.previousXml === null
        ? {
            kind: 'undefine-filter',
            target: op.target,
            xml: op.xml,
            description: `undo: undefine ${op.target}`,
          }
        : {
            kind: 'define-filter',
            target: op.target,
            xml: op.previousXml,
            previousXml: op.xml,
            description: `undo: restore the previous ${op.target}`,
          };
    case 'undefine-filter':
      return {
        kind: 'define-filter',
        target: op.target,
        xml: op.xml,
        previousXml: null,
        description: `undo: define ${op.target} again`,
      };
    case 'create-binding':
      return {
        kind: 'delete-binding',
        target: op.target,
        xml: op.xml,
        description: `undo: delete the binding on ${op.target}`,
      };
    case 'delete-binding':
      return {
        kind: 'create-binding',
        target: op.target,
        xml: op.xml,
        description: `undo: create ${op.target}'s binding again`,
      };
  }
}
