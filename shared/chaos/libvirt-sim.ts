// Test support: an in-memory model of libvirt's nwfilter store (filters and bindings), strict
// where libvirt is strict, so property tests can apply plans and read the result back. It is a
// model of behaviour measured in the lab (see shared/libvirt/fixtures/README.md and
// libvirt-facts.md), not a stand-in for libvirt: the lab suite is where behaviour is proven.
//
// Enforced: one binding per port; redefining a filter needs its uuid; a filter used by a binding
// (directly or through references) cannot be undefined; a binding (or a redefinition) whose
// filter tree references a missing filter or leaves a variable unresolved is refused (IP alone may
// be missing: libvirt learns it); parameters with names or values outside libvirt's character sets
// are dropped, MAC is added, parameters are stored sorted by name.
import {
  type BindingDef,
  buildBindingXml,
  type FilterBinding,
  parseBinding,
} from '../libvirt/binding';
import {
  canonicalParameters,
  type FilterParameter,
  isValidParameterName,
  isValidParameterValue,
} from '../libvirt/filterref';
import { buildFilterXml, type NwFilter, parseNwfilter } from '../libvirt/nwfilter';
import type { MacAddress, PortDev, Uuid } from '../libvirt/values';
import type { Operation } from './planner';
import type { GuestPort, HostSnapshot } from './snapshot';

export class SimError extends Error {
  override readonly name = 'SimError';
}

type Vars = ReadonlyMap<string, readonly string[]>;

/** A rule as instantiated on a port: variables resolved, one instance per list value. */
export interface RuleInstance {
  readonly filter: string;
  readonly action: string;
  readonly direction: 'in' | 'out' | 'inout';
  readonly priority: number;
  readonly protocol: string | null;
  readonly attrs: Readonly<Record<string, string>>;
}

/** A frame kind the simulator can judge: arp, other IPv4, icmp, or tcp/udp to a port. */
export type Packet =
  | { readonly kind: 'arp' | 'ipv4-other' | 'icmp' }
  | { readonly kind: 'tcp' | 'udp'; readonly port: number };

const VAR_REF = /^\$([A-Za-z0-9_]+)(?:\[@?\d+\])?$/;

export class LibvirtSim {
  private readonly filters = new Map<string, NwFilter>();
  private readonly bindings = new Map<string, FilterBinding>();
  private uuidCounter = 0;
  /** Instantiated rules per port, cleared on every change. */
  private readonly ruleCache = new Map<string, RuleInstance[]>();
  /** Every operation applied, for assertions. */
  readonly log: Operation[] = [];

  /** Filters as XML or already parsed (parsing libvirt's 24 stock filters per test is slow). */
  constructor(
    init: { filters?: readonly (string | NwFilter)[]; bindings?: readonly string[] } = {},
  ) {
    for (const f of init.filters ?? []) this.defineFilter(f);
    for (const b of init.bindings ?? []) this.createBinding(b);
  }

  // ---- the API surface the planner's operations use ----

  defineFilter(xml: string | NwFilter): NwFilter {
    this.ruleCache.clear();
    const def = typeof xml === 'string' ? parseNwfilter(xml) : xml;
    const existing = this.filters.get(def.name);
    if (existing && def.uuid === undefined)
      throw new SimError(
        `operation failed: filter '${def.name}' already exists with uuid ${existing.uuid}`,
      );
    if (existing && def.uuid !== existing.uuid)
      throw new SimError(
        `operation failed: filter '${def.name}' already exists with uuid ${existing.uuid}`,
      );
    if (!existing && def.uuid !== undefined)
      for (const f of this.filters.values())
        if (f.uuid === def.uuid)
          throw new SimError(
            `operation failed: filter with uuid ${def.uuid} exists as '${f.name}'`,
          );
    const stored = def.uuid
      ? def
      : parseNwfilter(buildFilterXml({ ...def, uuid: this.nextUuid() }));
    const previous = existing;
    this.filters.set(def.name, stored);
    // A redefinition re-instantiates every port using the filter; refuse what cannot instantiate.
    for (const b of this.bindings.values())
      if (this.treeOf(b.filterref.filter).has(def.name)) {
        try {
          this.instantiate(b);
        } catch (e) {
          if (previous) this.filters.set(def.name, previous);
          else this.filters.delete(def.name);
          throw e;
        }
      }
    return stored;
  }

