// The scenario runner against the real lab, through createEngine like any face: handmade plans
// run on the run's clock, a pause shifts what comes after it, a stop heals exactly what the run
// made (a cut another instance made before the run stays), and a heal of the run's cuts from
// another instance (`heal --run ID`) stops the run.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  exactlyCut,
  fullyConnected,
  holds,
  type Protocol,
  waitForMatrix,
} from '../../../lab/lab-client';
import {
  type Guest,
  type PlannedEffect,
  type PlannedStep,
  type RunStatus,
  type ScenarioPlan,
  unwrap,
} from '../../../shared/api';
import type { ReportRecord, ReportRecordOf } from '../../../shared/scenario/report';
import { bindingXmls, type LabEngine, labEngine, ourFilters } from '../lab-support';
import { EXPIRY_GRACE_SECONDS, type RunOptions, ScenarioRun } from './run';

const P: Protocol[] = ['icmp', 'tcp'];
let lab: LabEngine;
let original: Map<string, string>;
let g1: Guest;
let g2: Guest;
let g3: Guest;
let runs = 0;

beforeAll(async () => {
  lab = await labEngine();
  await waitForMatrix(fullyConnected, {
    timeoutMs: 60_000,
    state: lab.lab,
    what: 'a connected lab',
  });
  original = await bindingXmls();
  g1 = await lab.guest('lab-node1');
  g2 = await lab.guest('lab-node2');
  g3 = await lab.guest('lab-node3');
}, 90_000);
/** Runs of the current test: one that failed an assertion midway must not run on into the next. */
const started: ScenarioRun[] = [];
afterEach(async () => {
  for (const run of started.splice(0)) {
    run.stop('the test ended');
    await run.finished;
  }
});
afterAll(async () => {
  await lab?.engine['chaos.heal']({ all: true });
  await lab?.close();
});

const end = (g: Guest) => ({ guestId: g.id, mac: g.interfaces[0]?.mac as string });

const isolate = (g: Guest): PlannedEffect => ({
  kind: 'apply',
  request: { partition: { topology: 'isolate', guestIds: [g.id] } },
});
const cut = (a: Guest, b: Guest): PlannedEffect => ({
  kind: 'apply',
  request: { cuts: [{ from: end(a), to: end(b), direction: 'both', scope: { kind: 'all' } }] },
});

function step(
  id: string,
  atMs: number,
  holdMs: number | null,
  effect: PlannedEffect,
  kind: PlannedStep['kind'] = effect.kind === 'apply'
    ? 'cut'
    : (effect.kind as PlannedStep['kind']),
): PlannedStep {
  return { id, lane: '', atMs, holdMs, kind, description: `step ${id}`, guests: [], effect };
}

function plan(totalMs: number, steps: PlannedStep[]): ScenarioPlan {
  return { name: 'runner lab test', hostId: lab.hostId, seed: 7, totalMs, steps };
}

/** Both directions of every pair, over icmp and tcp. */
function flowsBetween(pairs: [string, string][]) {
  return pairs.flatMap(([a, b]) =>
    P.flatMap((protocol) => [
      { from: a, to: b, protocol },
      { from: b, to: a, protocol },
    ]),
  );
}

