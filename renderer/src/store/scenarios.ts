import type { StoreApi } from 'zustand/vanilla';
import type {
  ActivityKind,
  ApiError,
  ApplyRequest,
  ChaosApi,
  CutEnd,
  GuestId,
  HealRequest,
  HostId,
  Parsed,
  Result,
  RunControl,
  RunStatus,
  ScenarioPlan,
  ScenarioSource,
} from '../../../shared/api';
import { guestEndsOf, isGuestCut, isGuestEnd } from '../../../shared/api';
import {
  type RecordedAction,
  type RecordedCut,
  scenarioFromRecording,
  scenarioYaml,
} from '../../../shared/scenario/record';
import type { ChaosState, Notice } from './initial-state';
import type {
  FileProblem,
  NemesisForm,
  RunView,
  ScenarioFile,
  ScenarioState,
} from './scenario-state';

// The Scenarios panel's actions: plan a file or a nemesis on a host, play, pause, step and stop
// the run, stop another instance's run, and record the user's next actions into a scenario. The
// engine does the running; the UI only asks and shows what scenario.run events say.

export type ScenarioActions = {
  setScenarioTab(tab: ScenarioState['scenarioTab']): void;
  /** A file opened (or recorded): its text replaces the editor's, the old plan goes. */
  openScenarioFile(file: ScenarioFile): void;
  editScenarioText(text: string): void;
  setNemesisForm(patch: Partial<NemesisForm>): void;
  setScenarioSeed(text: string): void;
  setScenarioHost(hostId: HostId | null): void;
  planScenario(): Promise<ScenarioPlan | null>;
  /** Starts the planned scenario (planning it first), or resumes the paused run. */
  playScenario(): Promise<void>;
  pauseScenario(): Promise<void>;
  /** Runs the next thing now, then pauses; with no run, starts one paused first. */
  stepScenario(): Promise<void>;
  stopScenario(): Promise<void>;
  followRun(runId: string): void;
  /** Heals a run this engine does not drive (another instance's, or a killed one's). */
  stopForeignRun(runId: string): Promise<void>;
  startRecording(): void;
  /** Ends the recording; what was recorded becomes the editor's text (nothing: a notice). */
  stopRecording(): void;
};

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An action before the recorder stamps its time. */
export type UnstampedAction = DistributiveOmit<RecordedAction, 'atMs'>;

/** What the store lends the scenario actions: its state, its calls and its ways to tell. */
export type ScenarioTools = {
  api: ChaosApi;
  now: () => number;
  set: StoreApi<ChaosState>['setState'];
  get: () => ChaosState;
  notify(tone: Notice['tone'], message: string, hint?: string): void;
  report(error: ApiError): void;
  /** A change that may need the user's consent for an unfiltered window (see store.ts). */
  change<T>(
    label: string,
    kind: ActivityKind,
    linkIds: string[],
    send: (consent: { allowUnfilteredWindow?: true }) => Promise<Result<T>>,
  ): Promise<{ value: T } | null>;
};

const LIVE: ReadonlySet<RunStatus['state']> = new Set(['running', 'paused', 'stopping']);
export const isLive = (run: RunStatus) => LIVE.has(run.state);

/**
 * The engine's refusal, one problem per line as compilers print them ("raft.yaml:4:7
 * steps[1].cut.to: missing", the file name left out when there is none); a line without a place
 * is a problem of the file as a whole (line 0).
 */
export function fileProblems(message: string): FileProblem[] {
  const problems: FileProblem[] = [];
  for (const raw of message.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(?:(?:.*?):)?(\d+):(\d+):?\s+(.*)$/.exec(line);
    const rest = m ? (m[3] ?? '') : line;
    const colon = rest.indexOf(': ');
    const pathLike = colon > 0 && !/\s/.test(rest.slice(0, colon));
    problems.push({
      line: m ? Number(m[1]) : 0,
      column: m ? Number(m[2]) : 0,
      path: pathLike ? rest.slice(0, colon) : '',
      message: pathLike ? rest.slice(colon + 2) : rest,
    });
  }
  return problems;
}

function seconds(text: string, what: string, zero: boolean): Parsed<number | undefined> {
  const t = text.trim();
  if (t === '') return { ok: true, value: undefined };
  const n = /^\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
  if (Number.isNaN(n) || (!zero && n === 0) || n > 7 * 86_400)
    return { ok: false, problem: `${what}: '${t}' is not a number of seconds` };
  return { ok: true, value: n };
}

