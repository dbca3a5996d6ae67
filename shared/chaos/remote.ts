// Cuts whose other end is a guest on another host. Guests of several hosts share an L2 segment
// when their bridges are joined (a veth, a VLAN on a physical NIC): a cut between them is
// enforced on one end's port only, on that end's host, and its intent is kept there too. That
// host must plan it from its own state alone (any instance, after any crash), so the intent
// names the remote end; the planner then sees it as a port without a tap on the local end's
// segment, exactly like a local guest that is shut off, and enforces the cut on the local end.
import type { MacAddress, Uuid } from '../libvirt/values';
import type { CutIntent } from './intent';
import type { GuestPort, HostSnapshot } from './snapshot';

/** The end of a cut that lives on another host, as the enforcing host's intent records it. */
export interface RemoteEnd {
  readonly mac: MacAddress;
  /** The other host as the user named it (its profile label), for people and for listings. */
  readonly host: string;
}

/** A stable stand-in uuid: the planner keys ports by guest uuid + MAC. */
function remoteUuid(mac: MacAddress): Uuid {
  return `00000000-0000-4000-8000-${mac.replaceAll(':', '')}` as Uuid;
}

/**
 * The snapshot plus one tap-less port for each remote end the intents name, on the segment of the
 * cut's local end. A remote MAC that is also a local port (the guest moved here) is left alone:
 * the cut is then an ordinary local one.
 */
export function withRemoteEnds(
  snapshot: HostSnapshot,
  intents: readonly CutIntent[],
): HostSnapshot {
  const local = new Map(snapshot.ports.map((p) => [p.mac as string, p]));
  const added = new Map<string, GuestPort>();
  for (const i of intents) {
    const remote = i.remote;
    if (!remote || local.has(remote.mac) || added.has(remote.mac)) continue;
    const localMac = remote.mac === i.cut.from ? i.cut.to : i.cut.from;
    const here = local.get(localMac);
    if (!here) continue; // the local guest is gone: the intent is not plannable (status.ts)
    const name = remote.mac === i.cut.from ? i.fromName : i.toName;
    added.set(remote.mac, {
      guest: { name: `${name}@${remote.host}`, uuid: remoteUuid(remote.mac) },
      mac: remote.mac,
      portdev: null,
      segment: here.segment,
      uncuttable: null,
    });
  }
  return added.size === 0
    ? snapshot
    : { ...snapshot, ports: [...snapshot.ports, ...added.values()] };
}

/** True for a port withRemoteEnds added. */
export function isRemotePort(p: GuestPort): boolean {
  return p.guest.name.includes('@') && p.guest.uuid === remoteUuid(p.mac);
}