function start(p: ScenarioPlan, options: Partial<RunOptions> = {}) {
  const records: ReportRecord[] = [];
  const statuses: RunStatus[] = [];
  const run = new ScenarioRun(
    {
      api: lab.engine,
      author: lab.engine.author,
      emit: (s) => statuses.push(s),
      record: (r) => records.push(r),
    },
    { runId: `runner-test-${process.pid}-${++runs}`, plan: p, ...options },
  );
  started.push(run);
  const until = async <T extends ReportRecord['type']>(
    type: T,
    index?: number,
    timeoutMs = 20_000,
  ): Promise<ReportRecordOf<T>> => {
    const t0 = Date.now();
    for (;;) {
      const r = records.find(
        (x): x is ReportRecordOf<T> =>
          x.type === type && (index === undefined || ('index' in x && x.index === index)),
      );
      if (r) return r;
      if (Date.now() - t0 > timeoutMs)
        throw new Error(`no ${type} ${index ?? ''} in ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  return { run, records, statuses, until };
}

async function eventually<T>(f: () => Promise<T | null>, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`not so within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const wall = (r: { at: string }, from: { at: string }) => Date.parse(r.at) - Date.parse(from.at);

/**
 * The ms spent undoing what was due at `fromMs` before a step starting then could begin (a
 * step's hold ends before the next step starts): a step is late by that much, never by what
 * earlier steps took.
 */
/**
 * When the run was last busy with a call between two clock times: a step due while a call (an
 * undo, or an earlier step's apply that overran its slot on a slow host) is in flight starts
 * when it ends; calls never overlap. Records are stamped when their call ended.
 */
function busyUntil(records: readonly ReportRecord[], fromMs: number, toMs: number): number {
  return records
    .filter(
      (x) =>
        (x.type === 'step.applied' || x.type === 'step.undone') &&
        x.clockMs >= fromMs &&
        x.clockMs <= toMs,
    )
    .reduce((end, x) => Math.max(end, x.clockMs), fromMs);
}

async function expectHostAsBefore() {
  expect((await lab.inventory()).cuts).toEqual([]);
  expect(await bindingXmls()).toEqual(original);
  expect(await ourFilters()).toEqual([]);
}

describe('a scenario run on the lab', () => {
  it('runs a 4-step plan on its clock: each effect in the matrix, undone on time, the host as before', async () => {
    const p = plan(19_000, [
      step('1', 0, 8_000, isolate(g1), 'partition'),
      step('2', 8_000, 3_000, {
        kind: 'protect',
        targets: [end(g3)],
        presetId: 'clean-traffic',
        parameters: [],
      }),
      step('3', 11_000, null, cut(g2, g3)),
      step('4', 19_000, null, { kind: 'heal', guestIds: null }),
    ]);
    const r = start(p);
    const begin = await r.until('run.start');
    const applied1 = await r.until('step.applied', 0);
    expect(applied1.cutIds).toHaveLength(2);
    expect(applied1.durationSeconds).toBe(8 + EXPIRY_GRACE_SECONDS);
    expect(applied1.operations.length).toBeGreaterThan(0);
    const isolated = await waitForMatrix(
      (m) =>
        holds(
          m,
          exactlyCut(
            lab.lab,
            P,
            flowsBetween([
              ['lab-node1', 'lab-node2'],
              ['lab-node1', 'lab-node3'],
            ]),
          ),
        ),
      { timeoutMs: 7_000, state: lab.lab, what: 'step 1: lab-node1 isolated' },
    );
    expect(isolated.elapsedMs).toBeLessThan(7_000);

    const protectedNow = await r.until('step.applied', 1);
    expect(protectedNow.clockMs).toBeGreaterThanOrEqual(8_000);
    expect((await lab.guest('lab-node3')).interfaces[0]?.protection).toMatchObject({
      kind: 'preset',
      presetId: 'clean-traffic',
    });

    const applied3 = await r.until('step.applied', 2);
    // A held cut's expiry lasts until the plan's end (19 s on the clock), plus grace.
    const start3 = await r.until('step.start', 2);
    const expiry = Math.ceil((19_000 - start3.clockMs) / 1000) + EXPIRY_GRACE_SECONDS;
    expect(applied3.durationSeconds).toBeGreaterThanOrEqual(expiry - 1);
    expect(applied3.durationSeconds).toBeLessThanOrEqual(expiry);
    expect((await lab.guest('lab-node3')).interfaces[0]?.protection).toEqual({ kind: 'none' });
    await waitForMatrix(
      (m) => holds(m, exactlyCut(lab.lab, P, flowsBetween([['lab-node2', 'lab-node3']]))),
      { timeoutMs: 7_000, state: lab.lab, what: 'step 3: lab-node2 | lab-node3' },
    );

    const status = await r.run.finished;
    expect(status.state).toBe('done');
    expect(status.stepStatus).toEqual(['done', 'done', 'done', 'done']);

    // Steps start at their planned time on the clock whatever the calls took: no drift.
    const starts = r.records.filter((x) => x.type === 'step.start');
    expect(starts.map((x) => x.stepId)).toEqual(['1', '2', '3', '4']);
    console.log(
      r.records
        .filter((x) => 'ms' in x)
        .map(
          (x) =>
            `${x.type} ${'stepId' in x ? x.stepId : ''} at ${x.clockMs} ms took ${Math.round((x as { ms: number }).ms)} ms`,
        )
        .join('\n'),
    );
    for (const s of starts) {
      const planned = p.steps[s.index]?.atMs as number;
      expect(s.clockMs).toBeGreaterThanOrEqual(planned);
      // Due at its planned time, or as soon as the call then in flight ended: never later.
      expect(s.clockMs - busyUntil(r.records, planned, s.clockMs)).toBeLessThan(300);
      expect(Math.abs(wall(s, begin) - s.clockMs)).toBeLessThan(300);
    }
    const undone = r.records.filter((x) => x.type === 'step.undone');
    expect(undone.map((x) => [x.stepId, x.why])).toEqual([
      ['1', 'planned'],
      ['2', 'planned'],
      ['3', 'heal'],
    ]);
    const healStep = await r.until('step.applied', 3);
    expect(healStep.cutIds).toEqual(applied3.cutIds);
    const last = r.records.at(-1) as ReportRecordOf<'run.end'>;
    expect(last).toMatchObject({ type: 'run.end', state: 'done', left: [] });
    expect([...last.healed].sort()).toEqual([...applied1.cutIds, ...applied3.cutIds].sort());
    expect(r.statuses.at(-1)?.state).toBe('done');
    await waitForMatrix(fullyConnected, {
      timeoutMs: 15_000,
      state: lab.lab,
      what: 'every flow back',
    });
    await expectHostAsBefore();
  }, 60_000);

  it('a pause shifts every later step; step runs the next event with the clock moved to it', async () => {
    const p = plan(5_000, [step('1', 0, 3_000, cut(g1, g2)), step('2', 3_000, 2_000, cut(g2, g3))]);
    const r = start(p);
    const begin = await r.until('run.start');
    await r.until('step.applied', 0);
    r.run.pause();
    const pausedAt = r.run.status().clockMs;
    await new Promise((res) => setTimeout(res, 2_500));
    expect(r.run.status()).toMatchObject({ state: 'paused', clockMs: pausedAt, nextAtMs: 3_000 });
    r.run.resume();
    await r.run.finished;
    const undo1 = await r.until('step.undone', 0);
    const start2 = await r.until('step.start', 1);
    expect(undo1.clockMs).toBeGreaterThanOrEqual(3_000);
    expect(start2.clockMs - busyUntil(r.records, 3_000, start2.clockMs)).toBeLessThan(300);
    // On the wall, both came the pause's length later than planned.
    expect(wall(undo1, begin)).toBeGreaterThanOrEqual(3_000 + 2_400);
    expect(wall(start2, begin)).toBeGreaterThanOrEqual(3_000 + 2_400);
    expect(r.records.map((x) => x.type)).toContain('run.paused');
    expect(r.run.status().state).toBe('done');
    await expectHostAsBefore();

    // Started paused, the run does one event per step, and only then.
    const s = start(
      plan(5_000, [step('1', 0, 3_000, cut(g1, g2)), step('2', 3_000, 2_000, cut(g2, g3))]),
      {
        paused: true,
      },
    );
    await new Promise((res) => setTimeout(res, 500));
    expect(s.run.status()).toMatchObject({
      state: 'paused',
      clockMs: 0,
      stepStatus: ['waiting', 'waiting'],
    });
    s.run.step();
    await s.until('step.applied', 0);
    s.run.step();
    const undone = await s.until('step.undone', 0);
    expect(undone.clockMs).toBe(3_000);
    expect(s.run.status()).toMatchObject({ state: 'paused', stepStatus: ['done', 'waiting'] });
    expect((await lab.inventory()).cuts).toEqual([]);
    s.run.step();
    await s.until('step.applied', 1);
    expect(s.run.status().state).toBe('paused');
    s.run.stop();
    const stopped = await s.run.finished;
    expect(stopped).toMatchObject({ state: 'stopped', stepStatus: ['done', 'done'] });
    await expectHostAsBefore();
  }, 60_000);

  it('stopped midway, it heals exactly its own cuts; a cut another instance made before stays', async () => {
    const other = await labEngine();
    try {
      unwrap(
        await other.engine['chaos.apply']({
          cuts: [{ from: end(g1), to: end(g3), direction: 'one-way', scope: { kind: 'all' } }],
        }),
      );
      // This engine learns of the other's cut from libvirt's metadata event or its next poll.
      const before = await eventually(async () => {
        const cuts = (await lab.inventory()).cuts;
        return cuts.length === 1 ? cuts : null;
      });
      const r = start(
        plan(60_000, [
          step('1', 0, 30_000, isolate(g2), 'partition'),
          step('2', 30_000, 30_000, cut(g1, g3)),
        ]),
      );
      const applied = await r.until('step.applied', 0);
      expect(applied.cutIds).toHaveLength(2);
      await waitForMatrix(
        (m) =>
          holds(
            m,
            exactlyCut(lab.lab, P, [
              ...flowsBetween([
                ['lab-node2', 'lab-node1'],
                ['lab-node2', 'lab-node3'],
              ]),
              // one-way: round trips die both ways
              ...flowsBetween([['lab-node1', 'lab-node3']]),
            ]),
          ),
        { timeoutMs: 10_000, state: lab.lab, what: 'lab-node2 isolated beside the earlier cut' },
      );
      r.run.stop('stopped by the test');
      const status = await r.run.finished;
      expect(status).toMatchObject({ state: 'stopped', reason: 'stopped by the test' });
      expect(status.stepStatus).toEqual(['done', 'skipped']);
      const after = (await lab.inventory()).cuts;
      expect(after.map((c) => [c.id, c.author, c.runId, c.expiresAt])).toEqual(
        before.map((c) => [c.id, c.author, c.runId, c.expiresAt]),
      );
      expect((r.records.at(-1) as ReportRecordOf<'run.end'>).healed.sort()).toEqual(
        [...applied.cutIds].sort(),
      );
      unwrap(await other.engine['chaos.heal']({ all: true }));
      await eventually(async () => ((await lab.inventory()).cuts.length === 0 ? true : null));
      await expectHostAsBefore();
    } finally {
      await other.engine['chaos.heal']({ all: true });
      await other.close();
    }
  }, 60_000);

  it('notices when another instance heals its cuts (heal --run ID) and stops', async () => {
    const other = await labEngine();
    try {
      const r = start(
        plan(60_000, [step('1', 0, null, cut(g1, g2)), step('2', 30_000, null, cut(g2, g3))]),
      );
      const applied = await r.until('step.applied', 0);
      // The run has seen its cut on the host before anyone heals it.
      await new Promise((res) => setTimeout(res, 300));
      const t0 = Date.now();
      const healed = unwrap(await other.engine['chaos.heal']({ runId: r.run.runId }));
      const healMs = Date.now() - t0;
      expect(healed.cutIds).toEqual(applied.cutIds);
      const status = await r.run.finished;
      const stopping = await r.until('run.end');
      // From the start of the other instance's heal until this run began to stop.
      const noticedMs = Date.parse(stopping.at) - t0;
      console.log(
        `heal --run took ${healMs} ms; the run had stopped ${noticedMs} ms after it began`,
      );
      expect(status).toMatchObject({
        state: 'stopped',
        reason: 'stopped from elsewhere: its cuts were healed',
        stepStatus: ['done', 'skipped'],
      });
      expect(r.run.endedBy).toBe('healed-elsewhere');
      // One binding poll of the lab engine (1 s) and a read.
      expect(noticedMs).toBeLessThan(5_000);
      await expectHostAsBefore();
    } finally {
      await other.close();
    }
  }, 60_000);

  it('a failed step stops the run: what it held is undone, the error kept', async () => {
    const self = {
      kind: 'apply',
      request: {
        cuts: [{ from: end(g1), to: end(g1), direction: 'both', scope: { kind: 'all' } }],
      },
    } as const satisfies PlannedEffect;
    const r = start(
      plan(20_000, [step('1', 0, 20_000, isolate(g2), 'partition'), step('2', 0, null, self)]),
    );
    const status = await r.run.finished;
    expect(status.state).toBe('failed');
    expect(status.stepStatus).toEqual(['done', 'failed']);
    expect(status.error?.code).toBe('invalid-request');
    expect(status.reason).toMatch(/^step 2 failed: /);
    const failed = await r.until('step.failed', 1);
    expect(failed).toMatchObject({ phase: 'do', error: status.error });
    expect((await r.until('step.undone', 0)).why).toBe('end');
    await expectHostAsBefore();
  }, 60_000);

  it('through the engine: scenario.start plans a nemesis, scenario.runs lists it, scenario.control stops it', async () => {
    const events: RunStatus[] = [];
    const off = lab.engine.subscribe((e) => {
      if (e.type === 'scenario.run') events.push(e.run);
    });
    try {
      const source = {
        kind: 'nemesis',
        nemesis: 'random-isolated',
        intervalSeconds: 20,
        rounds: 2,
      } as const;
      const planned = unwrap(
        await lab.engine['scenario.plan']({ hostId: lab.hostId, source, seed: 11 }),
      );
      expect(planned.steps).toHaveLength(2);
      const started = unwrap(
        await lab.engine['scenario.start']({ hostId: lab.hostId, source, seed: 11 }),
      );
      expect(started.runId).toMatch(/^run-\d{8}-\d{6}-[0-9a-f]{4}$/);
      expect(started.plan).toEqual(planned);
      const cuts = await eventually(async () => {
        // Cuts this instance is still applying are listed before their intent is read back.
        const c = (await lab.inventory()).cuts;
        return c.length > 0 && c.every((x) => x.state === 'applied') ? c : null;
      });
      expect(cuts.every((c) => c.runId === started.runId)).toBe(true);
      const listed = unwrap(await lab.engine['scenario.runs']({}));
      expect(listed[0]).toMatchObject({ runId: started.runId, state: 'running' });
      unwrap(await lab.engine['scenario.control']({ runId: started.runId, action: 'stop' }));
      const until = Date.now() + 20_000;
      while (
        !events.some((e) => e.runId === started.runId && e.state === 'stopped') &&
        Date.now() < until
      )
        await new Promise((res) => setTimeout(res, 50));
      expect(unwrap(await lab.engine['scenario.runs']({}))[0]).toMatchObject({
        runId: started.runId,
        state: 'stopped',
        reason: 'stopped by request',
        stepStatus: ['done', 'skipped'],
      });
      const invalid = await lab.engine['scenario.plan']({
        hostId: lab.hostId,
        source: {
          kind: 'file',
          filename: 'x.yaml',
          text: 'name: x\nsteps:\n  - cut: {from: nobody, to: lab-node1}\n',
        },
      });
      expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
      expect(invalid.ok ? '' : invalid.error.message).toMatch(
        /^x\.yaml:3:\d+ steps\[0\]\.cut\.from: /,
      );
      await expectHostAsBefore();
    } finally {
      off();
    }
  }, 60_000);
});
