import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type ApplyResult,
  fail,
  guestId,
  HostId,
  ok,
  type PlannedStep,
  type RunStatus,
  type ScenarioPlan,
} from '../../../shared/api';
import {
  engineTestDouble,
  LAB_HOST,
  LAB_SEGMENT,
  labCut,
  labGuest,
  labHost,
  labInventory,
  labMac,
  labUuid,
} from '../../../shared/api/fixtures';
import { Scenario } from '../../../shared/scenario/model';
import { linkId } from '../graph/model';
import { laneLabel, mmss, nextThing, timelineLanes } from '../panels/scenario-timeline';
import { reduceEvent } from './reducers';
import { selectCurrentRun, selectForeignRuns, selectScenarioHighlight } from './scenario-selectors';
import { fileProblems, nemesisSource, runClock, untilNext } from './scenarios';
import { createChaosStore } from './store';

const [g1, g2, g3] = [labGuest(1), labGuest(2), labGuest(3)];
const end = (n: number) => ({ guestId: labGuest(n).id, mac: labMac(n) });

const step = (over: Partial<PlannedStep>): PlannedStep => ({
  id: '1',
  lane: '',
  atMs: 0,
  holdMs: null,
  kind: 'wait',
  description: 'wait',
  guests: [],
  effect: { kind: 'wait' },
  ...over,
});

const plan: ScenarioPlan = {
  name: 'demo',
  hostId: LAB_HOST,
  seed: 42,
  totalMs: 30_000,
  steps: [
    step({
      id: '1',
      kind: 'cut',
      holdMs: 10_000,
      description: 'cut lab-node1 from lab-node2',
      guests: ['lab-node1', 'lab-node2'],
      effect: {
        kind: 'apply',
        request: {
          cuts: [{ from: end(1), to: end(2), direction: 'both', scope: { kind: 'all' } }],
        },
      },
    }),
    step({ id: '2', atMs: 10_000, holdMs: 5_000, description: 'wait 5s' }),
    step({
      id: '3.1',
      lane: '3/1',
      atMs: 15_000,
      holdMs: 15_000,
      kind: 'partition',
      description: 'partition halves',
      guests: ['lab-node1', 'lab-node2', 'lab-node3'],
      effect: {
        kind: 'apply',
        request: { partition: { topology: 'halves', guestIds: [g1.id, g2.id, g3.id] } },
      },
    }),
    step({ id: '3.2', lane: '3/2', atMs: 15_000, holdMs: 5_000, description: 'wait 5s' }),
  ],
};

const run = (over: Partial<RunStatus> = {}): RunStatus => ({
  runId: 'run-1',
  plan,
  state: 'running',
  startedAt: '2025-01-01T00:00:00.000Z',
  clockMs: 2_000,
  stepStatus: ['active', 'waiting', 'waiting', 'waiting'],
  nextAtMs: 10_000,
  ...over,
});

const applied: ApplyResult = {
  applyId: 'apply-1' as never,
  dryRun: false,
  plan: { operations: [], cuts: [], portsTouched: [], unfilteredWindows: [] },
  cutIds: [],
};

const flush = () => new Promise((r) => setTimeout(r, 0));

async function started(answers: Parameters<typeof engineTestDouble>[0] = {}, clock = { t: 1_000 }) {
  const engine = engineTestDouble({
    'hosts.list': () => ok([labHost]),
    'presets.list': () => ok([]),
    'activity.list': () => ok([]),
    'inventory.get': () => ok(labInventory(3)),
    'scenario.runs': () => fail('internal', 'scenarios are not built yet'),
    'scenario.plan': () => ok(plan),
    'scenario.start': () => ok(run()),
    'scenario.control': (p) =>
      ok(run({ state: (p as { action: string }).action === 'pause' ? 'paused' : 'running' })),
    'chaos.apply': () => ok(applied),
    'chaos.heal': () => ok(applied),
    ...answers,
  });
  const store = createChaosStore(engine.api, { now: () => clock.t });
  store.getState().start();
  await flush();
  await flush();
  return { engine, store, clock };
}

