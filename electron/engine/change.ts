// One change to one host, the only way the engine writes: under the host's lock, from a fresh
// read, the intents edited first and the bindings planned from all the host's intents (so two
// writers never lose each other's cuts, and expired or interrupted ones are settled on the way);
// each planned write checked against what it replaces (a conflict re-reads and re-plans, a
// bounded number of times); on failure, this change's own writes undone where they still stand.
import type {
  ActivityKind,
  ActivityOperation,
  ApiError,
  ApplyId,
  ChaosEvent,
  Plan as ContractPlan,
  CutEnd,
  CutRequest,
  GuestEnd,
} from '../../shared/api';
import { cutKey, describeCut, type Endpoint, isNetTarget } from '../../shared/chaos/cut';
import {
  type Author,
  type CutIntent,
  isExpired,
  type StoredIntent,
  wantedCuts,
} from '../../shared/chaos/intent';
import { planCuts } from '../../shared/chaos/planner';
import { withRemoteEnds } from '../../shared/chaos/remote';
import { plannableIntents, strayPortFilters } from '../../shared/chaos/status';
import { interfaceIndex, type ParsedHost } from '../../shared/inventory/build';
import type { MacAddress } from '../../shared/libvirt/values';
import type { ActivityLog } from './activity';
import { snapshotOf } from './cuts';
import { EngineError, engineError, toApiError } from './errors';
import { HostLock } from './host-lock';
import type { HostSession } from './host-session';
import { intentNames, intentsOf, outsideEndOf, removeIntentOp, setIntentOp } from './intents';
import {
  ConflictError,
  checkPrecondition,
  inverseOperation,
  type Operation,
  runOperation,
  toPlanned,
} from './operations';
import { releasePortFilter, strayFilterOps } from './protection';

/** Re-reads and re-plans after a conflict at most this many times. */
const MAX_REPLANS = 4;

/**
 * Crash injection for the lab's crash suite: with KVM_CHAOS_CRASH_AFTER_WRITE=N the process kills
 * itself (SIGKILL, as kill -9 or a power cut would) right after the N-th write of a change. Off
 * unless set; it only ever ends this process.
 */
const CRASH_AFTER_WRITE = Number(process.env.KVM_CHAOS_CRASH_AFTER_WRITE ?? 0);

/**
 * Failure injection for the lab's rollback tests: with KVM_CHAOS_FAIL_AFTER_WRITE=N (read at each
 * write, so a test can set it in process) the N-th write of a change is followed by a failure, as
 * if libvirt had refused the next operation. Off unless set.
 */
function failureInjectedAfter(writes: number): void {
  const n = Number(process.env.KVM_CHAOS_FAIL_AFTER_WRITE ?? 0);
  if (n > 0 && writes === n)
    throw new Error(`injected failure after write ${n} (KVM_CHAOS_FAIL_AFTER_WRITE)`);
}

export interface ChangeContext {
  readonly parsed: ParsedHost;
  readonly intents: readonly StoredIntent[];
  readonly now: Date;
}

/** What a change does besides planning the bindings: protection's interface updates. */
export interface Preparation {
  readonly operations: readonly Operation[];
  /** Ports these operations leave without rules for a moment (libvirt replaces the binding). */
  readonly windows: readonly string[];
}

export interface ChangeRequest {
  readonly kind: ActivityKind;
  readonly applyId: ApplyId;
  readonly summary: string;
  readonly dryRun: boolean;
  readonly allowUnfilteredWindow: boolean;
  /** The intents to keep (new or replacing the same cut's) and the ones to remove. */
  edit(ctx: ChangeContext): { set: CutIntent[]; remove: StoredIntent[] };
  prepare?(ctx: ChangeContext): Promise<Preparation>;
}

export interface ChangeResult {
  readonly plan: ContractPlan;
  readonly set: readonly CutIntent[];
  readonly removed: readonly StoredIntent[];
  /** How many times a conflict made it re-read and re-plan. */
  readonly conflicts: number;
  /** Locks taken over from writers that had died. */
  readonly takenOver: number;
}

