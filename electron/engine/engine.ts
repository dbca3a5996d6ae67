// The chaos engine: implements shared/api's ChaosApi over live libvirt connections. One
// HostSession per host. Every change to a host is one ChangeRunner change (change.ts): under the
// host's lock, the cut's intent kept in the host's domain metadata first, then the bindings
// planned by shared/chaos's planner from all the host's intents. Any instance (this one, another
// app, the CLI) therefore reads the same cuts, authors and expiries, and any instance that keeps
// promises (promises.ts) heals expired cuts and puts back cuts of restarted guests.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  type ApiError,
  type ApplyId,
  type ApplyRequest,
  type ApplyResult,
  type ChaosEvent,
  type ChaosEventListener,
  type FilterParameter,
  type GuestId,
  guestEndsOf,
  type HealRequest,
  type HostAuth,
  type HostId,
  HostId as HostIdSchema,
  type HostInventory,
  type HostSummary,
  hostAddressProblem,
  outsideText,
  parseGuestId,
  type Result,
  type RunControl,
  type ScenarioPlanRequest,
  type ScenarioStartRequest,
  type SegmentJoinRequest,
  type SegmentSplitRequest,
  type Unsubscribe,
  withoutPassword,
} from '../../shared/api';
import {
  type Cut,
  CutError,
  cutKey,
  describeCut,
  type Endpoint,
  isNetTarget,
  netWords,
} from '../../shared/chaos/cut';
import { type Author, intentsFor, isExpired, type StoredIntent } from '../../shared/chaos/intent';
import { type PlacedCut, placeAcrossHosts } from '../../shared/chaos/placement';
import { PlanError } from '../../shared/chaos/planner';
import { interfacesByMac } from '../../shared/inventory/mac-index';
import type { MacAddress } from '../../shared/libvirt';
import { DEFAULT_SOCKET } from '../libvirt/uri';
import { membersOnSegment, partitionCuts } from './across-hosts';
import { ActivityLog } from './activity';
import { type ChangeRequest, ChangeRunner } from './change';
import { type CutNote, contractStatus, cutIdOf, normaliseCuts, toPlannerCut } from './cuts';
import { EngineError, engineError, toApiError } from './errors';
import { HostSession } from './host-session';
import { intentsOf, makeAuthor } from './intents';
import { type LabelsRequest, writeLabels } from './labels';
import { resolveOutsideEnds } from './outside';
import { PromiseKeeper } from './promises';
import { Prompts } from './prompts';
import { classifier, filterTree, presetsList, protectionChange } from './protection';
import { ScenarioRuns } from './scenario/runs';
import { SegmentGroupBook } from './segment-groups';
import { TrafficWatch } from './traffic/watch';
import type { Engine, EngineOptions, HostProfile } from './types';
import { virshConnection } from './virsh-uri';

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
  private readonly prompts: Prompts;
  private readonly activity: ActivityLog;
  private readonly runner: ChangeRunner;
  private readonly promises = new PromiseKeeper();
  private readonly scenarios: ScenarioRuns;
  /** Live traffic while a client watches (traffic/watch.ts). */
  readonly traffic: TrafficWatch;
  /** The user's segment groups, saved with the hosts (segment-groups.ts). */
  private readonly segmentGroups: SegmentGroupBook;
  /** Changes of this instance still running, per host, by cut key. */
  private readonly inflight = new Map<HostId, Map<string, CutNote>>();
  /** This process as the author of the cuts it makes. */
  readonly author: Author;
  /** Applies of this instance, newest last, for undo. */
  private readonly applies: { applyId: ApplyId; hostId: HostId; keys: string[] }[] = [];

  constructor(private readonly options: EngineOptions) {
    const emit = (e: ChaosEvent) => this.emit(e);
    this.prompts = new Prompts(emit);
    this.activity = new ActivityLog(
      (entry) => emit({ type: 'activity.appended', entry }),
      (hostId, portdev) => {
        const g = this.sessions
          .get(hostId)
          ?.inventory?.guests.find((x) => x.interfaces.some((i) => i.portdev === portdev));
        const mac = g?.interfaces.find((i) => i.portdev === portdev)?.mac;
        return g && mac ? { guest: g.name, mac } : null;
      },
    );
    this.author = makeAuthor(options.face ?? 'engine');
    this.runner = new ChangeRunner({
      author: this.author,
      activity: this.activity,
      emit,
      plannerError,
      farEnd: (mac) => {
        const found = this.remoteInterface(mac);
        return found && { guestId: found.guestId, mac };
      },
    });
    this.scenarios = new ScenarioRuns({ api: this, emit });
    this.traffic = new TrafficWatch({ sessions: () => this.sessions.values(), emit });
    this.segmentGroups = new SegmentGroupBook({
      store: options.profiles,
      inventories: () => this.inventories(),
      emit,
    });
  }

  async start(): Promise<void> {
    const profiles = await this.options.profiles.load();
    await this.segmentGroups.load();
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
    await this.scenarios.closeAll();
    this.traffic.close();
    this.promises.close();
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
      statusOf: (s, parsed) =>
        contractStatus(s.id, parsed, this.notesOf(s.id), new Date(), (mac, label) =>
          this.remoteInterface(mac, label),
        ),
      afterRefresh: (s) => this.afterRefresh(s),
      bindingPollMs: this.options.bindingPollMs ?? 3000,
    });
    this.sessions.set(profile.id, session);
    return session;
  }

  /** The inventory revision of each host last seen by refreshFarEnds. */
  private readonly seenRevision = new Map<HostId, number>();

  /**
   * A cut across hosts is listed by its enforcing host with the far guest as the other host's
   * inventory has it: when a host's inventory changes, the hosts holding intents with a far end
   * list their cuts again (a republish changes nothing unless their listing does, so this ends).
   */
  private refreshFarEnds(s: HostSession) {
    const revision = s.inventory?.revision;
    if (revision === undefined || this.seenRevision.get(s.id) === revision) return;
    this.seenRevision.set(s.id, revision);
    for (const other of this.sessions.values())
      if (other !== s && other.parsed && intentsOf(other.parsed).some((i) => i.remote))
        other.republish();
  }

  /** A guest interface of another host, by MAC (the far end of a cut across hosts). */
  private remoteInterface(mac: MacAddress, hostLabel?: string) {
    const hosts = [...this.sessions.values()];
    // The host the intent names first; any host that has the MAC after (a renamed profile).
    hosts.sort(
      (a, b) => Number(b.profile.label === hostLabel) - Number(a.profile.label === hostLabel),
    );
    for (const x of hosts) {
      const found = x.inventory ? interfacesByMac(x.inventory).get(mac) : undefined;
      if (found) return found;
    }
    return undefined;
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
      this.inflight.delete(params.hostId);
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

  /** The inventories of every host read so far (a cut's guests may be on several). */
  private inventories(): HostInventory[] {
    return [...this.sessions.values()].flatMap((s) => (s.inventory ? [s.inventory] : []));
  }

  /**
   * Cuts and partitions, on one host or across hosts whose guests share a segment. Each host holds
   * the cuts placed on it (intent and rules, as one change under its lock); the hosts change in
   * parallel, and when one fails the others' parts are undone, so the request happens everywhere
   * or nowhere.
   */
  'chaos.apply'(asked: ApplyRequest): Promise<Result<ApplyResult>> {
    return result(async () => {
      // Names of outside ends are resolved once, now: the host keeps the addresses.
      const outside = 'cuts' in asked ? await resolveOutsideEnds(asked.cuts) : null;
      const req: ApplyRequest = outside ? { ...asked, cuts: outside.cuts } : asked;
      const ids =
        'cuts' in req
          ? req.cuts.flatMap((c) => guestEndsOf(c).map((e) => e.guestId))
          : req.partition.topology === 'groups'
            ? req.partition.groups.flat()
            : req.partition.guestIds;
      for (const id of ids) this.session(parseGuestId(id).hostId); // unknown host: say so first
      let wanted: Cut[];
      let placed: Map<HostId, PlacedCut[]>;
      try {
        const members = membersOnSegment(
          this.inventories(),
          ids,
          this.segmentGroups.resolved(),
          'cuts' in req ? req.cuts.flatMap(guestEndsOf) : [],
        );
        wanted = normaliseCuts(
          'cuts' in req ? req.cuts.map(toPlannerCut) : partitionCuts(req.partition, members),
        );
        const nic = (mac: MacAddress) =>
          this.sessions
            .get(members.hostOf.get(mac) as HostId)
            ?.inventory?.guests.flatMap((g) => g.interfaces)
            .find((i) => i.mac === mac);
        placed = placeAcrossHosts(wanted, {
          hostOf: (mac) => members.hostOf.get(mac) as HostId,
          labelOf: (h) => this.session(h).profile.label,
          bound: (mac) => nic(mac)?.binding?.class === 'ours',
          foreign: (mac) => {
            const b = nic(mac)?.binding;
            return b !== null && b !== undefined && b.class !== 'ours';
          },
        });
      } catch (e) {
        throw plannerError(e);
      }
      const now = new Date();
      const expiresAt = req.durationSeconds
        ? new Date(now.getTime() + req.durationSeconds * 1000)
        : null;
      const applyId = randomUUID() as ApplyId;
      const runId = req.runId ?? null;
      const across = placed.size > 1;
      const parts = [...placed].map(([hostId, cuts]) => ({ s: this.session(hostId), cuts }));
      if (parts.length === 0)
        parts.push({ s: this.session(parseGuestId(ids[0] as GuestId).hostId), cuts: [] });
      const nameOf = (mac: Endpoint) => {
        if (isNetTarget(mac)) return outside?.names.get(mac) ?? netWords(mac);
        for (const x of this.sessions.values()) {
          const n = this.nameOn(x)(mac);
          if (n !== mac) return n;
        }
        return mac;
      };
      const summaryOf = (cuts: readonly PlacedCut[]) =>
        'cuts' in req
          ? `cut ${cuts.map((c) => describeCut(c.cut, (e) => (isNetTarget(e) ? outsideText({ address: e, name: outside?.names.get(e) }) : nameOf(e)))).join(', ')}`
          : `partition ${req.partition.topology}: ${cuts.length} cut${cuts.length === 1 ? '' : 's'}${across ? ' on this host' : ''}`;
      const settled = await Promise.allSettled(
        parts.map((p) =>
          this.applyOnHost(p.s, p.cuts, {
            applyId,
            runId,
            now,
            expiresAt,
            nameOf,
            summary: summaryOf(p.cuts),
            dryRun: req.dryRun ?? false,
            allowUnfilteredWindow: req.allowUnfilteredWindow ?? false,
          }),
        ),
      );
      const failed = settled.flatMap((r, i) =>
        r.status === 'rejected' ? [{ i, e: r.reason }] : [],
      );
      const done = settled.flatMap((r, i) =>
        r.status === 'fulfilled' ? [{ part: parts[i] as (typeof parts)[number], r: r.value }] : [],
      );
      if (failed.length > 0) {
        if (!across) throw failed[0]?.e;
        // Undo the hosts that did their part: what they had before comes back.
        const undone = await Promise.allSettled(
          done.filter((d) => !d.r.result.dryRun).map((d) => this.undoPart(d.part.s, applyId, d.r)),
        );
        const first = failed[0] as { i: number; e: unknown };
        const api = toApiError(first.e);
        const where = (parts[first.i] as (typeof parts)[number]).s.profile.label;
        const back = done.map((d) => d.part.s.profile.label);
        const notBack = undone.some((u) => u.status === 'rejected');
        throw new EngineError({
          ...api,
          code: notBack ? 'rollback-failed' : api.code,
          message: `${where}: ${api.message}${back.length ? `; ${notBack ? 'undoing' : 'undid'} its part on ${back.join(', ')}${notBack ? ' failed: run kvm-chaos repair there' : ''}` : ''}`,
        });
      }
      const results = done.map((d) => d.r);
      if (!req.dryRun)
        for (const r of results)
          this.applies.push({ applyId, hostId: r.hostId, keys: r.made.map(cutKey) });
      return mergeResults(
        results.map((r) => r.result),
        req.dryRun ?? false,
      );
    });
  }

  /** One host's part of an apply: its intents written and its rules planned from all of them. */
  private async applyOnHost(
    s: HostSession,
    cuts: readonly PlacedCut[],
    o: {
      applyId: ApplyId;
      runId: string | null;
      now: Date;
      expiresAt: Date | null;
      nameOf: (end: Endpoint) => string;
      summary: string;
      dryRun: boolean;
      allowUnfilteredWindow: boolean;
    },
  ): Promise<{
    hostId: HostId;
    result: ApplyResult;
    made: Cut[];
    before: Map<string, StoredIntent>;
  }> {
    const wanted = cuts.map((c) => c.cut);
    const remoteOf = new Map(cuts.flatMap((c) => (c.remote ? [[cutKey(c.cut), c.remote]] : [])));
    // A run never takes over a cut that is already in force for someone else (by hand, or
    // another run): it leaves that intent as it is and does not count the cut as its own, so
    // its end (or `heal --run`) leaves it. Without a run id, an apply renews the cut as before.
    let made = wanted;
    let before = new Map<string, StoredIntent>();
    const r = await this.change(s, {
      kind: 'apply',
      applyId: o.applyId,
      summary: o.summary,
      dryRun: o.dryRun,
      allowUnfilteredWindow: o.allowUnfilteredWindow,
      edit: (ctx) => {
        before = new Map(ctx.intents.map((i) => [cutKey(i.cut), i]));
        const others = new Set(
          o.runId === null
            ? []
            : ctx.intents
                .filter((i) => i.runId !== o.runId && !isExpired(i, ctx.now))
                .map((i) => cutKey(i.cut)),
        );
        made = wanted.filter((c) => !others.has(cutKey(c)));
        return {
          set: intentsFor(made, {
            nameOf: o.nameOf,
            author: this.author,
            now: o.now,
            expiresAt: o.expiresAt,
            runId: o.runId,
            remoteOf: (c) => remoteOf.get(cutKey(c)) ?? null,
          }),
          remove: [],
        };
      },
      inflight: wanted.map((cut) => ({ cut, state: 'applying' as const, applyId: o.applyId })),
    });
    return {
      hostId: s.id,
      result: {
        ...r,
        plan: r.plan,
        cutIds: o.dryRun ? [] : made.map((c) => cutIdOf(s.id, c)),
      },
      made,
      before,
    };
  }

  /** Takes back one host's part of an apply that failed elsewhere: new cuts go, renewed ones revert. */
  private async undoPart(
    s: HostSession,
    applyId: ApplyId,
    part: { made: Cut[]; before: Map<string, StoredIntent> },
  ): Promise<void> {
    const keys = new Set(part.made.map(cutKey));
    await this.change(s, {
      kind: 'heal',
      applyId,
      summary: 'undo: another host of this change failed',
      dryRun: false,
      allowUnfilteredWindow: true,
      edit: ({ intents }) => ({
        set: [...keys].flatMap((k) => {
          const was = part.before.get(k);
          return was ? [was] : [];
        }),
        remove: intents.filter((i) => keys.has(cutKey(i.cut)) && !part.before.has(cutKey(i.cut))),
      }),
      inflight: part.made.map((cut) => ({ cut, state: 'healing' as const, applyId })),
    });
  }

  'chaos.heal'(req: HealRequest): Promise<Result<ApplyResult>> {
    return result(async () => {
      const dryRun = req.dryRun ?? false;
      const allow = req.allowUnfilteredWindow ?? false;
      type Pick = (i: StoredIntent, now: Date) => boolean;
      const targets: { s: HostSession; pick: Pick; summary: string }[] = [];
      const connected = [...this.sessions.values()].filter((s) => s.inventory);
      // A sweep over every host leaves out hosts without any nwfilter and nothing of ours listed:
      // libvirt's test driver has no nwfilter support and would refuse the host lock. Every real
      // host lists libvirt's stock filters, so it is always swept (its cuts may be newer than
      // this instance's last read).
      const holding = connected.filter(
        (s) =>
          !!s.inventory &&
          (s.inventory.filters.length > 0 ||
            s.inventory.cuts.length > 0 ||
            s.inventory.interruptions.length > 0),
      );
      if ('all' in req)
        for (const s of holding) targets.push({ s, pick: () => true, summary: 'heal everything' });
      else if ('expired' in req)
        for (const s of holding)
          targets.push({ s, pick: (i, now) => isExpired(i, now), summary: 'heal expired cuts' });
      else if ('runId' in req)
        for (const s of holding)
          targets.push({
            s,
            pick: (i) => i.runId === req.runId,
            summary: `heal the cuts of run ${req.runId}`,
          });
      else if ('hostId' in req)
        targets.push({
          s: this.session(req.hostId),
          pick: () => true,
          summary: 'heal every cut on the host',
        });
      else if ('guestId' in req) {
        const home = this.session(parseGuestId(req.guestId).hostId);
        const g = home.inventory?.guests.find((x) => x.id === req.guestId);
        const macs = new Set(g?.interfaces.map((i) => i.mac as string) ?? []);
        const pick: Pick = (i) => macs.has(i.cut.from) || macs.has(i.cut.to);
        // Its cuts across hosts are kept on whichever end's host enforces them.
        for (const s of connected)
          if (s === home || (s.parsed && intentsOf(s.parsed).some((i) => pick(i, new Date()))))
            targets.push({ s, pick, summary: `heal every cut of ${g?.name ?? req.guestId}` });
      } else {
        const byHost = new Map<HostSession, Set<string>>();
        for (const id of req.cutIds) {
          const s = [...this.sessions.values()].find((x) =>
            x.inventory?.cuts.some((c) => c.id === id),
          );
          const c = s?.inventory?.cuts.find((x) => x.id === id);
          if (!s || !c) throw engineError('not-found', `no cut ${id} on any connected host`);
          byHost.set(s, (byHost.get(s) ?? new Set()).add(cutKey(toPlannerCut(c))));
        }
        for (const [s, keys] of byHost)
          targets.push({
            s,
            pick: (i) => keys.has(cutKey(i.cut)),
            summary: `heal ${keys.size} cut${keys.size === 1 ? '' : 's'}`,
          });
      }
      const results: ApplyResult[] = [];
      for (const t of targets)
        results.push(await this.healWhere(t.s, t.pick, t.summary, dryRun, allow));
      return mergeResults(results, dryRun);
    });
  }

  /** Removes the intents `pick` selects; the bindings follow from the intents that remain. */
  private async healWhere(
    s: HostSession,
    pick: (i: StoredIntent, now: Date) => boolean,
    summary: string,
    dryRun: boolean,
    allowUnfilteredWindow: boolean,
  ): Promise<ApplyResult> {
    const applyId = randomUUID() as ApplyId;
    const healing = s.parsed
      ? intentsOf(s.parsed).filter((i) => pick(i, new Date()))
      : ([] as StoredIntent[]);
    const r = await this.change(s, {
      kind: 'heal',
      applyId,
      summary,
      dryRun,
      allowUnfilteredWindow,
      edit: ({ intents, now }) => ({ set: [], remove: intents.filter((i) => pick(i, now)) }),
      inflight: healing.map((i) => ({ cut: i.cut, state: 'healing' as const, applyId })),
    });
    return { ...r, cutIds: r.removed.map((i) => cutIdOf(s.id, i.cut)) };
  }

  'chaos.repair'(params: {
    hostId: HostId;
    dryRun?: boolean | undefined;
    allowUnfilteredWindow?: boolean | undefined;
  }): Promise<Result<ApplyResult>> {
    return result(() =>
      this.repair(
        this.session(params.hostId),
        params.dryRun ?? false,
        params.allowUnfilteredWindow ?? false,
        'repair',
      ),
    );
  }

  private async repair(
    s: HostSession,
    dryRun: boolean,
    allowUnfilteredWindow: boolean,
    why: string,
  ): Promise<ApplyResult> {
    const r = await this.change(s, {
      kind: 'repair',
      applyId: randomUUID() as ApplyId,
      summary: why,
      dryRun,
      allowUnfilteredWindow,
      edit: () => ({ set: [], remove: [] }),
      inflight: [],
    });
    return { ...r, cutIds: r.removed.map((i) => cutIdOf(s.id, i.cut)) };
  }

  'chaos.undo'(): Promise<Result<ApplyResult | null>> {
    return result(async () => {
      while (this.applies.length > 0) {
        const last = this.applies.pop() as (typeof this.applies)[number];
        const s = this.sessions.get(last.hostId);
        if (!s?.parsed) continue;
        const keys = new Set(last.keys);
        const held = intentsOf(s.parsed).filter((i) => keys.has(cutKey(i.cut)));
        if (held.length > 0)
          return this.healWhere(
            s,
            (i) => keys.has(cutKey(i.cut)),
            `undo: heal ${held.length} cut${held.length === 1 ? '' : 's'}`,
            false,
            false,
          );
      }
      return null;
    });
  }

  /** One change to one host (change.ts), with this instance's in-flight cuts shown meanwhile. */
  private async change(
    s: HostSession,
    req: ChangeRequest & { inflight: CutNote[] },
  ): Promise<ApplyResult & { removed: readonly StoredIntent[] }> {
    const notes = this.notesOf(s.id);
    if (!req.dryRun) for (const n of req.inflight) notes.set(cutKey(n.cut), n);
    if (req.inflight.length && !req.dryRun) s.republish();
    try {
      const r = await this.runner.run(s, req);
      return {
        applyId: req.applyId,
        dryRun: req.dryRun,
        plan: r.plan,
        cutIds: [],
        replans: r.conflicts,
        removed: r.removed,
      };
    } finally {
      for (const n of req.inflight)
        if (notes.get(cutKey(n.cut))?.applyId === req.applyId) notes.delete(cutKey(n.cut));
      s.republish();
    }
  }

  private notesOf(hostId: HostId): Map<string, CutNote> {
    let notes = this.inflight.get(hostId);
    if (!notes) {
      notes = new Map();
      this.inflight.set(hostId, notes);
    }
    return notes;
  }

  private nameOn(s: HostSession) {
    return (mac: MacAddress) =>
      s.inventory?.guests.find((g) => g.interfaces.some((i) => i.mac === mac))?.name ?? mac;
  }

  // ---- keeping the promises ---------------------------------------------------------------------

  /**
   * After every read: when the host's intents ask for something no one did (a cut past its
   * expiry, a wanted cut not enforced while a guest of it runs, a port left without its
   * protection), repair the host. Every instance that keeps promises does this; the host's lock
   * and the idempotent plan make two of them converge instead of fighting.
   */
  private afterRefresh(s: HostSession) {
    this.refreshFarEnds(s);
    if (!this.options.keepPromises || !s.parsed) return;
    const due = this.promises.due(s, s.parsed);
    if (due)
      this.promises.schedule(s, due, async () => {
        // Every instance sees every change as it happens: read again, and take the host's lock
        // only if something is still due (usually the change it saw has finished meanwhile).
        await s.freshRead({ kind: 'poll' });
        const still = s.parsed ? this.promises.due(s, s.parsed) : null;
        if (still) await this.repair(s, false, false, still);
      });
  }

  // ---- protection -------------------------------------------------------------------------------

  'protection.set'(params: {
    guestId: GuestId;
    mac: string;
    presetId: string;
    parameters: FilterParameter[];
    dryRun?: boolean | undefined;
    allowUnfilteredWindow?: boolean | undefined;
  }): Promise<Result<ApplyResult>> {
    return result(() =>
      this.protect(
        params.guestId,
        params.mac,
        { presetId: params.presetId, parameters: params.parameters },
        params.dryRun ?? false,
        params.allowUnfilteredWindow ?? false,
      ),
    );
  }

  'protection.clear'(params: {
    guestId: GuestId;
    mac: string;
    dryRun?: boolean | undefined;
    allowUnfilteredWindow?: boolean | undefined;
  }): Promise<Result<ApplyResult>> {
    return result(() =>
      this.protect(
        params.guestId,
        params.mac,
        null,
        params.dryRun ?? false,
        params.allowUnfilteredWindow ?? false,
      ),
    );
  }

  /**
   * Sets (or clears) an interface's protection, live and persistently, as one change: the
   * interface's operations (protection.ts) first, then the bindings planned again from the
   * host's intents, so the port's cuts stand around the new protection.
   */
  private async protect(
    guestId: GuestId,
    mac: string,
    preset: { presetId: string; parameters: FilterParameter[] } | null,
    dryRun: boolean,
    allowUnfilteredWindow: boolean,
  ): Promise<ApplyResult> {
    const s = this.session(parseGuestId(guestId).hostId);
    const name = s.inventory?.guests.find((g) => g.id === guestId)?.name ?? guestId;
    const r = await this.change(s, {
      kind: preset ? 'protect' : 'unprotect',
      applyId: randomUUID() as ApplyId,
      summary: preset
        ? `protect ${name} (${mac}) with ${preset.presetId}`
        : `remove spoof protection from ${name} (${mac})`,
      dryRun,
      allowUnfilteredWindow,
      edit: () => ({ set: [], remove: [] }),
      prepare: async ({ parsed }) => {
        const c = await protectionChange(s, parsed, guestId, mac, preset);
        return { operations: c.operations, windows: c.windows };
      },
      inflight: [],
    });
    return { ...r, cutIds: [] };
  }

  'presets.list'(): Promise<Result<ReturnType<typeof presetsList>>> {
    return Promise.resolve(ok(presetsList()));
  }

  // ---- labels (labels.ts) -----------------------------------------------------------------------

  'guests.labels'(params: LabelsRequest) {
    return result(() => writeLabels(this.session(parseGuestId(params.guestId).hostId), params));
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

  'activity.export'(params: {
    format: 'text' | 'virsh-script';
    hostId?: HostId | undefined;
    entryIds?: string[] | undefined;
  }) {
    return Promise.resolve(
      ok(
        this.activity.export(
          params.format,
          (id) => {
            const profile = this.sessions.get(id)?.profile;
            return profile
              ? virshConnection(profile, this.options.knownHostsPath)
              : { uri: 'qemu:///system', note: 'no such host any more: the local socket' };
          },
          params.hostId,
          params.entryIds,
        ),
      ),
    );
  }

  // ---- scenarios (scenario/runs.ts) -----------------------------------------------------------

  'scenario.plan'(params: ScenarioPlanRequest) {
    return this.scenarios.plan(params);
  }

  'scenario.start'(params: ScenarioStartRequest) {
    return this.scenarios.start(params);
  }

  'scenario.control'(params: RunControl) {
    return this.scenarios.control(params);
  }

  'scenario.runs'() {
    return this.scenarios.list();
  }

  'traffic.watch'(params: { seconds: number }) {
    return Promise.resolve(ok(this.traffic.watch(params.seconds)));
  }

  // ---- segments joined across hosts by the user (segment-groups.ts) ----------------------------

  'segments.list'() {
    return Promise.resolve(ok(this.segmentGroups.list()));
  }

  'segments.join'(params: SegmentJoinRequest) {
    return result(() => this.segmentGroups.join(params));
  }

  'segments.split'(params: SegmentSplitRequest) {
    return result(() => this.segmentGroups.split(params));
  }
}

/** Several hosts' parts of one change as one result (one part: the same, as the contract has it). */
function mergeResults(results: ApplyResult[], dryRun: boolean): ApplyResult {
  return {
    applyId: (results[0]?.applyId ?? randomUUID()) as ApplyId,
    dryRun,
    plan: {
      operations: results.flatMap((r) => r.plan.operations),
      cuts: results.flatMap((r) => r.plan.cuts),
      portsTouched: results.flatMap((r) => r.plan.portsTouched),
      unfilteredWindows: results.flatMap((r) => r.plan.unfilteredWindows),
    },
    cutIds: results.flatMap((r) => r.cutIds),
    replans: results.reduce((n, r) => n + (r.replans ?? 0), 0),
  };
}

export async function createEngine(options: EngineOptions): Promise<Engine> {
  const engine = new ChaosEngine(options);
  await engine.start();
  return engine;
}