describe('scenario problems and sources', () => {
  it("reads the engine's problems by line, with or without a file name", () => {
    expect(
      fileProblems(
        'raft.yaml:4:7 steps[1].cut.to: no guest matches lab-node9\n2:1 name: a name is required\nsteps: at least one step',
      ),
    ).toEqual([
      { line: 4, column: 7, path: 'steps[1].cut.to', message: 'no guest matches lab-node9' },
      { line: 2, column: 1, path: 'name', message: 'a name is required' },
      { line: 0, column: 0, path: 'steps', message: 'at least one step' },
    ]);
  });

  it('reads the nemesis picker, or says which field is wrong', () => {
    const form = {
      nemesis: 'bridge' as const,
      guests: 'lab-node*, label:role=db',
      interval: '2.5',
      jitter: '0',
      limit: 'duration' as const,
      rounds: '5',
      duration: '60',
    };
    expect(nemesisSource(form)).toEqual({
      ok: true,
      value: {
        kind: 'nemesis',
        nemesis: 'bridge',
        guests: ['lab-node*', 'label:role=db'],
        intervalSeconds: 2.5,
        jitterSeconds: 0,
        durationSeconds: 60,
      },
    });
    expect(nemesisSource({ ...form, interval: '0' })).toMatchObject({ ok: false });
    expect(nemesisSource({ ...form, limit: 'rounds', rounds: 'x' })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('rounds'),
    });
  });
});

describe('the timeline', () => {
  it('lays steps out in lanes, main first, each bar from its start to its undo', () => {
    const lanes = timelineLanes(plan);
    expect(lanes.map((l) => [l.id, l.label, l.bars.map((b) => b.step.id)])).toEqual([
      ['', 'main', ['1', '2']],
      ['3/1', 'step 3, branch 1', ['3.1']],
      ['3/2', 'step 3, branch 2', ['3.2']],
    ]);
    expect(lanes[1]?.bars[0]).toMatchObject({ leftPct: 50, widthPct: 50 });
    expect(laneLabel('4/2/1')).toBe('step 4/2, branch 1');
  });

  it('counts down in mm:ss, ticking locally from the last report while running', () => {
    const view = { status: run(), receivedAt: 1_000 };
    expect(runClock(view, 4_000)).toBe(5_000);
    expect(mmss(untilNext(view, 4_000) ?? -1)).toBe('00:05');
    expect(mmss(untilNext(view, 1_000) ?? -1)).toBe('00:08');
    const paused = { status: run({ state: 'paused' }), receivedAt: 1_000 };
    expect(untilNext(paused, 60_000)).toBe(8_000);
    expect(untilNext({ status: run({ state: 'done' }), receivedAt: 0 }, 0)).toBeNull();
    expect(nextThing(run())).toBe('undo: cut lab-node1 from lab-node2');
    expect(
      nextThing(run({ nextAtMs: 15_000, stepStatus: ['done', 'done', 'waiting', 'waiting'] })),
    ).toBe('partition halves');
  });
});

