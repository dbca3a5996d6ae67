// One host's traffic, sample after sample: port counters -> rates (kept a while for the rate
// change), and for each cut what its rules dropped (or, without counters, the rate change).
import type { CutTraffic, PortTraffic, TrafficSample } from '../../../shared/api';
import { guestEndsOf } from '../../../shared/api';
import {
  baselineBefore,
  type CounterReading,
  dropCounters,
  droppedFor,
  dropsByFlow,
  packetsPerSec,
  parseRuleCounters,
  type RatePoint,
  ratesBetween,
  trimHistory,
} from '../../../shared/traffic';
import { toPlannerCut } from '../cuts';
import type { HostSession } from '../host-session';
import { readPortCounters, runningPorts, statsWindow } from './port-stats';
import { type CountersRead, readRuleCounters } from './rule-counters';

/** After the counters could not be read, try again this much later rather than every second. */
const COUNTERS_RETRY_MS = 30_000;
const CALL_TIMEOUT_MS = 5000;

export interface SampleCost {
  /** Wall time of the whole sample (stats calls, and the counters when read). */
  readonly ms: number;
  readonly statsCalls: number;
  readonly countersRead: boolean;
}

export class HostSampler {
  private readonly window = statsWindow();
  /** Last reading per port, with the domain id it was taken under. */
  private readonly last = new Map<string, { domainId: number; reading: CounterReading }>();
  private readonly history = new Map<string, RatePoint[]>();
  private countersBlocked: { reason: string; until: number } | null = null;
  lastCost: SampleCost | null = null;

  constructor(private readonly session: HostSession) {}

  async sample(): Promise<TrafficSample | null> {
    const s = this.session;
    const inventory = s.inventory;
    const raw = s.raw;
    if (!inventory || !raw || s.status.state !== 'connected') return null;
    const lv = s.libvirt();
    const started = Date.now();
    const ports = runningPorts(inventory, raw.domains);
    const cuts = inventory.cuts;
    const [readings, counters] = await Promise.all([
      readPortCounters(lv, ports, this.window, CALL_TIMEOUT_MS),
      cuts.length > 0 ? this.counters(lv, started) : Promise.resolve(null),
    ]);

    const traffic: PortTraffic[] = [];
    const nowPps = new Map<string, number>();
    for (const p of ports) {
      const reading = readings.get(p.portdev);
      if (!reading) continue;
      const before = this.last.get(p.portdev);
      this.last.set(p.portdev, { domainId: p.domain.id, reading });
      if (!before || before.domainId !== p.domain.id) continue;
      const rates = ratesBetween(before.reading, reading);
      if (!rates) continue;
      traffic.push({ portdev: p.portdev, mac: p.mac, guestId: p.guestId, ...rates });
      const pps = packetsPerSec(rates);
      nowPps.set(p.mac, pps);
      const h = trimHistory(this.history.get(p.mac) ?? [], reading.at);
      h.push({ at: reading.at, pps });
      this.history.set(p.mac, h);
    }
    for (const portdev of this.last.keys())
      if (!ports.some((p) => p.portdev === portdev)) this.last.delete(portdev);

    const cutTraffic: CutTraffic[] = [];
    if (counters?.ok) {
      const macs = new Map(ports.map((p) => [p.portdev, p.mac]));
      const byFlow = dropsByFlow(dropCounters(parseRuleCounters(counters.text), macs));
      for (const c of cuts)
        cutTraffic.push({
          source: 'rule-counters',
          cutId: c.id,
          ...droppedFor(toPlannerCut(c), byFlow),
        });
    } else
      for (const c of cuts) {
        const ends = guestEndsOf(c).map((e) => e.mac);
        const baselines = ends.map((m) =>
          c.createdAt === null ? null : baselineBefore(this.history.get(m) ?? [], c.createdAt),
        );
        cutTraffic.push({
          source: 'rate-change',
          cutId: c.id,
          beforePacketsPerSec: baselines.some((b) => b === null)
            ? null
            : (baselines as number[]).reduce((a, b) => a + b, 0),
          nowPacketsPerSec: ends.reduce((a, m) => a + (nowPps.get(m) ?? 0), 0),
        });
      }
    this.lastCost = {
      ms: Date.now() - started,
      statsCalls: ports.length,
      countersRead: counters?.ok ?? false,
    };
    return {
      type: 'traffic.sample',
      hostId: s.id,
      at: Date.now(),
      ports: traffic,
      cuts: cutTraffic,
      countersUnavailable: counters && !counters.ok ? counters.reason : null,
    };
  }

  private async counters(lv: ReturnType<HostSession['libvirt']>, now: number) {
    if (this.countersBlocked && now < this.countersBlocked.until)
      return { ok: false, reason: this.countersBlocked.reason } satisfies CountersRead;
    const r = await readRuleCounters(lv);
    this.countersBlocked = r.ok ? null : { reason: r.reason, until: now + COUNTERS_RETRY_MS };
    return r;
  }
}
