// The chaos engine: implements shared/api's ChaosApi over live libvirt connections. One
// HostSession per host; every change to a host is planned by shared/chaos's planner from the
// host's own state, run one operation at a time with progress events, and rolled back (by
// planning back to what the host held before) when an operation fails.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  type ActivityOperation,
  type ApiError,
  type ApplyId,
  type ApplyRequest,
  type ApplyResult,
  type ChaosEvent,
  type ChaosEventListener,
  type Plan as ContractPlan,
  type CutId,
  type FilterParameter,
  type GuestId,
  type HealRequest,
  type HostAuth,
  type HostId,
  HostId as HostIdSchema,
  type HostInventory,
  type HostSummary,
  hostAddressProblem,
  type PartitionRequest,
  parseGuestId,
  type Result,
  type Unsubscribe,
  withoutPassword,
} from '../../shared/api';
import { type Cut, CutError, cutKey, flowsOf } from '../../shared/chaos/cut';
import { isOurs } from '../../shared/chaos/naming';
import { listActiveCuts, PlanError, planCuts } from '../../shared/chaos/planner';
import {
  bridge,
  complete,
  grudgeToCuts,
  halves,
  majoritiesRing,
  majorityMinority,
} from '../../shared/chaos/topology';
import type { MacAddress } from '../../shared/libvirt';
import { DEFAULT_SOCKET } from '../libvirt/uri';
import { ActivityLog } from './activity';
import {
  type CutNote,
  contractCuts,
  cutIdOf,
  normaliseCuts,
  snapshotOf,
  toPlannerCut,
} from './cuts';
import { EngineError, engineError, toApiError } from './errors';
import { HostSession, type RefreshReason } from './host-session';
import { type Operation, runOperation, toPlanned } from './operations';
import { Prompts } from './prompts';
import { classifier, filterTree, presetsList, protectionChange } from './protection';
import type { Engine, EngineOptions, HostProfile } from './types';

type Known = { applyId: ApplyId | null; expiresAt: number | null };

interface HostState {
  /** In-flight and re-applied cuts, by cutKey. */
  notes: Map<string, CutNote & { cut: Cut }>;
  /** Cuts this instance made: their apply and expiry. */
  known: Map<string, Known>;
  /** Cuts to put back when their guest restarts (its bindings die with its port). */
  wanted: Map<string, Cut>;
  /** Guests (uuid) seen stopping while they had wanted cuts. */
  restarting: Set<string>;
}

function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

function failed(e: unknown): Result<never> {
  return { ok: false, error: toApiError(e) };
}

async function result<T>(f: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await f());
  } catch (e) {
    return failed(e);
  }
}

const PLAN_ERROR_CODES: Record<string, ApiError['code']> = {
  'unknown-interface': 'not-found',
  'ambiguous-interface': 'invalid-request',
  uncuttable: 'not-cuttable',
  'different-segment': 'invalid-request',
  'invalid-cut': 'invalid-request',
};

/** Planner and cut-model errors are the user's input: say so. */
function plannerError(e: unknown): unknown {
  if (e instanceof PlanError)
    return engineError(PLAN_ERROR_CODES[e.code] ?? 'invalid-request', e.message);
  if (e instanceof CutError) return engineError('invalid-request', e.message);
  return e;
}

export class ChaosEngine implements Engine {
  private readonly listeners = new Set<ChaosEventListener>();
  private readonly sessions = new Map<HostId, HostSession>();
  private readonly hostStates = new Map<HostId, HostState>();
  private readonly prompts: Prompts;
  private readonly activity: ActivityLog;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Applies of this instance, newest last, for undo. */
  private readonly applies: { applyId: ApplyId; hostId: HostId; keys: string[] }[] = [];

  constructor(private readonly options: EngineOptions) {
    const emit = (e: ChaosEvent) => this.emit(e);
    this.prompts = new Prompts(emit);
    this.activity = new ActivityLog((entry) => emit({ type: 'activity.appended', entry }));
  }

  async start(): Promise<void> {
    const profiles = await this.options.profiles.load();
    if (profiles.length === 0 && this.options.autoLocal && existsSync(DEFAULT_SOCKET)) {
      profiles.push({
        id: HostIdSchema.parse('local'),
        uri: 'qemu:///system',
        label: 'this machine',
        auth: { method: 'local' },
      });
      await this.options.profiles.save(profiles);
    }
    for (const p of profiles) this.addSession(p);
    for (const s of this.sessions.values()) void s.connect().catch(() => {}); // reported as host.state
  }

  subscribe(listener: ChaosEventListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: ChaosEvent) {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.prompts.cancelAll();
    await Promise.all([...this.sessions.values()].map((s) => s.disconnect().catch(() => {})));
  }