export interface ChangeDeps {
  readonly author: Author;
  readonly activity: ActivityLog;
  emit(e: ChaosEvent): void;
  plannerError(e: unknown): unknown;
  /** A guest interface of another host by MAC: the far end of a cut across hosts. */
  farEnd(mac: MacAddress): GuestEnd | undefined;
}

interface Planned {
  readonly ops: Operation[];
  readonly plannerOps: Set<Operation>;
  readonly windows: string[];
  readonly set: CutIntent[];
  readonly removed: StoredIntent[];
  /** Intent and protection operations come first; the bindings' are planned after them. */
  readonly prepEnd: number;
  readonly prepared: boolean;
  readonly summary: string[];
  readonly portsTouched: string[];
  readonly cuts: CutRequest[];
}

export class ChangeRunner {
  constructor(private readonly deps: ChangeDeps) {}

  run(s: HostSession, req: ChangeRequest): Promise<ChangeResult> {
    return s.exclusive(async () => {
      const lock = req.dryRun ? null : new HostLock(s.libvirt(), this.deps.author, s.profile.label);
      await lock?.acquire();
      try {
        return await this.attempt(s, req, lock);
      } finally {
        await lock?.release();
        await s.freshRead({ kind: 'operation' }).catch(() => {});
      }
    });
  }

  /** Plans from what the host holds now; intents first, then (after protection) the bindings. */
  private async plan(s: HostSession, req: ChangeRequest): Promise<Planned> {
    await s.freshRead({ kind: 'operation' });
    const parsed = s.parsed;
    if (!parsed) throw engineError('not-connected', `${s.profile.label} has not been read`);
    const now = new Date();
    const intents = intentsOf(parsed);
    const ctx: ChangeContext = { parsed, intents, now };
    const edit = req.edit(ctx);
    // A cut across hosts names its other end; the planner needs it before the intent is written.
    const snapshot = withRemoteEnds(snapshotOf(parsed), edit.set);
    // Every change settles what is due: expired intents and intents whose guests are gone go.
    const removeByUri = new Map<string, { intent: StoredIntent; why: string }>();
    for (const i of edit.remove) removeByUri.set(i.uri, { intent: i, why: 'healed' });
    for (const i of intents)
      if (isExpired(i, now) && !removeByUri.has(i.uri))
        removeByUri.set(i.uri, { intent: i, why: `expired at ${i.expiresAt}` });
    for (const i of plannableIntents(snapshot, intents).gone)
      if (!removeByUri.has(i.uri))
        removeByUri.set(i.uri, { intent: i, why: 'a guest of this cut is gone' });
    const setKeys = new Set(edit.set.map((i) => cutKey(i.cut)));
    const final = [
      ...intents.filter((i) => !removeByUri.has(i.uri) && !setKeys.has(cutKey(i.cut))),
      ...edit.set,
    ];
    const ops: Operation[] = [];
    for (const { intent, why } of removeByUri.values()) {
      if (setKeys.has(cutKey(intent.cut))) continue; // replaced below instead
      const op = removeIntentOp(parsed, intent, why);
      if (op) ops.push(op);
    }
    for (const i of edit.set) {
      const previous = intents.find((x) => cutKey(x.cut) === cutKey(i.cut)) ?? null;
      const op = setIntentOp(parsed, i, previous);
      if (!op) throw engineError('not-found', `no guest on ${s.profile.label} has ${i.cut.from}`);
      ops.push(op);
    }
    const prep = req.prepare ? await req.prepare(ctx) : { operations: [], windows: [] };
    ops.push(...prep.operations);
    const prepEnd = ops.length;
    let plan: ReturnType<typeof planCuts>;
    try {
      plan = planCuts(snapshot, wantedCuts(final, now));
    } catch (e) {
      throw this.deps.plannerError(e);
    }
    const index = interfaceIndex(s.id, parsed);
    const plannerOps = new Set<Operation>(plan.operations);
    // With protection operations the bindings are planned again after them (see attempt).
    ops.push(...plan.operations);
    for (const port of plan.releasable) ops.push(...(await releasePortFilter(s, parsed, port)));
    ops.push(...(await strayFilterOps(s, parsed, strayPortFilters(snapshot))));
    const summary = [
      ...edit.set.map((i) => `want ${describeCut(i.cut, intentNames(i))}`),
      ...[...removeByUri.values()].map(
        ({ intent, why }) => `forget ${describeCut(intent.cut, intentNames(intent))}: ${why}`,
      ),
      ...plan.summary,
    ];
    return {
      ops,
      plannerOps,
      windows: [...new Set([...prep.windows, ...plan.unfilteredWindows])],
      set: edit.set,
      removed: [...removeByUri.values()].map((r) => r.intent),
      prepEnd,
      prepared: prep.operations.length > 0,
      summary,
      portsTouched: [...plan.portsTouched],
      cuts: plan.cuts.flatMap((c) => {
        // This host's guests first, then the other hosts' (a cut across hosts); an outside
        // address with the name its intent was asked by.
        const endOf = (e: Endpoint): CutEnd | undefined => {
          if (isNetTarget(e)) return outsideEndOf(final, e);
          const here = index.get(e);
          return here ? { guestId: here.guestId, mac: e } : this.deps.farEnd(e);
        };
        const [from, to] = [endOf(c.from), endOf(c.to)];
        return from && to ? [{ from, to, direction: c.direction, scope: c.scope }] : [];
      }),
    };
  }