/** The nemesis picker as a source, or what is wrong with it. */
export function nemesisSource(form: NemesisForm): Parsed<ScenarioSource> {
  const interval = seconds(form.interval, 'interval', false);
  const jitter = seconds(form.jitter, 'jitter', true);
  const duration = seconds(form.duration, 'duration', false);
  const roundsText = form.rounds.trim();
  const rounds = /^\d{1,5}$/.test(roundsText) && Number(roundsText) > 0 ? Number(roundsText) : null;
  for (const p of [interval, jitter, duration]) if (!p.ok) return p;
  if (form.limit === 'rounds' && roundsText && rounds === null)
    return { ok: false, problem: `rounds: '${roundsText}' is not a whole number from 1` };
  const guests = form.guests.split(/[\s,]+/).filter(Boolean);
  const value: ScenarioSource = {
    kind: 'nemesis',
    nemesis: form.nemesis,
    ...(guests.length ? { guests } : {}),
    ...(interval.ok && interval.value !== undefined ? { intervalSeconds: interval.value } : {}),
    ...(jitter.ok && jitter.value !== undefined ? { jitterSeconds: jitter.value } : {}),
    ...(form.limit === 'rounds' && rounds !== null ? { rounds } : {}),
    ...(form.limit === 'duration' && duration.ok && duration.value !== undefined
      ? { durationSeconds: duration.value }
      : {}),
  };
  return { ok: true, value };
}

export function readSeed(text: string): Parsed<number | undefined> {
  const t = text.trim();
  if (t === '') return { ok: true, value: undefined };
  const n = /^\d{1,10}$/.test(t) ? Number(t) : -1;
  return n >= 0 && n <= 2 ** 32 - 1
    ? { ok: true, value: n }
    : { ok: false, problem: `seed: '${t}' is not a whole number from 0 to 4294967295` };
}

/**
 * The hosts plans are made over: the one picked, else every connected host, whose guests one
 * file then names together (as the CLI's several -c).
 */
export function scenarioHosts(s: ChaosState): HostId[] {
  const connected = s.hosts.filter((h) => h.status.state === 'connected').map((h) => h.id);
  if (s.scenarioHostId && connected.includes(s.scenarioHostId)) return [s.scenarioHostId];
  return connected;
}

/** The hosts as a plan or start request names them. */
function hostsRequest(hosts: readonly HostId[]): { hostId: HostId; hostIds?: HostId[] } | null {
  const [first] = hosts;
  if (!first) return null;
  return hosts.length > 1 ? { hostId: first, hostIds: [...hosts] } : { hostId: first };
}

/** A run's clock now: it ticks on from the last report while the run runs. */
export function runClock(view: RunView, now: number): number {
  const { status, receivedAt } = view;
  if (status.state !== 'running') return status.clockMs;
  return Math.min(status.plan.totalMs, status.clockMs + Math.max(0, now - receivedAt));
}

/** Time until the next step or undo, ticking locally; null when nothing more will happen. */
export function untilNext(view: RunView, now: number): number | null {
  if (view.status.nextAtMs === null || !isLive(view.status)) return null;
  return Math.max(0, view.status.nextAtMs - runClock(view, now));
}

// ---- recording: the store's calls in the scenario's words (guests by name) ---------------------

function guestNames(s: ChaosState) {
  const names = new Map<string, string>();
  const segmentsOf = new Map<string, Map<string, string>>();
  const segmentName = new Map<string, string>();
  for (const inventory of Object.values(s.inventories)) {
    for (const segment of inventory.segments) segmentName.set(segment.id, segment.name);
    for (const guest of inventory.guests) {
      names.set(guest.id, guest.name);
      const bySegment = new Map<string, string>();
      for (const i of guest.interfaces) if (i.segmentId) bySegment.set(i.segmentId, i.mac);
      segmentsOf.set(guest.id, bySegment);
    }
  }
  const name = (id: string) => names.get(id) ?? id;
  /** The segment's name when the two guests share several (the file must then say which). */
  const segment = (from: string, to: string, mac: string): string | undefined => {
    const a = segmentsOf.get(from);
    const b = segmentsOf.get(to);
    const shared = [...(a?.keys() ?? [])].filter((id) => b?.has(id));
    if (shared.length < 2) return undefined;
    const id = shared.find((x) => a?.get(x) === mac) ?? shared[0];
    return id ? segmentName.get(id) : undefined;
  };
  return { name, segment };
}