  undefineFilter(name: string): void {
    this.ruleCache.clear();
    if (!this.filters.has(name))
      throw new SimError(`Network filter not found: no nwfilter with matching name '${name}'`);
    for (const b of this.bindings.values())
      if (this.treeOf(b.filterref.filter).has(name))
        throw new SimError('Requested operation is not valid: nwfilter is in use');
    this.filters.delete(name);
  }

  createBinding(xml: string): FilterBinding {
    this.ruleCache.clear();
    const b = parseBinding(xml);
    if (this.bindings.has(b.portdev))
      throw new SimError(`operation failed: binding '${b.portdev}' already exists`);
    const params = canonicalParameters(
      withMac(
        b.filterref.parameters.filter(
          (p) => isValidParameterName(p.name) && isValidParameterValue(p.value),
        ),
        b.mac,
      ),
    );
    const def: BindingDef = {
      owner: b.owner,
      portdev: b.portdev,
      ...(b.linkdev !== undefined ? { linkdev: b.linkdev } : {}),
      mac: b.mac,
      filterref: { filter: b.filterref.filter, parameters: params },
    };
    const stored = parseBinding(buildBindingXml(def));
    this.instantiate(stored);
    this.bindings.set(stored.portdev, stored);
    return stored;
  }

  deleteBinding(portdev: string): void {
    this.ruleCache.clear();
    if (!this.bindings.delete(portdev))
      throw new SimError(
        `Network filter binding not found: no nwfilter binding for port dev '${portdev}'`,
      );
  }

  apply(op: Operation): void {
    this.ruleCache.clear();
    switch (op.kind) {
      case 'define-filter':
        this.defineFilter(op.xml);
        break;
      case 'undefine-filter':
        this.undefineFilter(op.target);
        break;
      case 'create-binding':
        this.createBinding(op.xml);
        break;
      case 'delete-binding':
        this.deleteBinding(op.target);
        break;
    }
    this.log.push(op);
  }

  applyAll(ops: readonly Operation[]): void {
    for (const op of ops) this.apply(op);
  }

  /** What a guest restart does: the port's bindings go (a new one comes only from domain XML). */
  dropBindingsOf(portdev: string): void {
    this.ruleCache.clear();
    this.bindings.delete(portdev);
  }

  // ---- reading ----

  filterXml(name: string): string | undefined {
    const f = this.filters.get(name);
    return f ? buildFilterXml(f) : undefined;
  }

  bindingXml(portdev: string): string | undefined {
    const b = this.bindings.get(portdev);
    return b ? buildBindingXml(b) : undefined;
  }

  /** Binding XML by port, sorted: what `virsh nwfilter-binding-dumpxml` would print for each. */
  allBindingXml(): Record<string, string> {
    return Object.fromEntries(
      [...this.bindings.keys()].sort().map((k) => [k, this.bindingXml(k) as string]),
    );
  }

  allFilterXml(): Record<string, string> {
    return Object.fromEntries(
      [...this.filters.keys()].sort().map((k) => [k, this.filterXml(k) as string]),
    );
  }

  snapshot(ports: readonly GuestPort[]): HostSnapshot {
    return { ports, bindings: [...this.bindings.values()], filters: [...this.filters.values()] };
  }

  /** The rules instantiated on a port, in libvirt's order (priority, then tree order). */
  rulesOn(portdev: string): RuleInstance[] {
    const cached = this.ruleCache.get(portdev);
    if (cached) return cached;
    const b = this.bindings.get(portdev);
    const rules = b ? this.instantiate(b) : [];
    this.ruleCache.set(portdev, rules);
    return rules;
  }

  /**
   * Whether a frame from `src` (port srcDev) to `dst` (port dstDev) is dropped by a drop rule
   * matching on MAC addresses: an out rule on the sender's port or an in rule on the receiver's.
   * Only rules that name the peer's MAC count, so protection filters (which drop spoofed frames,
   * never a peer) do not blur the picture.
   */
  drops(
    from: { mac: MacAddress; portdev: PortDev | null },
    to: { mac: MacAddress; portdev: PortDev | null },
    packet: Packet,
  ): boolean {
    const check = (
      dev: PortDev | null,
      direction: 'in' | 'out',
      peerAttr: string,
      peer: MacAddress,
    ) =>
      dev !== null &&
      this.rulesOn(dev).some(
        (r) =>
          r.action === 'drop' &&
          (r.direction === direction || r.direction === 'inout') &&
          r.attrs[peerAttr] === peer &&
          matchesPacket(r, packet),
      );
    return (
      check(from.portdev, 'out', 'dstmacaddr', to.mac) ||
      check(to.portdev, 'in', 'srcmacaddr', from.mac)
    );
  }

