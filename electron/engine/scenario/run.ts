// One run of a scenario plan: its timeline on the run's clock, driven through the engine's public
// calls only. Every change it makes is remembered as a holding (the cuts of one apply, or the
// protection one step changed, with what was there before), and undone when the step's duration
// runs out, by a heal step, or at the end; on any ending (the plan ran out, stop, a failed step,
// its cuts healed from elsewhere) everything still held is undone newest first, so the host is
// left with the cuts it had before the run. Calls never overlap: a stop waits for the call in
// flight (which completes or rolls itself back) and then undoes. A plan over several hosts is
// the same run: chaos.apply places each step's cuts on whichever hosts hold them (and undoes
// them on all if one fails), and the run reads and watches every host of the plan.
import type {
  ActiveCut,
  ApiError,
  ApplyResult,
  ChaosApi,
  ChaosEvent,
  CutAuthor,
  CutId,
  Guest,
  GuestId,
  HostId,
  HostInventory,
  InterfaceProtection,
  PlannedEffect,
  Result,
  RunId,
  RunState,
  RunStatus,
  ScenarioPlan,
  StepStatus,
} from '../../../shared/api';
import { guestEndsOf } from '../../../shared/api';
import { timelineOf } from '../../../shared/scenario';
import type { ReportOperation, ReportRecord } from '../../../shared/scenario/report';
import { RunClock } from './clock';

/** The engine's calls a run uses, as any client sees them. */
export type RunnerApi = Pick<
  ChaosApi,
  | 'subscribe'
  | 'inventory.get'
  | 'chaos.apply'
  | 'chaos.heal'
  | 'protection.set'
  | 'protection.clear'
>;

/** Seconds a run's cuts outlive their planned undo on the host, so only a dead run relies on it. */
export const EXPIRY_GRACE_SECONDS = 30;

/**
 * A pause moves every planned undo later, but not the expiries already on the host: while
 * paused, cuts whose expiry comes within this long are applied again with a later one, each
 * time for this long more, so no instance keeping promises heals them under a paused run.
 */
const RENEW_WITHIN_MS = 15_000;
const RENEW_FOR_SECONDS = 120;

/** How a run came to its end, for callers that act on it (the CLI's exit code). */
export type RunEnding =
  | 'plan'
  | 'max-duration'
  | 'stopped'
  | 'healed-elsewhere'
  | 'step-failed'
  | 'undo-failed';

export interface RunDeps {
  api: RunnerApi;
  /** Every change of the run's status. */
  emit(status: RunStatus): void;
  /** Every line of the report, as it happens. */
  record(r: ReportRecord): void;
  author: CutAuthor | null;
  /** Monotonic ms for the clock (tests of the clock alone pass their own). */
  now?: () => number;
}

export interface RunOptions {
  runId: RunId;
  plan: ScenarioPlan;
  maxDurationSeconds?: number | undefined;
  allowUnfilteredWindow?: boolean | undefined;
  paused?: boolean | undefined;
}

type ProtectionTarget = { guestId: GuestId; mac: string };

/** The plan's hosts read together: what a step looks up (cuts by id, guests' interfaces). */
interface HostsNow {
  cuts: ActiveCut[];
  guests: Guest[];
  inventories: HostInventory[];
}

/** What one step changed and still holds. */
type Holding =
  | {
      kind: 'cuts';
      index: number;
      cutIds: Set<CutId>;
      /** Guests at either end of its cuts: another step touching none of them shares no cut. */
      guests: Set<string>;
      /** The planned undo on the run's clock; null: at a heal step or the end. */
      undoAtMs: number | null;
      /** When the host heals them by itself (performance.now() scale). */
      expiresAt: number;
    }
  | {
      kind: 'protection';
      index: number;
      /** Each target's protection before the step, in the order the step changed them. */
      before: { target: ProtectionTarget; protection: InterfaceProtection }[];
    };

type UndoWhy = 'planned' | 'heal' | 'end';

