// Live traffic while someone looks: a client asks for it for some seconds (traffic.watch) and
// renews before they end, so a closed window or a dropped WebSocket stops the sampling by itself
// (no per-client bookkeeping in the engine). While a watch holds, every connected host is sampled
// about once a second; a host whose previous sample has not finished is skipped, never queued.
import type { ChaosEvent, HostId } from '../../../shared/api';
import type { HostSession } from '../host-session';
import { HostSampler } from './host-sampler';

export const SAMPLE_INTERVAL_MS = 1000;

export interface TrafficWatchDeps {
  sessions(): Iterable<HostSession>;
  emit(e: ChaosEvent): void;
  intervalMs?: number;
}

export class TrafficWatch {
  private until = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly samplers = new Map<HostId, { session: HostSession; sampler: HostSampler }>();
  private readonly busy = new Set<HostId>();

  constructor(private readonly deps: TrafficWatchDeps) {}

  /** Samples until `seconds` from now (a later renewal extends it, an earlier one never cuts it). */
  watch(seconds: number): { until: number } {
    this.until = Math.max(this.until, Date.now() + seconds * 1000);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.deps.intervalMs ?? SAMPLE_INTERVAL_MS);
      this.timer.unref?.();
      this.tick();
    }
    return { until: this.until };
  }

  /** The sampler of a host (the lab test and the bench read its cost). */
  samplerOf(hostId: HostId): HostSampler | undefined {
    return this.samplers.get(hostId)?.sampler;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.until = 0;
  }

  private tick() {
    if (Date.now() >= this.until) {
      this.close();
      this.samplers.clear();
      return;
    }
    for (const session of this.deps.sessions()) {
      if (this.busy.has(session.id)) continue;
      let entry = this.samplers.get(session.id);
      // A removed and re-added host is a new session: start its history afresh.
      if (!entry || entry.session !== session) {
        entry = { session, sampler: new HostSampler(session) };
        this.samplers.set(session.id, entry);
      }
      const { sampler } = entry;
      this.busy.add(session.id);
      sampler
        .sample()
        .then(
          (sample) => {
            if (sample && this.timer) this.deps.emit(sample);
          },
          () => {}, // the host dropped mid-sample: its state event says so
        )
        .finally(() => this.busy.delete(session.id));
    }
  }
}
