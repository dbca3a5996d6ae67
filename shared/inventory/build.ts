// From a raw host snapshot to the inventory the UI and CLI see: segments, guests with their
// interfaces (port, segment, IPs and where each came from, protection, why it can't be cut),
// bindings and filters each classed as ours, protection or foreign. Pure.
import {
  type ActiveCut,
  type Binding,
  type FilterSummary,
  type Guest,
  type GuestInterface,
  type GuestIp,
  type GuestState,
  GuestState as GuestStateSchema,
  guestId,
  type HostId,
  type HostInventory,
  type InterfaceProtection,
  type Interruption,
  type OwnershipClass,
  type Segment,
  type SegmentId,
  segmentId,
} from '../api';
import { readComposite } from '../chaos/enforcement';
import { isPortFilter } from '../chaos/naming';
import {
  attempt,
  type Domain,
  type DomainInterface,
  type FilterBinding,
  type FilterRef,
  filterRefs,
  filterRules,
  ipAddress,
  ipv4,
  macAddress,
  type Network,
  type NwFilter,
  parseBinding,
  parseDomain,
  parseNetwork,
  parseNwfilter,
} from '../libvirt';
import { labelsOfDomain } from './labels';
import type { RawHostState } from './raw';

/** virDomainState by number: the contract lists the states in libvirt's order. */
const STATES: readonly GuestState[] = GuestStateSchema.options;

/** How the inventory tells ours / protection / foreign apart, and which preset a filterref is. */
export interface Classifier {
  filterClass(name: string): OwnershipClass;
  protectionOf(ref: FilterRef | undefined): InterfaceProtection;
}

/** Everything parsed once, for the inventory and for the planner's snapshot alike. */
export interface ParsedHost {
  hostname: string;
  domains: { domain: Domain; state: GuestState }[];
  networks: {
    network: Network;
    active: boolean;
    leases: RawHostState['networks'][number]['leases'];
  }[];
  filters: NwFilter[];
  bindings: { binding: FilterBinding; xml: string }[];
  /** Objects libvirt returned that we could not parse: shown, never guessed at. */
  unreadable: { kind: string; name: string; error: string }[];
}

export function parseHost(raw: RawHostState): ParsedHost {
  const unreadable: ParsedHost['unreadable'] = [];
  const tryParse = <T>(kind: string, name: string, f: () => T): T | null => {
    try {
      return f();
    } catch (e) {
      unreadable.push({ kind, name, error: e instanceof Error ? e.message : String(e) });
      return null;
    }
  };
  const domains = raw.domains.flatMap((d) => {
    const domain = tryParse('domain', d.name, () => parseDomain(d.xml));
    return domain ? [{ domain, state: STATES[d.state] ?? 'nostate' }] : [];
  });
  const networks = raw.networks.flatMap((n) => {
    const network = tryParse('network', n.name, () => parseNetwork(n.xml));
    return network ? [{ network, active: n.active, leases: n.leases }] : [];
  });
  const filters = raw.filters.flatMap(
    (f) => tryParse('nwfilter', f.name, () => parseNwfilter(f.xml)) ?? [],
  );
  const bindings = raw.bindings.flatMap((b) => {
    const binding = tryParse('binding', b.portdev, () => parseBinding(b.xml));
    return binding ? [{ binding, xml: b.xml }] : [];
  });
  return { hostname: raw.hostname, domains, networks, filters, bindings, unreadable };
}