export function recordedApply(
  s: ChaosState,
  request: ApplyRequest,
  durationSeconds: number | null,
): UnstampedAction {
  const { name, segment } = guestNames(s);
  if ('cuts' in request) {
    // Guests by name; the outside as the user named it ("gateway", a DNS name), so a replay
    // finds each guest's own gateway and resolves the name anew, as the file's steps do.
    const end = (e: CutEnd) => (isGuestEnd(e) ? name(e.guestId) : { outside: e.name ?? e.address });
    const cuts: RecordedCut[] = request.cuts.map((c) => ({
      from: end(c.from),
      to: end(c.to),
      direction: c.direction,
      scope: c.scope,
      segment: isGuestCut(c) ? segment(c.from.guestId, c.to.guestId, c.from.mac) : undefined,
    }));
    return { kind: 'cut', cuts, durationSeconds };
  }
  const p = request.partition;
  return p.topology === 'groups'
    ? {
        kind: 'partition',
        topology: 'groups',
        guests: p.groups.flat().map(name),
        groups: p.groups.map((g) => g.map(name)),
        durationSeconds,
      }
    : { kind: 'partition', topology: p.topology, guests: p.guestIds.map(name), durationSeconds };
}

/** A heal in the file's words; `healed` are the cuts it healed (read before it ran). */
export function recordedHeal(
  s: ChaosState,
  request: HealRequest | { cutIds: readonly string[] },
): UnstampedAction | null {
  const { name } = guestNames(s);
  if ('all' in request || 'hostId' in request) return { kind: 'heal', guests: 'all' };
  if ('guestId' in request) return { kind: 'heal', guests: [name(request.guestId)] };
  if (!('cutIds' in request)) return null;
  const ids = new Set<string>(request.cutIds);
  const cuts = Object.values(s.inventories).flatMap((i) => i.cuts.filter((c) => ids.has(c.id)));
  const guests = [...new Set(cuts.flatMap((c) => guestEndsOf(c).map((e) => e.guestId)))].map(name);
  return guests.length ? { kind: 'heal', guests } : null;
}

export function recordedProtection(
  s: ChaosState,
  guestId: GuestId,
  change: { presetId: string; parameters: { name: string; value: string }[] } | null,
): UnstampedAction {
  const guests = [guestNames(s).name(guestId)];
  return change ? { kind: 'protect', guests, ...change } : { kind: 'unprotect', guests };
}

const pad = (n: number) => String(n).padStart(2, '0');

function recordingName(at: number): string {
  const d = new Date(at);
  return `recorded-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}`;
}

// ---- the actions ------------------------------------------------------------------------------

