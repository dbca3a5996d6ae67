// How a cut becomes nwfilter XML, and how host state reads back as cuts.
//
// One static rule filter per (direction, scope), e.g. kvm-chaos-drop-in-udp-53, holds a single
// drop rule on the list variable KC_PEER, with ebtables-level protocol elements so every rule
// lands in ebtables (<mac> for all traffic, <ip protocol=...> for one protocol):
//   in  (to the guest):   srcmacaddr='$KC_PEER'  enforced on the receiver's port
//   out (from the guest): dstmacaddr='$KC_PEER'  enforced on the sender's port
// A peer outside the guests (an IPv4 network) is matched by IP address instead, in rule filters
// per prefix length, e.g. kvm-chaos-drop-out-net32-all: dstipaddr='$KC_PEER' dstipmask='32'.
// Each cut port gets a composite filter of its own that references those rule filters with the
// peers as list parameters, then the port's original filter (with its original parameters) last:
//   <filter name='kvm-chaos-cut-lab-node1-...' chain='root'>
//     <filterref filter='kvm-chaos-drop-in-all'><parameter name='KC_PEER' value='...22'/>...
//     <filterref filter='clean-traffic'><parameter name='IP' value='...'/>...</filterref>
//   </filter>
// The peers live in the composite, not in the binding, so changing them is a redefinition of the
// composite (libvirt re-instantiates the port's rules in place, never leaving it unfiltered), and
// the original filterref kept in the composite is what heal restores, even after a crash that
// happened between deleting a binding and creating its replacement.
import type { FilterRef } from '../libvirt/filterref';
import { parameterValues } from '../libvirt/filterref';
import { type FilterDef, filterRefs } from '../libvirt/nwfilter';
import { attempt, type FilterName, macAddress, type Uuid } from '../libvirt/values';
import {
  CutError,
  compareText,
  type Endpoint,
  type Flow,
  isNetTarget,
  type NetTarget,
  netTarget,
  parseScopeLabel,
  type Scope,
  scopeLabel,
} from './cut';
import { dropFilterName, PEER_VARIABLE, parseOurName, type RuleDirection } from './naming';

/** Drop rules come before anything else in the port's chains (clean-traffic's start at -810). */
export const DROP_PRIORITY = -1000;

/** One rule on one port: drop traffic in `scope` to (in) or from (out) the guest, for `peer`. */
export interface PortRule {
  readonly direction: RuleDirection;
  readonly scope: Scope;
  readonly peer: Endpoint;
}

/** The prefix length of a network peer, null for a guest's MAC. */
export function prefixOf(peer: Endpoint): number | null {
  return isNetTarget(peer) ? Number(peer.slice(peer.indexOf('/') + 1)) : null;
}

/** What goes in the list variable for a peer: the MAC, or the network's address. */
function peerValue(peer: Endpoint): string {
  return isNetTarget(peer) ? peer.slice(0, peer.indexOf('/')) : peer;
}

/** The rule filter that holds a rule for this peer. */
export function ruleFilterName(r: PortRule): FilterName {
  return dropFilterName(r.direction, r.scope, prefixOf(r.peer));
}

export function ruleKey(r: PortRule): string {
  return `${r.direction}|${scopeLabel(r.scope)}|${r.peer}`;
}

/** The flow a rule on the port with MAC `own` drops. */
export function ruleFlow(own: Endpoint, r: PortRule): Flow {
  return r.direction === 'in'
    ? { src: r.peer, dst: own, scope: r.scope }
    : { src: own, dst: r.peer, scope: r.scope };
}

/** The rule that drops `flow` on the port with MAC `own` (one end of the flow). */
export function flowRule(own: Endpoint, flow: Flow): PortRule {
  if (flow.dst === own) return { direction: 'in', scope: flow.scope, peer: flow.src };
  if (flow.src === own) return { direction: 'out', scope: flow.scope, peer: flow.dst };
  throw new Error(`flow ${flow.src}>${flow.dst} does not touch ${own}`);
}