  // ---- internals ----

  private nextUuid(): Uuid {
    this.uuidCounter++;
    return `00000000-0000-4000-8000-${this.uuidCounter.toString(16).padStart(12, '0')}` as Uuid;
  }

  /** Names of every filter reachable from `root` (only existing ones are followed). */
  private treeOf(root: string): Set<string> {
    const seen = new Set<string>();
    const walk = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const f = this.filters.get(name);
      for (const e of f?.entries ?? []) if (e.kind === 'filterref') walk(e.ref.filter);
    };
    walk(root);
    return seen;
  }

  private instantiate(b: FilterBinding): RuleInstance[] {
    const out: { inst: RuleInstance; order: number }[] = [];
    const missing = new Set<string>();
    const walk = (name: string, vars: Vars, depth: number) => {
      if (depth > 20) throw new SimError(`filter references loop through '${name}'`);
      const f = this.filters.get(name);
      if (!f) throw new SimError(`internal error: referenced filter '${name}' is missing`);
      for (const e of f.entries) {
        if (e.kind === 'filterref') {
          // libvirt: the include's parameters, overwritten by the inherited variables.
          const merged = new Map<string, readonly string[]>(toVars(e.ref.parameters));
          for (const [k, v] of vars) merged.set(k, v);
          walk(e.ref.filter, merged, depth + 1);
        } else if (e.kind === 'rule') {
          const rule = e.rule;
          const match = rule.matches[0];
          const used = Object.values(match?.attrs ?? {}).flatMap((v) => {
            const m = VAR_REF.exec(v);
            return m?.[1] ? [m[1]] : [];
          });
          const lists = used.map((n) => [n, vars.get(n)] as const);
          for (const [n, v] of lists) if (!v) missing.add(n);
          if (lists.some(([, v]) => !v)) continue;
          // One instance per combination of list values.
          let combos: Map<string, string>[] = [new Map()];
          for (const [n, values] of lists) {
            if (combos[0]?.has(n)) continue;
            combos = combos.flatMap((c) => (values ?? []).map((val) => new Map(c).set(n, val)));
          }
          for (const c of combos) {
            const attrs: Record<string, string> = {};
            for (const [k, v] of Object.entries(match?.attrs ?? {})) {
              const m = VAR_REF.exec(v);
              attrs[k] = m?.[1] ? (c.get(m[1]) ?? v) : v;
            }
            out.push({
              inst: {
                filter: name,
                action: rule.action,
                direction: rule.direction,
                priority: rule.priority ?? 500,
                protocol: match?.protocol ?? null,
                attrs,
              },
              order: out.length,
            });
          }
        }
      }
    };
    walk(b.filterref.filter, toVars(b.filterref.parameters), 0);
    missing.delete('IP'); // libvirt learns it (DHCP snooping or the first packet)
    if (missing.size > 0)
      throw new SimError(
        `Cannot instantiate filter due to unresolvable variables or unavailable list elements: ${[...missing].sort().join(', ')}`,
      );
    return out
      .sort((x, y) => x.inst.priority - y.inst.priority || x.order - y.order)
      .map((x) => x.inst);
  }
}

function withMac(params: FilterParameter[], mac: MacAddress): FilterParameter[] {
  return params.some((p) => p.name === 'MAC') ? params : [...params, { name: 'MAC', value: mac }];
}

function toVars(params: readonly FilterParameter[]): Map<string, string[]> {
  const vars = new Map<string, string[]>();
  for (const p of params) vars.set(p.name, [...(vars.get(p.name) ?? []), p.value]);
  return vars;
}

function matchesPacket(r: RuleInstance, p: Packet): boolean {
  if (r.protocol === 'mac') return r.attrs.protocolid === undefined;
  if (r.protocol !== 'ip') return false;
  if (p.kind === 'arp') return false;
  const proto = r.attrs.protocol;
  if (proto === undefined) return true;
  if (proto !== p.kind) return false;
  const port = r.attrs.dstportstart;
  if (port === undefined) return true;
  return (p.kind === 'tcp' || p.kind === 'udp') && Number(port) === p.port;
}