describe('scenario runs in the store', () => {
  it('Play plans, then starts with the seed of the plan shown; events move the run on', async () => {
    const { engine, store, clock } = await started();
    await store.getState().playScenario();
    const names = engine.calls.map((c) => c.name).filter((n) => n.startsWith('scenario.'));
    expect(names).toEqual(['scenario.runs', 'scenario.plan', 'scenario.start']);
    const startCall = engine.calls.find((c) => c.name === 'scenario.start');
    expect(startCall?.params).toMatchObject({
      hostId: LAB_HOST,
      seed: 42,
      paused: false,
      source: { kind: 'file' },
    });
    expect(store.getState().currentRunId).toBe('run-1');

    clock.t = 5_000;
    engine.emit({
      type: 'scenario.run',
      run: run({
        clockMs: 12_000,
        stepStatus: ['done', 'active', 'waiting', 'waiting'],
        nextAtMs: 15_000,
      }),
    });
    const current = selectCurrentRun(store.getState());
    expect(current?.receivedAt).toBe(5_000);
    expect(current?.status.stepStatus[1]).toBe('active');

    await store.getState().pauseScenario();
    expect(engine.calls.at(-1)).toEqual({
      name: 'scenario.control',
      params: { runId: 'run-1', action: 'pause' },
    });
    expect(store.getState().runs['run-1']?.status.state).toBe('paused');
    await store.getState().playScenario();
    expect(engine.calls.at(-1)?.params).toEqual({ runId: 'run-1', action: 'resume' });
    await store.getState().stopScenario();
    expect(engine.calls.at(-1)?.params).toEqual({ runId: 'run-1', action: 'stop' });
  });

  it('Step with no run starts one paused, then steps it', async () => {
    const { engine, store } = await started({
      'scenario.start': () => ok(run({ state: 'paused', clockMs: 0 })),
    });
    await store.getState().stepScenario();
    const tail = engine.calls.slice(-2);
    expect(tail[0]).toMatchObject({ name: 'scenario.start', params: { paused: true } });
    expect(tail[1]).toEqual({
      name: 'scenario.control',
      params: { runId: 'run-1', action: 'step' },
    });
  });

  it("a refused file shows the engine's problems by line and starts nothing", async () => {
    const { engine, store } = await started({
      'scenario.plan': () =>
        fail(
          'invalid-request',
          'split-brain.yaml:5:13 steps[0].guests[0]: no guest matches lab-node9',
        ),
    });
    await store.getState().playScenario();
    expect(store.getState().scenarioPlan).toMatchObject({
      state: 'refused',
      problems: [{ line: 5, column: 13, path: 'steps[0].guests[0]' }],
    });
    expect(engine.calls.some((c) => c.name === 'scenario.start')).toBe(false);
  });

  it('the active step lights its guests and its links on the graph', async () => {
    const { store, engine } = await started();
    engine.emit({ type: 'scenario.run', run: run() });
    const h = selectScenarioHighlight(store.getState());
    expect([...h.guestIds].sort()).toEqual([g1.id, g2.id].sort());
    expect([...h.linkIds]).toEqual([linkId(LAB_SEGMENT, g1.id, g2.id)]);
    // Halves of three: node1 against node2 and node3.
    engine.emit({
      type: 'scenario.run',
      run: run({ stepStatus: ['done', 'done', 'active', 'active'], clockMs: 16_000 }),
    });
    const after = selectScenarioHighlight(store.getState());
    expect([...after.linkIds].sort()).toEqual(
      [linkId(LAB_SEGMENT, g1.id, g2.id), linkId(LAB_SEGMENT, g1.id, g3.id)].sort(),
    );
    engine.emit({ type: 'scenario.run', run: run({ state: 'stopped' }) });
    expect(selectScenarioHighlight(store.getState()).linkIds.size).toBe(0);
  });

  it("groups other instances' runs by their cuts, and Stop heals exactly that run", async () => {
    const inventory = labInventory(3, {
      cuts: [
        labCut(1, 2, { runId: 'ci-7', author: { instance: 'x', user: 'ci@runner' } }),
        labCut(1, 3, { runId: 'ci-7', author: { instance: 'x', user: 'ci@runner' } }),
        labCut(2, 3),
      ],
    });
    const { store, engine } = await started({ 'inventory.get': () => ok(inventory) });
    expect(selectForeignRuns(store.getState())).toEqual([
      { hostId: LAB_HOST, runId: 'ci-7', authors: ['ci@runner'], cuts: 2, expiresAt: null },
    ]);
    await store.getState().stopForeignRun('ci-7');
    expect(engine.calls.at(-1)).toEqual({ name: 'chaos.heal', params: { runId: 'ci-7' } });
    // A run of this engine is not someone else's.
    expect(
      reduceEvent(store.getState(), { type: 'scenario.run', run: run({ runId: 'ci-7' }) }, 0).patch
        .runs?.['ci-7'],
    ).toBeDefined();
  });
});