/** The static rule filter for one direction and scope (and prefix length, for network peers). */
export function dropFilter(
  direction: RuleDirection,
  scope: Scope,
  prefix: number | null = null,
): FilterDef {
  const match = prefix === null ? macMatch(direction, scope) : netMatch(direction, scope, prefix);
  return {
    name: dropFilterName(direction, scope, prefix),
    chain: 'root',
    entries: [
      {
        kind: 'rule',
        rule: { action: 'drop', direction, priority: DROP_PRIORITY, matches: [match] },
      },
    ],
  };
}

type Match = { protocol: string; attrs: Record<string, string> };

/** The peer as the frame's source MAC (in) or destination MAC (out). */
function macMatch(direction: RuleDirection, scope: Scope): Match {
  const mac = direction === 'in' ? 'srcmacaddr' : 'dstmacaddr';
  const peer = `$${PEER_VARIABLE}`;
  return scope.kind === 'all'
    ? { protocol: 'mac', attrs: { [mac]: peer } }
    : scope.kind === 'ipv4'
      ? { protocol: 'ip', attrs: { [mac]: peer } }
      : scope.kind === 'icmp'
        ? { protocol: 'ip', attrs: { [mac]: peer, protocol: 'icmp' } }
        : {
            protocol: 'ip',
            attrs:
              scope.port === undefined
                ? { [mac]: peer, protocol: scope.kind }
                : { [mac]: peer, protocol: scope.kind, dstportstart: String(scope.port) },
          };
}

/**
 * The peer as the packet's IPv4 source (in) or destination (out) network. Every scope is IPv4
 * here: 'all' cannot reach ARP or IPv6 by address, so it means what 'ipv4' means.
 */
function netMatch(direction: RuleDirection, scope: Scope, prefix: number): Match {
  const [addr, mask] = direction === 'in' ? ['srcipaddr', 'srcipmask'] : ['dstipaddr', 'dstipmask'];
  const attrs: Record<string, string> = { [addr]: `$${PEER_VARIABLE}`, [mask]: String(prefix) };
  if (scope.kind === 'icmp' || scope.kind === 'tcp' || scope.kind === 'udp')
    attrs.protocol = scope.kind;
  if ((scope.kind === 'tcp' || scope.kind === 'udp') && scope.port !== undefined)
    attrs.dstportstart = String(scope.port);
  return { protocol: 'ip', attrs };
}

/** The composite filter of one cut port; rules grouped per rule filter, all sorted. */
export function compositeFilter(
  name: FilterName,
  rules: readonly PortRule[],
  original: FilterRef | null,
  uuid?: Uuid,
): FilterDef {
  const groups = new Map<string, { filter: FilterName; peers: Set<string> }>();
  for (const r of rules) {
    const filter = ruleFilterName(r);
    const g = groups.get(filter) ?? { filter, peers: new Set() };
    g.peers.add(peerValue(r.peer));
    groups.set(filter, g);
  }
  const refs = [...groups.values()]
    .map((g) => ({
      filter: g.filter,
      parameters: [...g.peers].sort().map((value) => ({ name: PEER_VARIABLE, value })),
    }))
    .sort((a, b) => compareText(a.filter, b.filter));
  return {
    name,
    ...(uuid ? { uuid } : {}),
    chain: 'root',
    entries: [
      ...refs.map((ref) => ({ kind: 'filterref' as const, ref })),
      ...(original ? [{ kind: 'filterref' as const, ref: original }] : []),
    ],
  };
}

/** What a composite of ours holds: its rules and the original filterref it wraps. */
export function readComposite(f: FilterDef): { rules: PortRule[]; original: FilterRef | null } {
  const rules: PortRule[] = [];
  let original: FilterRef | null = null;
  for (const ref of filterRefs(f)) {
    const ours = parseOurName(ref.filter);
    const scope = ours?.kind === 'drop' ? parseScopeLabel(ours.scopeLabel) : null;
    if (ours?.kind === 'drop' && scope) {
      const prefix = ours.prefix;
      for (const value of parameterValues(ref, PEER_VARIABLE)) {
        const peer = prefix === null ? attempt(macAddress, value) : netPeer(value, prefix);
        if (peer) rules.push({ direction: ours.direction, scope, peer });
      }
    } else if (original === null) original = ref;
  }
  return { rules, original };
}

function netPeer(address: string, prefix: number): NetTarget | null {
  try {
    return netTarget(`${address}/${prefix}`);
  } catch (e) {
    if (e instanceof CutError) return null;
    throw e;
  }
}
