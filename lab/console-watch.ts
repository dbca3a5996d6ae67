// Follows the guests' consoles as they are written and stamps each probe round with the host's
// clock when it appears, for measuring how long a change takes to show in real traffic
// (guest clocks are not trusted: TCG guests run slow).
import { open } from 'node:fs/promises';
import type { LabState } from './lab';
import { type Protocol, parseRound, type Round } from './matrix';

export interface StampedRound {
  guest: string;
  round: Round;
  /** performance.now() when the host first read the line. */
  seenAt: number;
}

type Waiter = { test: (r: StampedRound) => boolean; resolve: (r: StampedRound) => void };

export class ConsoleWatch {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly state: Pick<LabState, 'guests'>,
    private readonly intervalMs = 20,
  ) {}

  async start(): Promise<void> {
    // Start from the current end of every console: only new rounds count.
    for (const g of this.state.guests) {
      const fh = await open(g.console, 'r');
      this.offsets.set(g.name, (await fh.stat()).size);
      await fh.close();
    }
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Resolves with the first round seen from now on that passes `test`. */
  next(test: (r: StampedRound) => boolean, timeoutMs: number): Promise<StampedRound> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        test,
        resolve: (r) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching probe round within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /**
   * The first of `consecutive` rounds in a row, seen from now on, in which `from -> to` over
   * `protocol` failed (one lost datagram is noise; a cut holds). icmp/tcp are read on the
   * sender's console, udp and spoof probes on the receiver's.
   */
  async nextDrop(
    from: number,
    to: number,
    protocol: Protocol,
    timeoutMs = 30_000,
    consecutive = 2,
  ) {
    const senderMeasured = protocol === 'icmp' || protocol === 'tcp';
    const observer = senderMeasured ? from : to;
    const peer = senderMeasured ? to : from;
    let first: StampedRound | null = null;
    let run = 0;
    await this.next((r) => {
      if (r.round.node !== observer) return false;
      if (r.round.masks[protocol][peer - 1] !== '0') {
        run = 0;
        first = null;
        return false;
      }
      if (run === 0) first = r;
      run++;
      return run >= consecutive;
    }, timeoutMs);
    return first as unknown as StampedRound;
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = performance.now();
      for (const g of this.state.guests) {
        const fh = await open(g.console, 'r').catch(() => null);
        if (!fh) continue;
        try {
          const size = (await fh.stat()).size;
          let from = this.offsets.get(g.name) ?? 0;
          if (size < from) from = 0; // the guest restarted and its console was truncated
          if (size === from) continue;
          const buf = Buffer.alloc(size - from);
          await fh.read(buf, 0, buf.length, from);
          this.offsets.set(g.name, size);
          const text = (this.partial.get(g.name) ?? '') + buf.toString('utf8');
          const lines = text.split('\n');
          this.partial.set(g.name, lines.pop() ?? '');
          for (const line of lines) {
            const round = parseRound(line);
            if (!round) continue;
            const stamped = { guest: g.name, round, seenAt: now };
            for (const w of [...this.waiters]) if (w.test(stamped)) w.resolve(stamped);
          }
        } finally {
          await fh.close();
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