  private contractPlan(s: HostSession, p: Planned): ContractPlan {
    return {
      operations: p.ops.map((op) => toPlanned(s.id, op)),
      cuts: p.cuts,
      portsTouched: p.portsTouched,
      unfilteredWindows: p.windows,
    };
  }

  private async attempt(
    s: HostSession,
    req: ChangeRequest,
    lock: HostLock | null,
  ): Promise<ChangeResult> {
    let conflicts = 0;
    for (;;) {
      const planned = await this.plan(s, req);
      if (planned.windows.length > 0 && !req.allowUnfilteredWindow)
        throw new EngineError({
          code: 'unfiltered-window',
          message: `this change leaves ${planned.windows.join(', ')} without any rule for about a second: libvirt allows one binding per port, so someone else's binding there must be replaced`,
          hint: 'confirm to go ahead (--allow-unfiltered-window in scripts), or cut from the other end, or protect that guest with kvm-chaos first (its port then changes in place)',
        });
      const result = {
        plan: this.contractPlan(s, planned),
        set: planned.set,
        removed: planned.removed,
        conflicts,
        takenOver: lock?.takenOver.length ?? 0,
      };
      if (req.dryRun || planned.ops.length === 0) return result;
      if (lock && !(await lock.stillHeld()))
        throw engineError('busy', `the lock on ${s.profile.label} was taken over while planning`);
      try {
        await this.execute(s, req, planned, conflicts < MAX_REPLANS);
        return result;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        conflicts++;
        // Someone else (a hand-made virsh, an older kvm-chaos) changed what we were replacing.
      }
    }
  }