function segmentsOf(
  hostId: HostId,
  host: ParsedHost,
): { segments: Segment[]; byBridge: Map<string, SegmentId> } {
  const segments: Segment[] = [];
  const byBridge = new Map<string, SegmentId>();
  for (const { network, active, leases } of host.networks) {
    const id = segmentId(hostId, 'network', network.name);
    const leasedMacs = [
      ...new Set(leases.flatMap((l) => attempt(macAddress, l.mac ?? '') ?? [])),
    ].sort();
    const bridge = network.bridge?.name ?? null;
    if (bridge) byBridge.set(bridge, id);
    const gateways = network.ips.flatMap((ip) => (ip.family === 'ipv4' ? [ipv4(ip.address)] : []));
    segments.push({
      id,
      hostId,
      kind: 'network',
      name: network.name,
      bridge,
      cidrs: network.ips.flatMap((ip) => (ip.cidr ? [ip.cidr] : [])),
      ...(gateways.length ? { gateways } : {}),
      active,
      ...(leasedMacs.length ? { leasedMacs } : {}),
    });
  }
  // Plain bridges: those guests attach to directly that no libvirt network owns.
  for (const { domain } of host.domains)
    for (const nic of domain.interfaces) {
      const br = nic.type === 'bridge' ? nic.source.bridge : undefined;
      if (!br || byBridge.has(br)) continue;
      const id = segmentId(hostId, 'bridge', br);
      byBridge.set(br, id);
      segments.push({ id, hostId, kind: 'bridge', name: br, bridge: br, cidrs: [], active: true });
    }
  return { segments, byBridge };
}

function segmentOf(
  hostId: HostId,
  nic: DomainInterface,
  byBridge: Map<string, SegmentId>,
): SegmentId | null {
  if (nic.type === 'network' && nic.source.network)
    return segmentId(hostId, 'network', nic.source.network);
  if (nic.type === 'bridge' && nic.source.bridge) return byBridge.get(nic.source.bridge) ?? null;
  return null;
}

function ipsOf(
  nic: DomainInterface,
  host: ParsedHost,
  binding: FilterBinding | undefined,
): GuestIp[] {
  const found: GuestIp[] = [];
  const add = (text: string | undefined | null, source: GuestIp['source']) => {
    const ip = attempt(ipAddress, text ?? undefined);
    if (ip && !found.some((f) => f.address === ip.address))
      found.push({ ...ip, source } as GuestIp);
  };
  // Strongest first: an address pinned in the filter, then the network's fixed host entry,
  // then a lease (which a rogue DHCP server or a migration can make wrong).
  const ref = effectiveFilterRef(binding?.filterref ?? nic.filterref, host.filters);
  for (const p of ref?.parameters ?? [])
    if (p.name === 'IP' || p.name === 'IPV6') add(p.value, 'filter-parameter');
  if (nic.mac) {
    for (const { network, leases } of host.networks) {
      if (nic.source.network !== network.name) continue;
      for (const ip of network.ips)
        for (const h of ip.dhcp.hosts) if (h.mac === nic.mac) add(h.ip, 'dhcp-host');
      for (const l of leases) if (l.mac?.toLowerCase() === nic.mac) add(l.ipaddr, 'dhcp-lease');
    }
  }
  return found;
}

function uncuttableOf(
  nic: DomainInterface,
  active: boolean,
  segment: SegmentId | null,
): GuestInterface['uncuttable'] {
  if (nic.type === 'direct')
    return {
      reason: 'direct',
      explanation:
        'macvtap (type=direct) traffic to other guests bypasses the host bridge where nwfilter sees it',
    };
  if (nic.type === 'other')
    return {
      reason: 'unsupported-type',
      explanation: `interface type '${nic.rawType}' has no filterable port`,
    };
  if (!active)
    return {
      reason: 'not-running',
      explanation: 'the guest is not running: it has no port to filter',
    };
  if (!nic.target)
    return {
      reason: 'no-port',
      explanation: 'libvirt reports no port (target dev) for this interface',
    };
  if (!segment)
    return { reason: 'no-segment', explanation: 'not attached to a known network or bridge' };
  return null;
}

