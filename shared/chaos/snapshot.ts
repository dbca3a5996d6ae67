// What the planner knows about a host: the guests' ports, which L2 segment each is on, and the
// bindings and filters libvirt holds. Built from parsed XML only, so any instance of the app (or
// the CLI after a crash) sees the same thing.
import type { FilterBinding } from '../libvirt/binding';
import type { Domain, DomainInterface } from '../libvirt/domain';
import type { Network } from '../libvirt/network';
import type { NwFilter } from '../libvirt/nwfilter';
import type { MacAddress, PortDev, Uuid } from '../libvirt/values';

/** Why an interface cannot carry a cut right now. */
export type Uncuttable =
  | 'not-running' // the guest is shut off: no port
  | 'no-port' // running, but libvirt reports no target dev
  | 'direct' // macvtap: nwfilter does not filter it
  | 'no-segment' // not on a libvirt network or bridge (user, ethernet, hostdev...)
  | 'no-mac';

export interface GuestPort {
  readonly guest: { readonly name: string; readonly uuid: Uuid };
  readonly mac: MacAddress;
  /** The tap device while the guest runs. */
  readonly portdev: PortDev | null;
  /** The running guest's domain id: it changes when the guest restarts. */
  readonly domainId?: number;
  /** The filter the interface refers to (as read: live for a running guest), if any. */
  readonly filterref?: string;
  /** bridge:NAME for anything bridged (a libvirt network resolves to its bridge), else null. */
  readonly segment: string | null;
  /** null when the port can be cut. */
  readonly uncuttable: Uncuttable | null;
}

export interface HostSnapshot {
  readonly ports: readonly GuestPort[];
  readonly bindings: readonly FilterBinding[];
  /** At least every filter whose name starts with kvm-chaos- (others are not needed). */
  readonly filters: readonly NwFilter[];
}

function segmentOf(i: DomainInterface, networks: readonly Network[]): string | null {
  if (i.type === 'bridge' && i.source.bridge) return `bridge:${i.source.bridge}`;
  if (i.type === 'network') {
    // A running guest's XML names the network's bridge; an inactive one only the network.
    const bridge =
      i.source.bridge ?? networks.find((n) => n.name === i.source.network)?.bridge?.name;
    if (bridge) return `bridge:${bridge}`;
    if (i.source.network) return `network:${i.source.network}`;
  }
  return null;
}

function uncuttable(d: Domain, i: DomainInterface, segment: string | null): Uncuttable | null {
  if (!i.mac) return 'no-mac';
  if (i.type === 'direct') return 'direct';
  if (segment === null) return 'no-segment';
  if (!d.active) return 'not-running';
  if (!i.target) return 'no-port';
  return null;
}

export function portsOfDomain(d: Domain, networks: readonly Network[] = []): GuestPort[] {
  return d.interfaces.flatMap((i) => {
    if (!i.mac) return [];
    const segment = segmentOf(i, networks);
    return [
      {
        guest: { name: d.name, uuid: d.uuid },
        mac: i.mac,
        portdev: d.active ? (i.target ?? null) : null,
        ...(d.active && d.id !== undefined ? { domainId: d.id } : {}),
        ...(i.filterref ? { filterref: i.filterref.filter } : {}),
        segment,
        uncuttable: uncuttable(d, i, segment),
      },
    ];
  });
}

/** A snapshot from what virsh dumpxml / net-dumpxml / nwfilter-*-dumpxml returned. */
export function snapshotFromHost(input: {
  domains: readonly Domain[];
  networks?: readonly Network[];
  bindings: readonly FilterBinding[];
  filters: readonly NwFilter[];
}): HostSnapshot {
  return {
    ports: input.domains.flatMap((d) => portsOfDomain(d, input.networks ?? [])),
    bindings: input.bindings,
    filters: input.filters,
  };
}
