// One reading of every running port of a host: virDomainInterfaceStats per port (one small call
// each), through a bounded window on the host's one connection so a host of many guests neither
// floods libvirtd nor waits on one call at a time.
import type { HostInventory } from '../../../shared/api';
import type { RawDomain } from '../../../shared/inventory/raw';
import type { MacAddress } from '../../../shared/libvirt';
import type { CounterReading } from '../../../shared/traffic';
import type { LibvirtConnection } from '../../libvirt/connection';
import { type CallWindow, callWindow } from '../call-window';

export interface RunningPort {
  readonly portdev: string;
  readonly mac: MacAddress;
  readonly guestId: HostInventory['guests'][number]['id'];
  /** The domain's id: a restarted guest gets a new one (and fresh counters). */
  readonly domain: Pick<RawDomain, 'name' | 'uuid' | 'id'>;
}

/** A handful in flight: each call is tiny, and the poll must leave room for everything else. */
export const STATS_WINDOW = 8;

export function runningPorts(
  inventory: HostInventory,
  domains: readonly RawDomain[],
): RunningPort[] {
  const byUuid = new Map(domains.map((d) => [d.uuid, d]));
  const out: RunningPort[] = [];
  for (const g of inventory.guests) {
    const d = byUuid.get(g.uuid);
    if (!d || d.id < 0) continue;
    for (const i of g.interfaces)
      if (i.portdev)
        out.push({
          portdev: i.portdev,
          mac: i.mac as MacAddress,
          guestId: g.id,
          domain: { name: d.name, uuid: d.uuid, id: d.id },
        });
  }
  return out;
}

export function statsWindow(): CallWindow {
  return callWindow(STATS_WINDOW);
}

/** Readings of the ports that answered; a port that did not (guest just stopped) is left out. */
export async function readPortCounters(
  lv: LibvirtConnection,
  ports: readonly RunningPort[],
  window: CallWindow,
  timeoutMs: number,
): Promise<Map<string, CounterReading>> {
  const out = new Map<string, CounterReading>();
  await Promise.all(
    ports.map((p) =>
      window
        .run(() => lv.domainInterfaceStats({ dom: p.domain, device: p.portdev }, { timeoutMs }))
        .then(
          (s) =>
            out.set(p.portdev, {
              at: Date.now(),
              rxBytes: Number(s.rxBytes),
              rxPackets: Number(s.rxPackets),
              txBytes: Number(s.txBytes),
              txPackets: Number(s.txPackets),
            }),
          () => {},
        ),
    ),
  );
  return out;
}
