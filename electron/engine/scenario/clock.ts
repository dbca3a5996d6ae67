// The run's clock: ms of the plan that have passed. It stands still while the run is paused, so
// every later step shifts by the pause; steps are due at their planned time on this clock however
// long earlier calls took, so a slow call never makes the rest of the run drift.

export class RunClock {
  private passed = 0;
  /** When it last started running (on `now`'s scale), or null while it stands still. */
  private since: number | null = null;

  constructor(private readonly now: () => number = () => performance.now()) {}

  get ms(): number {
    return Math.floor(this.passed + (this.since === null ? 0 : this.now() - this.since));
  }

  get running(): boolean {
    return this.since !== null;
  }

  start(): void {
    if (this.since === null) this.since = this.now();
  }

  stop(): void {
    if (this.since === null) return;
    this.passed += this.now() - this.since;
    this.since = null;
  }

  /** Jumps ahead to `ms` (a step taken while paused); never back. */
  advanceTo(ms: number): void {
    const now = this.ms;
    if (ms > now) this.passed += ms - now;
  }
}