export function createScenarioActions(tools: ScenarioTools): {
  actions: ScenarioActions;
  /** Keeps an action the user just did, when a recording is under way; `at` is when they did. */
  record(at: number, action: () => UnstampedAction | null): void;
} {
  const { api, now, set, get, notify, report, change } = tools;

  const source = (): Parsed<ScenarioSource> => {
    const s = get();
    if (s.scenarioTab === 'nemesis') return nemesisSource(s.nemesisForm);
    const { text, filename } = s.scenarioFile;
    if (!text.trim()) return { ok: false, problem: 'the file is empty: open one, or write steps' };
    return { ok: true, value: { kind: 'file', text, filename } };
  };

  const keepRun = (run: RunStatus, follow: boolean) =>
    set((s) => ({
      runs: { ...s.runs, [run.runId]: { status: run, receivedAt: now() } },
      currentRunId: follow ? run.runId : s.currentRunId,
    }));

  const current = () => {
    const s = get();
    const view = s.currentRunId ? s.runs[s.currentRunId] : undefined;
    return view && isLive(view.status) ? view.status : null;
  };

  const control = async (action: RunControl['action']) => {
    const run = current();
    if (!run) return;
    const result = await api['scenario.control']({ runId: run.runId, action });
    if (result.ok) keepRun(result.value, true);
    else report(result.error);
  };

  const plan = async (): Promise<ScenarioPlan | null> => {
    const hosts = scenarioHosts(get());
    const on = hostsRequest(hosts);
    const from = source();
    const seed = readSeed(get().scenarioSeed);
    const problem = !on
      ? 'no connected host to plan on'
      : !from.ok
        ? from.problem
        : !seed.ok
          ? seed.problem
          : null;
    if (problem || !on || !from.ok || !seed.ok) {
      const error: ApiError = { code: 'invalid-request', message: problem ?? '' };
      set({ scenarioPlan: { state: 'refused', error, problems: [] } });
      return null;
    }
    set({ scenarioPlan: { state: 'planning' } });
    const request = {
      ...on,
      source: from.value,
      ...(seed.value === undefined ? {} : { seed: seed.value }),
    };
    const result = await api['scenario.plan'](request);
    if (!result.ok) {
      set({
        scenarioPlan: {
          state: 'refused',
          error: result.error,
          problems: from.value.kind === 'file' ? fileProblems(result.error.message) : [],
        },
      });
      return null;
    }
    set({ scenarioPlan: { state: 'planned', plan: result.value, source: from.value, hosts } });
    return result.value;
  };

  /** Plans (unless the plan shown is still the one of this source) and starts it. */
  const start = async (paused: boolean) => {
    const shown = get().scenarioPlan;
    const from = source();
    const fresh =
      shown.state === 'planned' &&
      from.ok &&
      JSON.stringify(shown.source) === JSON.stringify(from.value) &&
      shown.hosts.join() === scenarioHosts(get()).join();
    const planned = fresh ? shown.plan : await plan();
    const latest = get().scenarioPlan;
    const on = latest.state === 'planned' ? hostsRequest(latest.hosts) : null;
    if (!planned || latest.state !== 'planned' || !on) return null;
    // The seed of the plan shown, so the run does exactly what the timeline says.
    const request = { ...on, source: latest.source, seed: planned.seed, paused };
    const result = await change(`Run ${planned.name}`, 'apply', [], (consent) =>
      api['scenario.start']({ ...request, ...consent }),
    );
    if (!result) return null;
    keepRun(result.value, true);
    // The run carries its plan from now on; a later Play plans again.
    set({ scenarioPlan: { state: 'none' } });
    notify('info', `${planned.name}: run ${result.value.runId} started (seed ${planned.seed}).`);
    return result.value;
  };

  const actions: ScenarioActions = {
    setScenarioTab(scenarioTab) {
      set({ scenarioTab, scenarioPlan: { state: 'none' } });
    },
    openScenarioFile(scenarioFile) {
      set({ scenarioFile, scenarioTab: 'file', scenarioPlan: { state: 'none' } });
    },
    editScenarioText(text) {
      set((s) => ({ scenarioFile: { ...s.scenarioFile, text } }));
    },
    setNemesisForm(patch) {
      set((s) => ({ nemesisForm: { ...s.nemesisForm, ...patch } }));
    },
    setScenarioSeed(scenarioSeed) {
      set({ scenarioSeed });
    },
    setScenarioHost(scenarioHostId) {
      set({ scenarioHostId, scenarioPlan: { state: 'none' } });
    },
    planScenario: plan,
    async playScenario() {
      const run = current();
      if (run?.state === 'paused') return control('resume');
      if (!run) await start(false);
    },
    pauseScenario: () => control('pause'),
    async stepScenario() {
      if (current()) return control('step');
      if (await start(true)) await control('step');
    },
    stopScenario: () => control('stop'),
    followRun(runId) {
      set({ currentRunId: runId });
    },
    async stopForeignRun(runId) {
      const label = `Stop run ${runId}`;
      const result = await change(label, 'heal', [], (consent) =>
        api['chaos.heal']({ runId, ...consent }),
      );
      if (result) notify('success', `${label}: ${result.value.cutIds.length} cuts healed.`);
    },
    startRecording() {
      set({ recording: { state: 'on', startedAt: now(), actions: [] } });
      notify('info', 'Recording: your next cuts, partitions, heals and protection changes.');
    },
    stopRecording() {
      const recording = get().recording;
      if (recording.state !== 'on') return;
      set({ recording: { state: 'off' } });
      const name = recordingName(recording.startedAt);
      const scenario = scenarioFromRecording(recording.actions, { name });
      if (!scenario) {
        notify('info', 'Nothing recorded: no cut, partition or protection change was made.');
        return;
      }
      const comment = `Recorded in kvm-chaos on ${new Date(recording.startedAt).toISOString()}`;
      actions.openScenarioFile({ filename: `${name}.yaml`, text: scenarioYaml(scenario, comment) });
      notify(
        'success',
        `Recorded ${recording.actions.length} actions as ${name}.yaml: plan, play or save it.`,
      );
    },
  };

  const record = (at: number, make: () => UnstampedAction | null) => {
    const recording = get().recording;
    if (recording.state !== 'on') return;
    const action = make();
    if (!action) return;
    const stamped = { ...action, atMs: Math.max(0, at - recording.startedAt) } as RecordedAction;
    set({ recording: { ...recording, actions: [...recording.actions, stamped] } });
  };

  return { actions, record };
}