describe('scenarios over several hosts', () => {
  // A second host with a guest named as one of the lab's (lab-node1) and one of its own.
  const H2 = HostId.parse('kvm2');
  const onH2 = (n: number) => labGuest(n, { id: guestId(H2, labUuid(n)), hostId: H2 });
  const host2 = { ...labHost, id: H2, label: 'kvm2', status: { ...labHost.status, hostId: H2 } };
  const twoHosts = {
    'hosts.list': () => ok([labHost, host2]),
    'segments.list': () => ok([]),
    'inventory.get': (p: unknown) =>
      ok(
        (p as { hostId: string }).hostId === H2
          ? labInventory(0, { hostId: H2, hostname: 'kvm2', guests: [onH2(1), onH2(4)] })
          : labInventory(3),
      ),
  };
  const callsOf = (engine: { calls: { name: string; params: unknown }[] }, name: string) =>
    engine.calls.filter((c) => c.name === name).map((c) => c.params);

  it('plans and runs over every connected host together, or over the one picked', async () => {
    const { engine, store } = await started(twoHosts);
    await store.getState().playScenario();
    const both = { hostId: LAB_HOST, hostIds: [LAB_HOST, H2] };
    expect(callsOf(engine, 'scenario.plan')).toEqual([expect.objectContaining(both)]);
    expect(callsOf(engine, 'scenario.start')).toEqual([expect.objectContaining(both)]);

    store.getState().setScenarioHost(H2);
    await store.getState().planScenario();
    const one = callsOf(engine, 'scenario.plan').at(-1);
    expect(one).toMatchObject({ hostId: H2 });
    expect(one).not.toHaveProperty('hostIds');
  });

  it('a run across hosts lights its guests on each host, name@host where a name is on both', async () => {
    const { engine, store } = await started(twoHosts);
    const across: ScenarioPlan = {
      ...plan,
      hostIds: [LAB_HOST, H2],
      steps: [step({ kind: 'cut', guests: ['lab-node1@kvm2', 'lab-node2', 'lab-node4'] })],
    };
    engine.emit({
      type: 'scenario.run',
      run: run({ plan: across, stepStatus: ['active'], nextAtMs: null }),
    });
    const lit = selectScenarioHighlight(store.getState()).guestIds;
    expect([...lit].sort()).toEqual([onH2(1).id, g2.id, onH2(4).id].sort());
  });
});

describe('recording', () => {
  it('two knife strokes and a heal become a scenario with the waits between them', async () => {
    const { store, clock } = await started();
    const l12 = linkId(LAB_SEGMENT, g1.id, g2.id);
    const l13 = linkId(LAB_SEGMENT, g1.id, g3.id);
    store.getState().startRecording();
    clock.t = 3_000;
    await store.getState().cutMarked([{ id: l12, direction: 'forward' }], false);
    clock.t = 7_500;
    store.getState().typeDuration('20');
    await store.getState().cutMarked([{ id: l13, direction: 'forward' }], true);
    clock.t = 40_000;
    await store.getState().healAll();
    store.getState().stopRecording();

    const s = store.getState();
    expect(s.recording.state).toBe('off');
    expect(s.scenarioTab).toBe('file');
    expect(s.scenarioFile.filename).toMatch(/^recorded-.*\.yaml$/);
    const scenario = Scenario.parse(parse(s.scenarioFile.text));
    // The pause before the first action is not kept: a replay starts with it.
    expect(scenario.steps).toEqual([
      { cut: { from: 'lab-node1', to: 'lab-node2' } },
      { wait: '4.5s' },
      { cut: { from: 'lab-node1', to: 'lab-node3', direction: 'one-way' }, duration: '20s' },
      { wait: '12.5s' },
      { heal: 'run' },
    ]);
  });

  it('records nothing when not recording, and says so when a recording holds nothing', async () => {
    const { store } = await started();
    const l12 = linkId(LAB_SEGMENT, g1.id, g2.id);
    await store.getState().cutMarked([{ id: l12, direction: 'forward' }], false);
    store.getState().startRecording();
    store.getState().stopRecording();
    expect(store.getState().notices.at(-1)?.message).toMatch(/^Nothing recorded/);
    expect(store.getState().scenarioFile.filename).toBe('split-brain.yaml');
  });
});
