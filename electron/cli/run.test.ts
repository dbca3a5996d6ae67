import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { RunStatus, ScenarioPlan } from '../../shared/api';
import { UsageError } from './options';
import { secondsArg, sourceOf } from './run';
import { eventLine, statusLine, summaryText } from './run-progress';

describe('run options', () => {
  it('reads seconds as a number or a duration, up to a week', () => {
    const interval = secondsArg('--interval');
    expect(interval('90')).toBe(90);
    expect(interval('2.5')).toBe(2.5);
    expect(interval('1m30s')).toBe(90);
    expect(interval('500ms')).toBe(0.5);
    for (const bad of ['0', '-1', '1e3', '0x10', 'ten', '8d', '604801'])
      expect(() => interval(bad), bad).toThrow(InvalidArgumentError);
    expect(secondsArg('--jitter', false)('0')).toBe(0);
    expect(() => interval('0')).toThrow(/--interval is more than 0 seconds/);
  });

  it('takes a file or a nemesis, not both, and nemesis settings only with a nemesis', () => {
    expect(() => sourceOf(undefined, {})).toThrow(UsageError);
    expect(() => sourceOf('x.yaml', { nemesis: 'bridge' })).toThrow(/not both/);
    expect(() => sourceOf(undefined, { nemesis: 'chaos-monkey' })).toThrow(
      /unknown nemesis 'chaos-monkey': one of random-halves, random-isolated/,
    );
    expect(sourceOf(undefined, { nemesis: 'bridge', interval: 5, rounds: 3 })).toEqual({
      kind: 'nemesis',
      nemesis: 'bridge',
      intervalSeconds: 5,
      rounds: 3,
    });
    const dir = mkdtempSync(join(tmpdir(), 'kvm-chaos-run-'));
    const file = join(dir, 's.yaml');
    writeFileSync(file, 'name: x\nsteps:\n  - wait: 1s\n');
    expect(sourceOf(file, {})).toEqual({
      kind: 'file',
      text: 'name: x\nsteps:\n  - wait: 1s\n',
      filename: file,
    });
    expect(() => sourceOf(file, { rounds: 2, jitter: 1 })).toThrow(
      '--jitter, --rounds go with --nemesis; a file says them in its steps',
    );
    expect(() => sourceOf(join(dir, 'missing.yaml'), {})).toThrow(/cannot read .*ENOENT/);
  });
});

const plan = {
  name: 'p',
  hostId: 'lab',
  seed: 1,
  totalMs: 90_000,
  steps: [
    { id: '1', lane: '', atMs: 0, holdMs: 10_000, kind: 'partition', description: 'isolate a' },
    { id: '2', lane: '', atMs: 10_000, holdMs: null, kind: 'cut', description: 'cut a <-> b' },
    { id: '3', lane: '', atMs: 75_000, holdMs: null, kind: 'heal', description: 'heal the run' },
  ],
} as unknown as ScenarioPlan;

const status = (over: Partial<RunStatus>): RunStatus => ({
  runId: 'run-1',
  plan,
  state: 'running',
  startedAt: '2025-01-01T00:00:00.000Z',
  clockMs: 0,
  stepStatus: ['done', 'active', 'waiting'],
  nextAtMs: 75_000,
  ...over,
});

describe('run progress', () => {
  it('draws the state, the current step, the next one in mm:ss and the clock', () => {
    expect(statusLine(status({}), 63_400)).toBe(
      'running   step 2 cut a <-> b  next 3 in 00:11  01:03/01:30',
    );
    expect(statusLine(status({ state: 'stopping' }), 63_400)).toBe(
      'stopping  step 2 cut a <-> b  01:03/01:30',
    );
    expect(statusLine(status({}), 63_400, 20)).toBe('running   step 2 cu…');
  });

  it('says each event in a line, with the run clock', () => {
    const at = '2025-01-01T00:00:00.000Z';
    expect(
      eventLine(
        {
          type: 'step.applied',
          at,
          clockMs: 10_250,
          index: 1,
          stepId: '2',
          applyId: 'a',
          cutIds: ['c1'],
          operations: [
            { kind: 'set-intent', description: 'x' },
            { kind: 'create-binding', description: 'y' },
          ],
          replans: 1,
          ms: 812.4,
          durationSeconds: 95,
        },
        plan,
      ),
    ).toBe('00:10   1 cut: 2 operations, 812 ms, 1 replan, expires on the host in 95 s');
    expect(
      eventLine(
        {
          type: 'step.undone',
          at,
          clockMs: 10_000,
          index: 0,
          stepId: '1',
          applyId: 'h',
          cutIds: ['c1', 'c2'],
          operations: [],
          replans: 0,
          ms: 300,
          why: 'planned',
        },
        plan,
      ),
    ).toBe('00:10   undo step 1 (isolate a) (its time is up): healed 2 cuts, 300 ms');
    expect(
      eventLine(
        {
          type: 'step.failed',
          at,
          clockMs: 75_000,
          index: 2,
          stepId: '3',
          phase: 'do',
          error: { code: 'busy', message: 'the host is busy', hint: 'try again' },
          ms: 5,
        },
        plan,
      ),
    ).toBe('01:15   step 3 (heal the run) failed: the host is busy (try again)');
  });

  it('sums up how the run ended and what it healed', () => {
    expect(
      summaryText(
        status({
          state: 'stopped',
          reason: 'interrupted (SIGINT)',
          stepStatus: ['done', 'done', 'skipped'],
        }),
        ['c1', 'c2'],
        ['c3'],
      ),
    ).toBe(
      [
        'run run-1 stopped: interrupted (SIGINT)',
        'steps: 2 done, 0 failed, 1 not reached, of 3',
        'healed 2 cuts: c1 c2',
        'left on the host: c3',
        '  heal them: kvm-chaos heal --run run-1',
      ].join('\n'),
    );
  });
});