  // ---- hosts ----------------------------------------------------------------------------------

  private addSession(profile: HostProfile): HostSession {
    const session = new HostSession(profile, {
      emit: (e) => this.emit(e),
      prompts: this.prompts,
      knownHostsPath: this.options.knownHostsPath,
      classifier,
      cutsOf: (s, parsed) => {
        const st = this.stateOf(s.id);
        return contractCuts(
          s.id,
          parsed,
          st.notes,
          (key) => st.known.get(key) ?? { applyId: null, expiresAt: null },
        );
      },
      afterRefresh: (s, why) => this.afterRefresh(s, why),
      domainEvent: (s, uuid, event) => {
        // A guest going down loses its port's bindings; remember it, so its cuts come back.
        if (event === 'stopped' || event === 'crashed' || event === 'shutdown')
          this.stateOf(s.id).restarting.add(uuid);
      },
      bindingPollMs: this.options.bindingPollMs ?? 3000,
    });
    this.sessions.set(profile.id, session);
    return session;
  }

  private stateOf(hostId: HostId): HostState {
    let st = this.hostStates.get(hostId);
    if (!st) {
      st = { notes: new Map(), known: new Map(), wanted: new Map(), restarting: new Set() };
      this.hostStates.set(hostId, st);
    }
    return st;
  }

  private session(hostId: HostId): HostSession {
    const s = this.sessions.get(hostId);
    if (!s) throw engineError('not-found', `no host ${hostId}`, 'add it first (hosts.add)');
    return s;
  }

  private async saveProfiles() {
    await this.options.profiles.save([...this.sessions.values()].map((s) => s.profile));
    this.emit({
      type: 'hosts.changed',
      hosts: [...this.sessions.values()].map((s) => s.summary()),
    });
  }