export function buildInventory(
  hostId: HostId,
  host: ParsedHost,
  classify: Classifier,
  cuts: readonly ActiveCut[],
  revision: number,
  readAt: number,
  interruptions: readonly Interruption[] = [],
): HostInventory {
  const { segments, byBridge } = segmentsOf(hostId, host);
  const bindingByPort = new Map(host.bindings.map((b) => [b.binding.portdev as string, b.binding]));
  const cutIdsByPort = new Map<string, ActiveCut['id'][]>();
  for (const c of cuts)
    for (const port of c.enforcedOn)
      cutIdsByPort.set(port, [...(cutIdsByPort.get(port) ?? []), c.id]);

  const guests: Guest[] = host.domains.map(({ domain, state }) => {
    const id = guestId(hostId, domain.uuid);
    const interfaces: GuestInterface[] = domain.interfaces.flatMap((nic) => {
      if (!nic.mac) return [];
      const segment = segmentOf(hostId, nic, byBridge);
      const port = domain.active ? (nic.target ?? null) : null;
      const binding = port ? bindingByPort.get(port) : undefined;
      return [
        {
          mac: nic.mac,
          type: nic.type,
          segmentId: segment,
          portdev: port,
          model: nic.model ?? null,
          uncuttable: uncuttableOf(nic, domain.active, segment),
          ips: ipsOf(nic, host, binding),
          protection: classify.protectionOf(effectiveFilterRef(nic.filterref, host.filters)),
          binding: binding
            ? {
                filter: binding.filterref.filter,
                class: classify.filterClass(binding.filterref.filter),
                cutIds: cutIdsByPort.get(port as string) ?? [],
              }
            : null,
        },
      ];
    });
    const labels = labelsOfDomain(domain.xml);
    return { id, hostId, uuid: domain.uuid, name: domain.name, state, interfaces, labels };
  });

  const guestByUuid = new Map(guests.map((g) => [g.uuid, g.id]));
  const bindings: Binding[] = host.bindings.map(({ binding, xml }) => ({
    portdev: binding.portdev,
    ownerName: binding.owner.name,
    ownerUuid: binding.owner.uuid,
    guestId: guestByUuid.get(binding.owner.uuid) ?? null,
    mac: binding.mac,
    filter: binding.filterref.filter,
    parameters: binding.filterref.parameters.map((p) => ({ name: p.name, value: p.value })),
    class: classify.filterClass(binding.filterref.filter),
    xml,
  }));

  const filterByName = new Map(host.filters.map((f) => [f.name as string, f]));
  const reaches = (name: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(name)) return seen;
    seen.add(name);
    const f = filterByName.get(name);
    for (const r of f ? filterRefs(f) : []) reaches(r.filter, seen);
    return seen;
  };
  const usedBy = new Map<string, string[]>();
  for (const b of host.bindings)
    for (const name of reaches(b.binding.filterref.filter))
      usedBy.set(name, [...(usedBy.get(name) ?? []), b.binding.portdev]);
  const filters: FilterSummary[] = host.filters.map((f) => ({
    name: f.name,
    uuid: f.uuid ?? '',
    chain: f.chain ?? 'root',
    priority: f.priority ?? null,
    class: classify.filterClass(f.name),
    ruleCount: filterRules(f).length,
    references: filterRefs(f).map((r) => r.filter),
    usedBy: usedBy.get(f.name) ?? [],
  }));

  return {
    hostId,
    hostname: host.hostname,
    revision,
    readAt,
    segments,
    guests,
    bindings,
    filters,
    cuts: [...cuts],
    interruptions: [...interruptions],
  };
}

/** Where each MAC lives on this host: its guest and segment (first interface wins on duplicates). */
export function interfaceIndex(
  hostId: HostId,
  host: ParsedHost,
): Map<
  string,
  { guestId: ReturnType<typeof guestId>; guestName: string; segmentId: SegmentId | null }
> {
  const { byBridge } = segmentsOf(hostId, host);
  const index = new Map<
    string,
    { guestId: ReturnType<typeof guestId>; guestName: string; segmentId: SegmentId | null }
  >();
  for (const { domain } of host.domains)
    for (const nic of domain.interfaces)
      if (nic.mac && !index.has(nic.mac))
        index.set(nic.mac, {
          guestId: guestId(hostId, domain.uuid),
          guestName: domain.name,
          segmentId: segmentOf(hostId, nic, byBridge),
        });
  return index;
}

/**
 * The protection an interface really has: an interface whose filterref names our port filter is
 * protected by what that filter wraps (kvm-chaos put the preset inside it), not by the wrapper.
 */
export function effectiveFilterRef(
  ref: FilterRef | undefined,
  filters: readonly NwFilter[],
): FilterRef | undefined {
  if (!ref || !isPortFilter(ref.filter)) return ref;
  const wrapper = filters.find((f) => f.name === ref.filter);
  return wrapper ? (readComposite(wrapper).original ?? undefined) : ref;
}