/** A step's call failed: the run stops, undoing what it holds. */
class StepFailure extends Error {
  constructor(
    readonly index: number,
    readonly phase: 'do' | 'undo',
    readonly error: ApiError,
    readonly ms: number,
  ) {
    super(error.message);
  }
}

function operationsOf(r: ApplyResult): ReportOperation[] {
  return r.plan.operations.map((o) => ({ kind: o.kind, description: o.description }));
}

function guestsOf(effect: PlannedEffect & { kind: 'apply' }): GuestId[] {
  const r = effect.request;
  if ('cuts' in r) return r.cuts.flatMap((c) => guestEndsOf(c).map((e) => e.guestId));
  return r.partition.topology === 'groups' ? r.partition.groups.flat() : r.partition.guestIds;
}

function sameProtection(a: InterfaceProtection, b: InterfaceProtection): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class ScenarioRun {
  readonly runId: RunId;
  readonly plan: ScenarioPlan;
  readonly startedAt = new Date().toISOString();
  private readonly clock: RunClock;
  private readonly timeline: ReturnType<typeof timelineOf>;
  private cursor = 0;
  private state: RunState;
  private readonly stepStatus: StepStatus[];
  private reason: string | undefined;
  private error: ApiError | undefined;
  private ending: RunEnding | null = null;
  /** Newest last. */
  private readonly holdings: Holding[] = [];
  /**
   * Cuts of the run seen on a host, and which host listed them: one of them vanishing from that
   * host's list means someone else healed it.
   */
  private readonly seen = new Map<CutId, HostId>();
  private readonly healed: CutId[] = [];
  /**
   * Cuts the host held before the run. A step may cover one of them (its intent then carries
   * the run's id and expiry); the run leaves it in place rather than heal what it did not make.
   */
  private readonly before = new Set<CutId>();
  /** The hosts of the plan: the one it was planned on, or each of its hostIds. */
  private readonly hostIds: readonly HostId[];
  /** The newest inventory revision look() has seen, per host. */
  private readonly lookedAt = new Map<HostId, number>();
  private stopWanted: { reason: string; ending: RunEnding } | null = null;
  private stepWanted = false;
  private wake: () => void = () => {};
  private readonly unsubscribe: () => void;
  private maxTimer: NodeJS.Timeout | undefined;
  /** Settles when the run has ended and undone what it held. */
  readonly finished: Promise<RunStatus>;

  constructor(
    private readonly deps: RunDeps,
    private readonly options: RunOptions,
  ) {
    this.runId = options.runId;
    this.plan = options.plan;
    this.clock = new RunClock(deps.now);
    this.timeline = timelineOf(options.plan);
    this.stepStatus = options.plan.steps.map(() => 'waiting');
    this.state = options.paused ? 'paused' : 'running';
    this.hostIds = options.plan.hostIds ?? [options.plan.hostId];
    this.unsubscribe = deps.api.subscribe((e: ChaosEvent) => {
      if (e.type !== 'inventory.changed' || !this.hostIds.includes(e.hostId)) return;
      // A patch says what changed; the engine holds the inventory it leads to.
      if (e.change.kind === 'full') this.look(e.change.inventory);
      else
        void this.deps.api['inventory.get']({ hostId: e.hostId }).then(
          (r) => r.ok && this.look(r.value),
        );
    });
    this.record({
      type: 'run.start',
      runId: this.runId,
      plan: this.plan,
      seed: this.plan.seed,
      author: deps.author,
      maxDurationSeconds: options.maxDurationSeconds ?? null,
    });
    if (options.maxDurationSeconds !== undefined) {
      const s = options.maxDurationSeconds;
      this.maxTimer = setTimeout(
        () => this.requestStop(`its maximum duration (${s} s) was reached`, 'max-duration'),
        s * 1000,
      );
    }
    if (!options.paused) this.clock.start();
    this.finished = this.drive();
  }

  /** How it ended; null while it runs. */
  get endedBy(): RunEnding | null {
    return this.ending;
  }

  /** The cuts this run healed so far. */
  get healedCuts(): readonly CutId[] {
    return this.healed;
  }

  status(): RunStatus {
    return {
      runId: this.runId,
      plan: this.plan,
      state: this.state,
      startedAt: this.startedAt,
      clockMs: this.clock.ms,
      stepStatus: [...this.stepStatus],
      nextAtMs: this.timeline[this.cursor]?.atMs ?? null,
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }

  get ended(): boolean {
    return this.state === 'done' || this.state === 'stopped' || this.state === 'failed';
  }

  // ---- control ----------------------------------------------------------------------------------

  pause(): void {
    if (this.state !== 'running') return;
    this.clock.stop();
    this.state = 'paused';
    this.record({ type: 'run.paused' });
    this.changed();
    this.wake();
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.clock.start();
    this.state = 'running';
    this.record({ type: 'run.resumed' });
    this.changed();
    this.wake();
  }

  /** Runs the next thing on the timeline now, with the clock moved to it, and stays paused. */
  step(): void {
    if (this.state === 'running') this.pause();
    if (this.state !== 'paused') return;
    this.stepWanted = true;
    this.wake();
  }

  stop(reason = 'stopped'): void {
    this.requestStop(reason, 'stopped');
  }

  private requestStop(reason: string, ending: RunEnding): void {
    if (this.ended || this.stopWanted) return;
    this.stopWanted = { reason, ending };
    this.clock.stop();
    this.state = 'stopping';
    this.changed();
    this.wake();
  }

  // ---- the loop ---------------------------------------------------------------------------------

  private async drive(): Promise<RunStatus> {
    this.changed();
    try {
      const inv = await this.inventory();
      for (const c of inv?.cuts ?? []) this.before.add(c.id);
      for (;;) {
        this.settleWaits();
        if (this.stopWanted) break;
        const event = this.timeline[this.cursor];
        const due = event?.atMs ?? this.plan.totalMs;
        if (this.state === 'paused' && !this.stepWanted) {
          await this.sleep(this.msUntilRenewal());
          if (this.state === 'paused' && !this.stopWanted) await this.renewExpiries();
          continue;
        }
        if (this.stepWanted) {
          this.stepWanted = false;
          this.clock.advanceTo(due);
          this.settleWaits();
        } else if (due > this.clock.ms) {
          await this.sleep(due - this.clock.ms);
          continue;
        }
        if (!event) break;
        this.cursor++;
        if (event.phase === 'do') await this.perform(event.stepIndex);
        else await this.undoStep(event.stepIndex);
        this.changed();
      }
    } catch (e) {
      const f =
        e instanceof StepFailure
          ? e
          : new StepFailure(-1, 'do', { code: 'internal', message: String(e) }, 0);
      if (f.index >= 0) {
        this.stepStatus[f.index] = 'failed';
        const stepId = this.plan.steps[f.index]?.id ?? '';
        this.record({
          type: 'step.failed',
          index: f.index,
          stepId,
          phase: f.phase,
          error: f.error,
          ms: f.ms,
        });
        this.stopWanted = {
          reason: `step ${stepId} failed: ${f.error.message}`,
          ending: 'step-failed',
        };
      } else this.stopWanted = { reason: f.error.message, ending: 'step-failed' };
      this.error = f.error;
      this.clock.stop();
      this.state = 'stopping';
      this.changed();
    }
    return this.unwind();
  }

  /** Waits `ms` (null: until woken) or until a control call or a stop wakes the loop. */
  private async sleep(ms: number | null): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      if (ms !== null) timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.wake = () => {};
  }

  private msUntilRenewal(): number | null {
    const at = this.holdings.flatMap((h) => (h.kind === 'cuts' ? [h.expiresAt] : []));
    if (at.length === 0) return null;
    return Math.max(0, Math.min(...at) - RENEW_WITHIN_MS - performance.now());
  }

  /** Applies again, with a later expiry, the cuts of holdings that would expire soon. */
  private async renewExpiries(): Promise<void> {
    const now = performance.now();
    const due = this.holdings.filter(
      (h): h is Holding & { kind: 'cuts' } =>
        h.kind === 'cuts' && h.expiresAt - now < RENEW_WITHIN_MS,
    );
    if (due.length === 0) return;
    const inv = await this.inventory();
    for (const h of due) {
      const cuts = (inv?.cuts ?? [])
        .filter((c) => h.cutIds.has(c.id))
        .map((c) => ({ from: c.from, to: c.to, direction: c.direction, scope: c.scope }));
      const durationSeconds = this.expirySeconds(h.undoAtMs, [...h.guests]) + RENEW_FOR_SECONDS;
      const t0 = performance.now();
      if (cuts.length > 0) {
        const r = await this.deps.api['chaos.apply']({
          cuts,
          runId: this.runId,
          durationSeconds,
          ...this.windowFlag(),
        });
        if (!r.ok) throw new StepFailure(h.index, 'do', r.error, performance.now() - t0);
      }
      h.expiresAt = t0 + durationSeconds * 1000;
    }
  }

  /** Wait steps are done once their time has passed. */
  private settleWaits(): void {
    const now = this.clock.ms;
    let any = false;
    for (const [i, s] of this.plan.steps.entries())
      if (s.kind === 'wait' && this.stepStatus[i] === 'active' && now >= s.atMs + (s.holdMs ?? 0)) {
        this.stepStatus[i] = 'done';
        any = true;
      }
    if (any) this.changed();
  }

  // ---- doing ------------------------------------------------------------------------------------

  private async perform(index: number): Promise<void> {
    const step = this.plan.steps[index];
    if (!step) return;
    this.stepStatus[index] = 'active';
    this.record({ type: 'step.start', index, stepId: step.id, description: step.description });
    this.changed();
    const effect = step.effect;
    const t0 = performance.now();
    const call = async <T>(r: Promise<Result<T>>, phase: 'do' | 'undo' = 'do'): Promise<T> => {
      const res = await r;
      if (!res.ok) throw new StepFailure(index, phase, res.error, performance.now() - t0);
      return res.value;
    };
    switch (effect.kind) {
      case 'wait':
        return;
      case 'apply': {
        const undoAtMs = step.holdMs === null ? null : step.atMs + step.holdMs;
        const durationSeconds = this.expirySeconds(undoAtMs, guestsOf(effect));
        const r = await call(
          this.deps.api['chaos.apply']({
            ...effect.request,
            runId: this.runId,
            durationSeconds,
            ...(this.options.allowUnfilteredWindow ? { allowUnfilteredWindow: true } : {}),
          }),
        );
        const inv = await this.inventory();
        const cutIds = new Set(r.cutIds);
        const guests = new Set<string>(guestsOf(effect));
        for (const c of inv?.cuts ?? [])
          if (cutIds.has(c.id)) {
            for (const e of guestEndsOf(c)) guests.add(e.guestId);
          }
        const expiresAt = t0 + durationSeconds * 1000;
        this.holdings.push({ kind: 'cuts', index, cutIds, guests, undoAtMs, expiresAt });
        for (const one of inv?.inventories ?? []) this.look(one);
        this.applied(index, r, performance.now() - t0, durationSeconds);
        return;
      }
      case 'heal': {
        const inv = await call(this.read());
        const touching = effect.guestIds && new Set<string>(effect.guestIds);
        const ids = inv.cuts
          .filter((c) => this.holds(c.id) && !this.before.has(c.id))
          .filter((c) => !touching || guestEndsOf(c).some((e) => touching.has(e.guestId)))
          .map((c) => c.id);
        if (ids.length === 0) {
          this.stepStatus[index] = 'done';
          this.record({
            type: 'step.applied',
            index,
            stepId: step.id,
            applyId: null,
            cutIds: [],
            operations: [],
            replans: 0,
            ms: performance.now() - t0,
            durationSeconds: null,
          });
          return;
        }
        const emptied = this.release(new Set(ids));
        const r = await call(this.deps.api['chaos.heal']({ cutIds: ids }));
        this.healed.push(...r.cutIds);
        this.applied(index, r, performance.now() - t0, null);
        this.stepStatus[index] = 'done';
        for (const h of emptied) this.undone(h.index, 'heal', r, 0);
        return;
      }
      case 'protect':
      case 'unprotect': {
        const inv = await call(this.read());
        const holding: Holding & { kind: 'protection' } = { kind: 'protection', index, before: [] };
        this.holdings.push(holding);
        const results: ApplyResult[] = [];
        for (const target of effect.targets) {
          const nic = inv.guests
            .find((g) => g.id === target.guestId)
            ?.interfaces.find((i) => i.mac === target.mac);
          if (!nic)
            throw new StepFailure(
              index,
              'do',
              { code: 'not-found', message: `no interface ${target.mac} on ${target.guestId}` },
              performance.now() - t0,
            );
          if (nic.protection.kind === 'custom')
            throw new StepFailure(
              index,
              'do',
              {
                code: 'invalid-request',
                message: `${target.mac} is protected by a custom filter (${nic.protection.filter}) that a run could not put back`,
                hint: 'set a preset on it first, or leave it out of the scenario',
              },
              performance.now() - t0,
            );
          const r = await call(
            effect.kind === 'protect'
              ? this.deps.api['protection.set']({
                  ...target,
                  presetId: effect.presetId,
                  parameters: effect.parameters,
                  ...this.windowFlag(),
                })
              : this.deps.api['protection.clear']({ ...target, ...this.windowFlag() }),
          );
          holding.before.push({ target, protection: nic.protection });
          results.push(r);
        }
        this.applied(index, mergedAnswer(results), performance.now() - t0, null);
        return;
      }
    }
  }

  private windowFlag() {
    return this.options.allowUnfilteredWindow ? { allowUnfilteredWindow: true } : {};
  }

  /**
   * Whole seconds from now until the step's planned undo (or the plan's end for a held cut),
   * plus grace. A step sharing guests with a holding that lasts longer may re-apply that
   * holding's cut, and its intent's expiry is rewritten: the longer one is kept.
   */
  private expirySeconds(undoAtMs: number | null, guests: readonly string[]): number {
    const endOf = (at: number | null) => at ?? this.plan.totalMs;
    let end = endOf(undoAtMs);
    for (const h of this.holdings)
      if (h.kind === 'cuts' && guests.some((g) => h.guests.has(g)))
        end = Math.max(end, endOf(h.undoAtMs));
    return Math.ceil(Math.max(0, end - this.clock.ms) / 1000) + EXPIRY_GRACE_SECONDS;
  }

  private applied(index: number, r: ApplyResult, ms: number, durationSeconds: number | null) {
    this.record({
      type: 'step.applied',
      index,
      stepId: this.plan.steps[index]?.id ?? '',
      applyId: r.applyId,
      cutIds: r.cutIds,
      operations: operationsOf(r),
      replans: r.replans ?? 0,
      ms,
      durationSeconds,
    });
  }

  private undone(index: number, why: UndoWhy, r: ApplyResult | null, ms: number) {
    this.stepStatus[index] = 'done';
    this.record({
      type: 'step.undone',
      index,
      stepId: this.plan.steps[index]?.id ?? '',
      applyId: r?.applyId ?? null,
      cutIds: r?.cutIds ?? [],
      operations: r ? operationsOf(r) : [],
      replans: r?.replans ?? 0,
      ms,
      why,
    });
  }

  // ---- undoing ----------------------------------------------------------------------------------

  private holds(id: CutId): boolean {
    return this.holdings.some((h) => h.kind === 'cuts' && h.cutIds.has(id));
  }

  /** Takes these cuts out of every holding; returns the holdings left with none. */
  private release(ids: ReadonlySet<CutId>): Holding[] {
    const emptied: Holding[] = [];
    for (const h of [...this.holdings]) {
      if (h.kind !== 'cuts') continue;
      for (const id of ids) h.cutIds.delete(id);
      if (h.cutIds.size === 0) {
        emptied.push(h);
        this.holdings.splice(this.holdings.indexOf(h), 1);
      }
    }
    return emptied;
  }

  /** The planned undo of a step (its duration ran out). */
  private async undoStep(index: number): Promise<void> {
    const h = this.holdings.find((x) => x.index === index);
    if (h) await this.undo(h, 'planned');
    else if (this.stepStatus[index] === 'active') this.stepStatus[index] = 'done';
  }

  private async undo(h: Holding, why: UndoWhy): Promise<void> {
    this.holdings.splice(this.holdings.indexOf(h), 1);
    const t0 = performance.now();
    if (h.kind === 'cuts') {
      // A cut another holding of the run still wants stays; one already gone needs no heal.
      const inv = await this.inventory();
      const present = new Set(inv?.cuts.map((c) => c.id) ?? h.cutIds);
      const ids = [...h.cutIds].filter(
        (id) => !this.holds(id) && present.has(id) && !this.before.has(id),
      );
      let r: ApplyResult | null = null;
      if (ids.length > 0) {
        const res = await this.deps.api['chaos.heal']({ cutIds: ids });
        if (!res.ok) throw new StepFailure(h.index, 'undo', res.error, performance.now() - t0);
        r = res.value;
        this.healed.push(...r.cutIds);
      }
      this.undone(h.index, why, r, performance.now() - t0);
      return;
    }
    // Protection goes back target by target, newest first, to exactly what it was.
    const inv = await this.inventory();
    const results: ApplyResult[] = [];
    for (const { target, protection } of [...h.before].reverse()) {
      const now = inv?.guests
        .find((g) => g.id === target.guestId)
        ?.interfaces.find((i) => i.mac === target.mac)?.protection;
      if (now && sameProtection(now, protection)) continue;
      const res =
        protection.kind === 'preset'
          ? await this.deps.api['protection.set']({
              ...target,
              presetId: protection.presetId,
              parameters: protection.parameters,
              ...this.windowFlag(),
            })
          : await this.deps.api['protection.clear']({ ...target, ...this.windowFlag() });
      if (!res.ok) throw new StepFailure(h.index, 'undo', res.error, performance.now() - t0);
      results.push(res.value);
    }
    this.undone(
      h.index,
      why,
      results.length ? mergedAnswer(results) : null,
      performance.now() - t0,
    );
  }

  /** Undoes everything still held, newest first, then ends the run. */
  private async unwind(): Promise<RunStatus> {
    clearTimeout(this.maxTimer);
    const wanted = this.stopWanted;
    if (this.holdings.length > 0 && this.state !== 'stopping') {
      this.clock.stop();
      this.state = 'stopping';
      this.changed();
    }
    while (this.holdings.length > 0) {
      const h = this.holdings.at(-1) as Holding;
      try {
        await this.undo(h, 'end');
      } catch (e) {
        // Keep undoing the rest; the first error is the run's.
        if (this.holdings.includes(h)) this.holdings.splice(this.holdings.indexOf(h), 1);
        const error =
          e instanceof StepFailure ? e.error : ({ code: 'internal', message: String(e) } as const);
        if (e instanceof StepFailure) this.stepStatus[e.index] = 'failed';
        this.record({
          type: 'step.failed',
          index: h.index,
          stepId: this.plan.steps[h.index]?.id ?? '',
          phase: 'undo',
          error,
          ms: e instanceof StepFailure ? e.ms : 0,
        });
        this.error ??= error;
        if (this.stopWanted?.ending !== 'step-failed')
          this.stopWanted = {
            reason: `undoing step ${this.plan.steps[h.index]?.id} failed: ${error.message}`,
            ending: 'undo-failed',
          };
      }
    }
    this.unsubscribe();
    for (const [i, s] of this.stepStatus.entries()) {
      if (s === 'waiting') this.stepStatus[i] = 'skipped';
      if (s === 'active') this.stepStatus[i] = 'done';
    }
    const inv = await this.inventory();
    const left =
      inv?.cuts.filter((c) => c.runId === this.runId && !this.before.has(c.id)).map((c) => c.id) ??
      [];
    const end = this.stopWanted ?? wanted;
    this.ending = end?.ending ?? 'plan';
    this.state =
      this.ending === 'plan'
        ? 'done'
        : this.ending === 'step-failed' || this.ending === 'undo-failed'
          ? 'failed'
          : 'stopped';
    this.reason = end?.reason ?? (this.state === 'done' ? 'the plan ran to its end' : undefined);
    if (left.length > 0)
      this.reason = `${this.reason}; ${left.length} cut${left.length === 1 ? '' : 's'} of the run left on the host: kvm-chaos heal --run ${this.runId}`;
    this.record({
      type: 'run.end',
      state: this.state,
      reason: this.reason ?? null,
      healed: [...this.healed],
      left,
      error: this.error ?? null,
    });
    this.changed();
    return this.status();
  }

  // ---- watching the host ------------------------------------------------------------------------

  /**
   * Every host of the plan as it is now, their cuts and guests together; the first host that
   * cannot be read is the answer.
   */
  private async read(): Promise<Result<HostsNow>> {
    const all = await Promise.all(
      this.hostIds.map((hostId) => this.deps.api['inventory.get']({ hostId })),
    );
    const inventories: HostInventory[] = [];
    for (const r of all) {
      if (!r.ok) return r;
      inventories.push(r.value);
    }
    // A cut is listed by the host that holds it; by id once, whichever lists it.
    const cuts = new Map<CutId, ActiveCut>(
      inventories.flatMap((i) => i.cuts.map((c) => [c.id, c])),
    );
    const guests = inventories.flatMap((i) => i.guests);
    return { ok: true, value: { cuts: [...cuts.values()], guests, inventories } };
  }

  /** As read(), or null when a host cannot be read (callers then assume the least). */
  private async inventory(): Promise<HostsNow | null> {
    const r = await this.read();
    return r.ok ? r.value : null;
  }

  /**
   * Cuts the run holds and has seen on the host that are gone, without the run healing them:
   * another instance stopped the run (`heal --run ID`, the UI). It stops too.
   */
  private look(inv: HostInventory): void {
    // Inventories fetched after a patch may settle after a newer one was looked at.
    if (inv.revision < (this.lookedAt.get(inv.hostId) ?? 0)) return;
    this.lookedAt.set(inv.hostId, inv.revision);
    const present = new Set(inv.cuts.map((c) => c.id));
    let vanished = false;
    for (const h of this.holdings)
      if (h.kind === 'cuts')
        for (const id of h.cutIds) {
          if (present.has(id)) this.seen.set(id, inv.hostId);
          else if (this.seen.get(id) === inv.hostId) vanished = true;
        }
    if (vanished && !this.ended)
      this.requestStop('stopped from elsewhere: its cuts were healed', 'healed-elsewhere');
  }

  private record(r: DistributiveOmit<ReportRecord, 'at' | 'clockMs'>): void {
    this.deps.record({
      at: new Date().toISOString(),
      clockMs: this.clock.ms,
      ...r,
    } as ReportRecord);
  }

  private changed(): void {
    this.deps.emit(this.status());
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Several protection changes of one step, reported as one answer. */
function mergedAnswer(results: readonly ApplyResult[]): ApplyResult {
  const first = results[0] as ApplyResult;
  return {
    ...first,
    plan: { ...first.plan, operations: results.flatMap((r) => r.plan.operations) },
    cutIds: results.flatMap((r) => r.cutIds),
    replans: results.reduce((n, r) => n + (r.replans ?? 0), 0),
  };
}