  private newHostId(uri: string, auth: HostAuth): HostId {
    let base = 'local';
    if (auth.method !== 'local') {
      const m = /^(?:[a-z0-9+]+:\/\/)?(?:([^@/]+)@)?([^/?:]+|\[[^\]]+\])(?::(\d+))?/i.exec(uri);
      base = m ? `${m[1] ? `${m[1]}@` : ''}${m[2]}${m[3] ? `:${m[3]}` : ''}` : 'host';
    }
    base = base.replace(/\s+/g, '');
    let id = base;
    for (let n = 2; this.sessions.has(id as HostId); n++) id = `${base}-${n}`;
    return HostIdSchema.parse(id);
  }

  'hosts.list'(): Promise<Result<HostSummary[]>> {
    return Promise.resolve(ok([...this.sessions.values()].map((s) => s.summary())));
  }

  'hosts.add'(params: {
    uri: string;
    auth: HostAuth;
    label?: string | undefined;
  }): Promise<Result<HostSummary>> {
    return result(async () => {
      // The UI's own check (shared/api), so every face refuses the same address the same way.
      const profiles = [...this.sessions.values()].map((s) => s.profile);
      const problem = hostAddressProblem(params.uri, profiles);
      if (problem) {
        const error: ApiError = { code: 'invalid-request', message: problem };
        this.activity.append({
          hostId: null,
          applyId: null,
          kind: 'add-host',
          summary: `add host ${withoutPassword(params.uri)}`,
          outcome: 'refused',
          operations: [],
          error,
        });
        throw new EngineError(error);
      }
      const id = this.newHostId(params.uri, params.auth);
      const label = params.label ?? (params.auth.method === 'local' ? 'this machine' : id);
      const session = this.addSession({ id, uri: params.uri, label, auth: params.auth });
      await this.saveProfiles();
      void session.connect().catch(() => {}); // progress and errors arrive as host.state events
      return session.summary();
    });
  }

  'hosts.remove'(params: { hostId: HostId }): Promise<Result<null>> {
    return result(async () => {
      const s = this.session(params.hostId);
      await s.disconnect();
      this.sessions.delete(params.hostId);
      this.hostStates.delete(params.hostId);
      await this.saveProfiles();
      return null;
    });
  }

  'hosts.connect'(params: { hostId: HostId }): Promise<Result<HostSummary>> {
    return result(async () => {
      const s = this.session(params.hostId);
      if (s.status.state !== 'connected' || !s.inventory) {
        await s.connect().catch((e: unknown) => {
          throw s.status.error ? new EngineError(s.status.error) : e;
        });
      }
      return s.summary();
    });
  }

  'hosts.disconnect'(params: { hostId: HostId }): Promise<Result<HostSummary>> {
    return result(async () => {
      const s = this.session(params.hostId);
      await s.disconnect();
      return s.summary();
    });
  }

  'hostKey.answer'(params: { promptId: string; accept: boolean }): Promise<Result<null>> {
    return this.answer(params.promptId, params.accept);
  }

  'passphrase.answer'(params: {
    promptId: string;
    passphrase: string | null;
  }): Promise<Result<null>> {
    return this.answer(params.promptId, params.passphrase);
  }

  private answer(promptId: string, value: unknown): Promise<Result<null>> {
    return Promise.resolve(
      this.prompts.answer(promptId as never, value)
        ? ok(null)
        : failed(
            engineError(
              'not-found',
              'that question is no longer open (answered elsewhere, or it timed out)',
            ),
          ),
    );
  }

  'inventory.get'(params: { hostId: HostId }): Promise<Result<HostInventory>> {
    return result(async () => {
      const s = this.session(params.hostId);
      if (!s.inventory)
        throw engineError(
          'not-connected',
          `${s.profile.label} has not been read yet (${s.status.state})`,
        );
      return s.inventory;
    });
  }

  // ---- cuts -----------------------------------------------------------------------------------

  private hostOfGuests(ids: readonly GuestId[]): HostSession {
    const hosts = new Set(ids.map((id) => parseGuestId(id).hostId));
    if (hosts.size !== 1)
      throw engineError(
        'invalid-request',
        'a cut or partition stays on one host: its guests share an L2 segment',
      );
    return this.session([...hosts][0] as HostId);
  }

  /** The MAC of each guest on the one segment they all share. */
  private membersOnSegment(
    s: HostSession,
    ids: readonly GuestId[],
  ): { macs: MacAddress[]; segment: string; all: MacAddress[] } {
    const inv = s.inventory;
    if (!inv) throw engineError('not-connected', `${s.profile.label} has not been read yet`);
    const guests = ids.map((id) => {
      const g = inv.guests.find((x) => x.id === id);
      if (!g) throw engineError('not-found', `no guest ${id} on ${inv.hostname}`);
      return g;
    });
    const segs = guests.map(
      (g) => new Set(g.interfaces.flatMap((i) => (i.segmentId ? [i.segmentId] : []))),
    );
    const common = [...(segs[0] ?? [])].filter((seg) => segs.every((set) => set.has(seg)));
    if (common.length === 0)
      throw engineError(
        'invalid-request',
        `${guests.map((g) => g.name).join(', ')} share no network or bridge`,
      );
    const segment = common[0] as string;
    const macOn = (g: (typeof guests)[number]) =>
      g.interfaces.find((i) => i.segmentId === segment)?.mac as MacAddress;
    const all = inv.guests.flatMap((g) =>
      g.interfaces
        .filter(
          (i) =>
            i.segmentId === segment &&
            (i.uncuttable === null || i.uncuttable.reason === 'not-running'),
        )
        .map((i) => i.mac as MacAddress),
    );
    return { macs: guests.map(macOn), segment, all };
  }

  private partitionCuts(s: HostSession, p: PartitionRequest): Cut[] {
    if (p.topology === 'groups') {
      const { macs } = this.membersOnSegment(s, p.groups.flat());
      let i = 0;
      return grudgeToCuts(complete(p.groups.map((g) => g.map(() => macs[i++] as MacAddress))));
    }
    const { macs, all } = this.membersOnSegment(s, p.guestIds);
    switch (p.topology) {
      case 'isolate': {
        const rest = all.filter((m) => !macs.includes(m));
        return grudgeToCuts(complete([...macs.map((m) => [m]), ...(rest.length ? [rest] : [])]));
      }
      case 'halves':
        return grudgeToCuts(halves(macs));
      case 'majority-minority':
        return grudgeToCuts(majorityMinority(macs, macs.slice(Math.floor(macs.length / 2) + 1)));
      case 'majorities-ring':
        return grudgeToCuts(majoritiesRing(macs));
      case 'bridge':
        return grudgeToCuts(bridge(macs));
    }
  }

  'chaos.apply'(req: ApplyRequest): Promise<Result<ApplyResult>> {
    return result(async () => {
      const ids =
        'cuts' in req
          ? req.cuts.flatMap((c) => [c.from.guestId, c.to.guestId])
          : req.partition.topology === 'groups'
            ? req.partition.groups.flat()
            : req.partition.guestIds;
      const s = this.hostOfGuests(ids);
      const applyId = randomUUID() as ApplyId;
      let wanted: Cut[];
      try {
        wanted = normaliseCuts(
          'cuts' in req ? req.cuts.map(toPlannerCut) : this.partitionCuts(s, req.partition),
        );
      } catch (e) {
        throw plannerError(e);
      }
      const expiresAt = req.durationSeconds ? Date.now() + req.durationSeconds * 1000 : null;
      const summary =
        'cuts' in req ? `cut ${wanted.length} link(s)` : `partition: ${req.partition.topology}`;
      const r = await this.change(s, {
        kind: 'apply',
        applyId,
        summary,
        dryRun: req.dryRun ?? false,
        desired: (held) => [...held, ...wanted],
        pending: wanted,
      });
      if (r.dryRun) return r;
      const st = this.stateOf(s.id);
      const keys = wanted.map(cutKey);
      for (const c of wanted) {
        st.known.set(cutKey(c), { applyId, expiresAt });
        st.wanted.set(cutKey(c), c);
      }
      this.applies.push({ applyId, hostId: s.id, keys });
      if (expiresAt !== null) this.expireLater(s, keys, expiresAt);
      s.republish();
      return { ...r, cutIds: wanted.map((c) => cutIdOf(s.id, c)) };
    });
  }

  private expireLater(s: HostSession, keys: string[], at: number) {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        const st = this.stateOf(s.id);
        const still = keys.filter((k) => st.known.get(k)?.expiresAt === at);
        if (still.length === 0) return;
        void this.healKeys(
          s,
          still,
          'expire',
          `duration over: healing ${still.length} cut(s)`,
          false,
        ).catch(() => {});
      },
      Math.max(0, at - Date.now()),
    );
    timer.unref?.();
    this.timers.add(timer);
  }

  'chaos.heal'(req: HealRequest): Promise<Result<ApplyResult>> {
    return result(async () => {
      const dryRun = req.dryRun ?? false;
      const targets: { s: HostSession; keys: string[] | 'all'; summary: string }[] = [];
      if ('all' in req) {
        for (const s of this.sessions.values())
          if (s.inventory) targets.push({ s, keys: 'all', summary: 'heal everything' });
      } else if ('hostId' in req) {
        targets.push({
          s: this.session(req.hostId),
          keys: 'all',
          summary: 'heal every cut on the host',
        });
      } else if ('guestId' in req) {
        const s = this.session(parseGuestId(req.guestId).hostId);
        const keys = (s.inventory?.cuts ?? [])
          .filter((c) => c.from.guestId === req.guestId || c.to.guestId === req.guestId)
          .map((c) => cutKey(toPlannerCut(c)));
        targets.push({
          s,
          keys,
          summary: `heal every cut of ${s.inventory?.guests.find((g) => g.id === req.guestId)?.name ?? req.guestId}`,
        });
      } else {
        for (const id of req.cutIds) {
          const s = [...this.sessions.values()].find((x) =>
            x.inventory?.cuts.some((c) => c.id === id),
          );
          if (!s) throw engineError('not-found', `no cut ${id} on any connected host`);
          const c = s.inventory?.cuts.find((x) => x.id === id);
          const t = targets.find((x) => x.s === s) ?? { s, keys: [] as string[], summary: 'heal' };
          if (!targets.includes(t)) targets.push(t);
          if (c && t.keys !== 'all') t.keys.push(cutKey(toPlannerCut(c)));
        }
      }
      const results: ApplyResult[] = [];
      for (const t of targets)
        results.push(await this.healKeys(t.s, t.keys, 'heal', t.summary, dryRun));
      return mergeResults(results, dryRun);
    });
  }

  private async healKeys(
    s: HostSession,
    keys: string[] | 'all',
    kind: 'heal' | 'expire',
    summary: string,
    dryRun: boolean,
  ): Promise<ApplyResult> {
    const st = this.stateOf(s.id);
    const applyId = randomUUID() as ApplyId;
    const drop = (c: Cut) => keys === 'all' || keys.includes(cutKey(c));
    let healed: Cut[] = [];
    const r = await this.change(s, {
      kind,
      applyId,
      summary,
      dryRun,
      desired: (held) => {
        healed = held.filter(drop);
        // No longer wanted from here on: a guest restarting meanwhile must not bring them back.
        if (!dryRun) for (const c of healed) st.wanted.delete(cutKey(c));
        return held.filter((c) => !drop(c));
      },
      healing: keys,
    });
    if (!dryRun)
      for (const c of healed) {
        st.known.delete(cutKey(c));
        st.wanted.delete(cutKey(c));
        st.notes.delete(cutKey(c));
      }
    s.republish();
    return { ...r, cutIds: healed.map((c) => cutIdOf(s.id, c)) };
  }

  'chaos.undo'(): Promise<Result<ApplyResult | null>> {
    return result(async () => {
      while (this.applies.length > 0) {
        const last = this.applies.pop() as (typeof this.applies)[number];
        const s = this.sessions.get(last.hostId);
        if (!s?.inventory) continue;
        const held = new Set(s.inventory.cuts.map((c) => cutKey(toPlannerCut(c))));
        const keys = last.keys.filter((k) => held.has(k));
        if (keys.length > 0)
          return this.healKeys(s, keys, 'heal', `undo: heal ${keys.length} cut(s)`, false);
      }
      return null;
    });
  }

  /**
   * One change to one host: plan from fresh host state to `desired(held)`, run it with progress,
   * roll back to what was held on failure. Runs exclusively per host.
   */
  private change(
    s: HostSession,
    o: {
      kind: 'apply' | 'heal' | 'expire' | 're-apply';
      applyId: ApplyId;
      summary: string;
      dryRun: boolean;
      desired: (held: Cut[]) => Cut[];
      pending?: Cut[];
      healing?: string[] | 'all';
    },
  ): Promise<ApplyResult> {
    return s.exclusive(async () => {
      await s.refresh({ kind: 'operation' });
      const parsed = s.parsed;
      if (!parsed) throw engineError('not-connected', `${s.profile.label} has not been read`);
      const snapshot = snapshotOf(parsed);
      const held = listActiveCuts(snapshot);
      const before = normaliseCuts(held);
      let plan: ReturnType<typeof planCuts>;
      try {
        plan = planCuts(snapshot, normaliseCuts(o.desired(before)));
      } catch (e) {
        throw plannerError(e);
      }
      const contractPlan: ContractPlan = {
        operations: plan.operations.map((op) => toPlanned(s.id, op)),
        cuts: plan.cuts.map((c) => this.toRequest(s, c)),
        portsTouched: [...plan.portsTouched],
      };
      const base = {
        applyId: o.applyId,
        dryRun: o.dryRun,
        plan: contractPlan,
        cutIds: [] as CutId[],
      };
      if (o.dryRun) return base;

      const st = this.stateOf(s.id);
      for (const c of o.pending ?? [])
        if (!st.notes.has(cutKey(c)))
          st.notes.set(cutKey(c), {
            cut: c,
            state: 'applying',
            applyId: o.applyId,
            expiresAt: null,
          });
      for (const c of before)
        if (o.healing === 'all' || o.healing?.includes(cutKey(c)))
          st.notes.set(cutKey(c), {
            cut: c,
            state: 'healing',
            applyId: o.applyId,
            expiresAt: null,
          });
      s.republish();
      try {
        await this.runPlan(s, o.applyId, plan.operations, o.kind, o.summary, before);
      } finally {
        for (const c of o.pending ?? [])
          if (st.notes.get(cutKey(c))?.state === 'applying') st.notes.delete(cutKey(c));
        for (const [k, n] of st.notes)
          if (n.state === 'healing' && n.applyId === o.applyId) st.notes.delete(k);
        await s.refresh({ kind: 'operation' }).catch(() => {});
      }
      return base;
    });
  }

  /** Runs operations in order; on failure plans back to `rollbackTo` and runs that. Throws the failure. */
  private async runPlan(
    s: HostSession,
    applyId: ApplyId,
    ops: readonly Operation[],
    kind: 'apply' | 'heal' | 'expire' | 're-apply' | 'protect' | 'unprotect',
    summary: string,
    rollbackTo: Cut[] | null,
    rollbackOps?: () => Promise<readonly Operation[]>,
  ): Promise<ActivityOperation[]> {
    const records: ActivityOperation[] = [];
    const lv = s.libvirt();
    let failure: { error: ApiError; op: Operation } | null = null;
    for (const [index, op] of ops.entries()) {
      const planned = toPlanned(s.id, op);
      const progress = (status: 'running' | 'done' | 'failed', error?: ApiError) =>
        this.emit({
          type: 'apply.progress',
          applyId,
          hostId: s.id,
          index,
          total: ops.length,
          kind: op.kind,
          description: op.description,
          xml: planned.xml,
          status,
          ...(error ? { error } : {}),
        });
      progress('running');
      const t0 = performance.now();
      try {
        await runOperation(lv, op);
        progress('done');
        records.push({ ...planned, status: 'done', durationMs: performance.now() - t0 });
      } catch (e) {
        const error = toApiError(e);
        progress('failed', error);
        records.push({ ...planned, status: 'failed', durationMs: performance.now() - t0, error });
        failure = { error, op };
        break;
      }
    }
    if (!failure) {
      this.activity.append({
        hostId: s.id,
        applyId,
        kind,
        summary,
        outcome: 'ok',
        operations: records,
      });
      return records;
    }
    // Roll back by planning from what the host holds now to what it held before.
    let rollbackError: ApiError | null = null;
    try {
      let back: readonly Operation[];
      if (rollbackOps) back = await rollbackOps();
      else {
        await s.refresh({ kind: 'operation' });
        back = s.parsed && rollbackTo ? planCuts(snapshotOf(s.parsed), rollbackTo).operations : [];
      }
      for (const op of back) {
        const t0 = performance.now();
        await runOperation(lv, op);
        records.push({
          ...toPlanned(s.id, op),
          description: `rollback: ${op.description}`,
          status: 'done',
          durationMs: performance.now() - t0,
        });
      }
      for (const r of records)
        if (r.status === 'done' && !r.description.startsWith('rollback:')) r.status = 'rolled-back';
    } catch (e) {
      rollbackError = toApiError(e);
    }
    const what = `${failure.op.kind} ${failure.op.target} failed: ${failure.error.message}`;
    const error: ApiError = rollbackError
      ? {
          code: 'rollback-failed',
          message: `${what}; rolling back failed too: ${rollbackError.message}`,
          hint: "the host may be part-way: run 'kvm-chaos heal --all' (it works from the host's state alone)",
          ...(failure.error.libvirt ? { libvirt: failure.error.libvirt } : {}),
        }
      : {
          code: 'apply-failed',
          message: `${what}; what this change did was rolled back`,
          ...(failure.error.hint ? { hint: failure.error.hint } : {}),
          ...(failure.error.libvirt ? { libvirt: failure.error.libvirt } : {}),
        };
    this.activity.append({
      hostId: s.id,
      applyId,
      kind,
      summary,
      outcome: rollbackError ? 'failed' : 'rolled-back',
      operations: records,
      error,
    });
    throw new EngineError(error);
  }

  private toRequest(s: HostSession, c: Cut) {
    const guestOf = (mac: string) =>
      s.inventory?.guests.find((g) => g.interfaces.some((i) => i.mac === mac))?.id;
    return {
      from: {
        guestId: (guestOf(c.from) ??
          'guest:unknown:00000000-0000-0000-0000-000000000000') as GuestId,
        mac: c.from,
      },
      to: {
        guestId: (guestOf(c.to) ?? 'guest:unknown:00000000-0000-0000-0000-000000000000') as GuestId,
        mac: c.to,
      },
      direction: c.direction,
      scope: c.scope,
    };
  }

  // ---- guests restarting ------------------------------------------------------------------------

  private cleaning = new Set<HostId>();

  /**
   * libvirt 9.0 keeps our bindings when their guest is destroyed, and a restarted guest can get
   * the same tap name back. Delete such leftovers as soon as the guest is down, so a restart
   * always finds its cuts gone and puts them back on a fresh binding ('re-applied').
   */
  private removeLeftovers(s: HostSession) {
    const parsed = s.parsed;
    if (!parsed || this.cleaning.has(s.id)) return;
    const ports = new Set<string>();
    for (const { domain } of parsed.domains)
      if (domain.active) for (const nic of domain.interfaces) if (nic.target) ports.add(nic.target);
    const leftovers = parsed.bindings.filter(
      (b) => isOurs(b.binding.filterref.filter) && !ports.has(b.binding.portdev),
    );
    if (leftovers.length === 0) return;
    this.cleaning.add(s.id);
    void this.change(s, {
      kind: 'heal',
      applyId: randomUUID() as ApplyId,
      summary: `remove ${leftovers.length} leftover binding(s) of stopped guests`,
      dryRun: false,
      desired: (held) => held,
    })
      .catch(() => {})
      .finally(() => this.cleaning.delete(s.id));
  }

  private afterRefresh(s: HostSession, _why: RefreshReason) {
    this.removeLeftovers(s);
    const st = this.stateOf(s.id);
    if (st.wanted.size === 0 || !s.parsed) return;
    const parsed = s.parsed;
    const running = new Map(parsed.domains.map((d) => [d.domain.uuid as string, d.domain.active]));
    const uuidOfMac = new Map<string, string>();
    for (const { domain } of parsed.domains)
      for (const nic of domain.interfaces) if (nic.mac) uuidOfMac.set(nic.mac, domain.uuid);
    const held = new Set(
      s.inventory?.cuts.filter((c) => c.state !== 'applying').map((c) => cutKey(toPlannerCut(c))) ??
        [],
    );
    // A restarted guest can get its old tap name back, and libvirt keeps our old binding on it:
    // such a cut reads as held, but its rules predate the port. Put those on afresh too.
    const stale: Cut[] = [];
    for (const uuid of st.restarting) {
      if (!running.get(uuid)) continue;
      const ports = new Set(
        parsed.domains
          .find((d) => d.domain.uuid === uuid)
          ?.domain.interfaces.flatMap((i) => (i.target ? [i.target as string] : [])) ?? [],
      );
      for (const c of s.inventory?.cuts ?? []) {
        const key = cutKey(toPlannerCut(c));
        const want = st.wanted.get(key);
        if (want && held.has(key) && !st.notes.has(key) && c.enforcedOn.some((p) => ports.has(p)))
          stale.push(want);
      }
    }
    const missing = [...st.wanted].filter(([k]) => !held.has(k) && !st.notes.has(k));
    const toRestore: Cut[] = [...stale];
    for (const [key, cut] of missing) {
      const ends = flowsOf(cut)
        .flatMap((f) => [f.src, f.dst])
        .map((m) => uuidOfMac.get(m) ?? '');
      const restarted = ends.some((u) => st.restarting.has(u));
      if (!restarted) {
        st.wanted.delete(key); // healed by someone else (another instance, the CLI)
        st.known.delete(key);
      } else if (ends.every((u) => running.get(u))) toRestore.push(cut);
    }
    // A restarted guest whose wanted cuts all stand again needs no more watching.
    for (const uuid of st.restarting)
      if (
        running.get(uuid) &&
        !toRestore.some((c) =>
          flowsOf(c).some((f) => uuidOfMac.get(f.src) === uuid || uuidOfMac.get(f.dst) === uuid),
        ) &&
        ![...st.wanted].some(
          ([k, c]) =>
            !held.has(k) &&
            flowsOf(c).some((f) => uuidOfMac.get(f.src) === uuid || uuidOfMac.get(f.dst) === uuid),
        )
      )
        st.restarting.delete(uuid);
    if (toRestore.length === 0) return;
    for (const c of toRestore)
      for (const u of flowsOf(c)
        .flatMap((f) => [f.src, f.dst])
        .map((m) => uuidOfMac.get(m) ?? ''))
        st.restarting.delete(u);
    const applyId = randomUUID() as ApplyId;
    const staleKeys = new Set(stale.map(cutKey));
    for (const c of toRestore)
      st.notes.set(cutKey(c), { cut: c, state: 'applying', applyId, expiresAt: null });
    const takeOff = stale.length
      ? this.change(s, {
          kind: 're-apply',
          applyId,
          summary: `take off ${stale.length} cut(s) whose rules predate their guest's restart`,
          dryRun: false,
          desired: (held2) => held2.filter((c) => !staleKeys.has(cutKey(c))),
        })
      : Promise.resolve();
    void takeOff
      .then(() =>
        this.change(s, {
          kind: 're-apply',
          applyId,
          summary: `re-apply ${toRestore.length} cut(s) after a guest restart`,
          dryRun: false,
          desired: (held2) => [...held2, ...toRestore],
          pending: toRestore,
        }),
      )
      .then(() => {
        for (const c of toRestore)
          st.notes.set(cutKey(c), {
            cut: c,
            state: 're-applied',
            applyId,
            expiresAt: st.known.get(cutKey(c))?.expiresAt ?? null,
          });
        s.republish();
      })
      .catch(() => {
        for (const c of toRestore)
          if (st.notes.get(cutKey(c))?.state === 'applying') st.notes.delete(cutKey(c));
        s.republish();
      });
  }

  // ---- protection -------------------------------------------------------------------------------

  'protection.set'(params: {
    guestId: GuestId;
    mac: string;
    presetId: string;
    parameters: FilterParameter[];
    dryRun?: boolean | undefined;
  }): Promise<Result<ApplyResult>> {
    return result(() =>
      this.protect(
        params.guestId,
        params.mac,
        { presetId: params.presetId, parameters: params.parameters },
        params.dryRun ?? false,
      ),
    );
  }

  'protection.clear'(params: {
    guestId: GuestId;
    mac: string;
    dryRun?: boolean | undefined;
  }): Promise<Result<ApplyResult>> {
    return result(() => this.protect(params.guestId, params.mac, null, params.dryRun ?? false));
  }

  /**
   * Sets (or clears) an interface's filterref live and persistently. A port that is cut carries
   * our composite, and libvirt replaces the port's binding on update-device: so the cuts on that
   * port are healed first, the device updated, and the same cuts planned again around the new
   * protection.
   */
  private protect(
    guestId: GuestId,
    mac: string,
    preset: { presetId: string; parameters: FilterParameter[] } | null,
    dryRun: boolean,
  ): Promise<ApplyResult> {
    const s = this.session(parseGuestId(guestId).hostId);
    return s.exclusive(async () => {
      await s.refresh({ kind: 'operation' });
      const change = await protectionChange(s, guestId, mac, preset);
      const parsed = s.parsed;
      if (!parsed) throw engineError('not-connected', 'host not read');
      const held = normaliseCuts(listActiveCuts(snapshotOf(parsed)));
      const portdev = change.portdev;
      const onPort = portdev
        ? listActiveCuts(snapshotOf(parsed)).filter((c) => c.enforcedOn.includes(portdev as never))
        : [];
      const keep = held.filter((c) => !onPort.some((p) => cutKey(p) === cutKey(c)));
      const unwrap = onPort.length ? planCuts(snapshotOf(parsed), keep).operations : [];
      const applyId = randomUUID() as ApplyId;
      const ops: Operation[] = [...unwrap, ...change.operations];
      const contractPlan: ContractPlan = {
        operations: [
          ...ops.map((op) => toPlanned(s.id, op)),
          ...(onPort.length
            ? [
                {
                  hostId: s.id,
                  kind: 'create-binding' as const,
                  target: portdev ?? '',
                  description: `then cut ${change.guestName} again around the new protection`,
                  xml: null,
                  virsh: '',
                },
              ]
            : []),
        ],
        cuts: held.map((c) => this.toRequest(s, c)),
        portsTouched: portdev ? [portdev] : [],
      };
      if (dryRun) return { applyId, dryRun, plan: contractPlan, cutIds: [] };
      const kind = preset ? 'protect' : 'unprotect';
      await this.runPlan(s, applyId, ops, kind, change.summary, held, async () => {
        // Put the interface back as it was, then plan back to the cuts held before.
        const undo: Operation[] = change.operations
          .filter((op) => op.kind === 'update-device')
          .map(
            (op) =>
              ({
                ...op,
                xml: op.kind === 'update-device' ? op.previousXml : '',
                description: 'restore the interface',
              }) as Operation,
          );
        for (const op of undo) await runOperation(s.libvirt(), op).catch(() => {});
        await s.refresh({ kind: 'operation' });
        return s.parsed ? planCuts(snapshotOf(s.parsed), held).operations : [];
      });
      if (onPort.length) {
        await s.refresh({ kind: 'operation' });
        if (s.parsed) {
          const again = planCuts(snapshotOf(s.parsed), held).operations;
          await this.runPlan(
            s,
            applyId,
            again,
            'apply',
            `cut ${change.guestName} again around its new protection`,
            held,
          );
        }
      }
      await s.refresh({ kind: 'operation' });
      return { applyId, dryRun, plan: contractPlan, cutIds: [] };
    });
  }

  'presets.list'(): Promise<Result<ReturnType<typeof presetsList>>> {
    return Promise.resolve(ok(presetsList()));
  }

  // ---- inspection -------------------------------------------------------------------------------

  'bindings.xml'(params: { hostId: HostId; portdev: string }): Promise<Result<{ xml: string }>> {
    return result(async () => {
      const lv = this.session(params.hostId).libvirt();
      const b = await lv.nwfilterBindingLookupByPortDev(params.portdev);
      return { xml: await lv.nwfilterBindingGetXmlDesc({ nwfilter: b, flags: 0 }) };
    });
  }

  'filters.tree'(params: { hostId: HostId; filter: string; portdev?: string | undefined }) {
    return result(async () => {
      const s = this.session(params.hostId);
      if (!s.parsed) throw engineError('not-connected', 'host not read yet');
      return filterTree(s.parsed, params.filter, params.portdev);
    });
  }

  'activity.list'(params: { hostId?: HostId | undefined; limit?: number | undefined }) {
    return Promise.resolve(ok(this.activity.list(params.hostId, params.limit)));
  }

  'activity.export'(params: { format: 'text' | 'virsh-script'; hostId?: HostId | undefined }) {
    return Promise.resolve(
      ok(
        this.activity.export(
          params.format,
          (id) => this.sessions.get(id)?.profile.uri ?? 'qemu:///system',
          params.hostId,
        ),
      ),
    );
  }
}

function mergeResults(results: ApplyResult[], dryRun: boolean): ApplyResult {
  return {
    applyId: (results[0]?.applyId ?? randomUUID()) as ApplyId,
    dryRun,
    plan: {
      operations: results.flatMap((r) => r.plan.operations),
      cuts: results.flatMap((r) => r.plan.cuts),
      portsTouched: results.flatMap((r) => r.plan.portsTouched),
    },
    cutIds: results.flatMap((r) => r.cutIds),
  };
}

export async function createEngine(options: EngineOptions): Promise<Engine> {
  const engine = new ChaosEngine(options);
  await engine.start();
  return engine;
}