  private async execute(
    s: HostSession,
    req: ChangeRequest,
    planned: Planned,
    replansLeft: boolean,
  ): Promise<void> {
    const lv = s.libvirt();
    const records: ActivityOperation[] = [];
    const done: Operation[] = [];
    let ops = planned.ops;
    const total = () => ops.length;
    for (let index = 0; index < ops.length; index++) {
      const op = ops[index] as Operation;
      const planned1 = toPlanned(s.id, op);
      const progress = (status: 'running' | 'done' | 'failed', error?: ApiError) =>
        this.deps.emit({
          type: 'apply.progress',
          applyId: req.applyId,
          hostId: s.id,
          index,
          total: total(),
          kind: op.kind,
          description: op.description,
          xml: planned1.xml,
          status,
          ...(error ? { error } : {}),
        });
      progress('running');
      const t0 = performance.now();
      try {
        if (planned.plannerOps.has(op)) await checkPrecondition(lv, op);
        await runOperation(lv, op);
        done.push(op);
        if (CRASH_AFTER_WRITE > 0 && done.length === CRASH_AFTER_WRITE)
          process.kill(process.pid, 'SIGKILL');
        failureInjectedAfter(done.length);
        progress('done');
        records.push({ ...planned1, status: 'done', durationMs: performance.now() - t0 });
      } catch (e) {
        if (e instanceof ConflictError && replansLeft) {
          // Plans are declarative: what this change wrote so far stands, and a plan from a fresh
          // read goes on from there around what the other writer did.
          progress('failed', toApiError(e));
          throw e;
        }
        const error = toApiError(e);
        progress('failed', error);
        records.push({ ...planned1, status: 'failed', durationMs: performance.now() - t0, error });
        await this.rollBack(s, req, done, records, op, error);
        return;
      }
      // After protection's interface updates, the bindings are planned from the host as it now is.
      if (planned.prepared && index === planned.prepEnd - 1) {
        await s.freshRead({ kind: 'operation' });
        const parsed = s.parsed as ParsedHost;
        const again = planCuts(snapshotOf(parsed), wantedCuts(intentsOf(parsed), new Date()));
        ops = [...ops.slice(0, index + 1), ...again.operations];
        for (const o of again.operations) planned.plannerOps.add(o);
      }
    }
    this.deps.activity.append({
      hostId: s.id,
      applyId: req.applyId,
      kind: req.kind,
      summary: req.summary,
      outcome: 'ok',
      operations: records,
    });
  }

  /** Undoes this change's own writes, newest first, then plans the bindings back from the intents. */
  private async rollBack(
    s: HostSession,
    req: ChangeRequest,
    done: Operation[],
    records: ActivityOperation[],
    failed: Operation,
    failure: ApiError,
  ): Promise<never> {
    const lv = s.libvirt();
    let rollbackError: ApiError | null = null;
    try {
      // Intent and interface writes are undone one by one; binding writes by planning again from
      // the restored intents, which touches only what still differs (another writer's cut stays).
      const undo = async (op: Operation) => {
        const t0 = performance.now();
        await runOperation(lv, op);
        records.push({
          ...toPlanned(s.id, op),
          description: `rollback: ${op.description}`,
          status: 'done',
          durationMs: performance.now() - t0,
        });
      };
      for (const op of [...done].reverse())
        if (op.kind === 'set-intent' || op.kind === 'remove-intent' || op.kind === 'update-device')
          await undo(inverseOperation(op));
      await s.freshRead({ kind: 'operation' });
      const parsed = s.parsed as ParsedHost;
      const back = planCuts(snapshotOf(parsed), wantedCuts(intentsOf(parsed), new Date()));
      for (const op of back.operations) await undo(op);
      for (const r of records)
        if (r.status === 'done' && !r.description.startsWith('rollback:')) r.status = 'rolled-back';
    } catch (e) {
      rollbackError = toApiError(e);
    }
    const what = `${failed.kind} ${failed.target} failed: ${failure.message}`;
    const error: ApiError = rollbackError
      ? {
          code: 'rollback-failed',
          message: `${what}; rolling back failed too: ${rollbackError.message}`,
          hint: "the host may be part-way: run 'kvm-chaos repair' (it works from the host's state alone)",
          ...(failure.libvirt ? { libvirt: failure.libvirt } : {}),
        }
      : {
          code: 'apply-failed',
          message: `${what}; what this change did was rolled back`,
          ...(failure.hint ? { hint: failure.hint } : {}),
          ...(failure.libvirt ? { libvirt: failure.libvirt } : {}),
        };
    this.deps.activity.append({
      hostId: s.id,
      applyId: req.applyId,
      kind: req.kind,
      summary: req.summary,
      outcome: rollbackError ? 'failed' : 'rolled-back',
      operations: records,
      error,
    });
    throw new EngineError(error);
  }
}
