import { z } from 'zod';
import { ApiError, CutAuthor, RunId } from '../api/model';
import { RunState, ScenarioPlan } from '../api/scenario';

// A run's report: one JSON object per line, one line per event of the run, written as it goes
// (a run killed halfway still leaves every line up to then). JUnit XML for CI systems is derived
// from those lines alone, so it can be made again from a saved report.

/** Wall time (ISO 8601) and the run's clock (ms of the plan passed; it stands still in a pause). */
const When = { at: z.string(), clockMs: z.number().int().nonnegative() };

/** A step by its index in plan.steps and its id in the file ("3", "4#2.1"). */
const StepRef = { ...When, index: z.number().int().nonnegative(), stepId: z.string() };

/** What libvirt was asked to do, in words (the activity log keeps the XML). */
export const ReportOperation = z.object({ kind: z.string(), description: z.string() });
export type ReportOperation = z.infer<typeof ReportOperation>;

/** One change the run made through the engine: its answer, and how long it took. */
const ChangeAnswer = {
  applyId: z.string().nullable(),
  cutIds: z.array(z.string()),
  operations: z.array(ReportOperation),
  replans: z.number().int().nonnegative(),
  ms: z.number().nonnegative(),
};

export const ReportRecord = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('run.start'),
    ...When,
    runId: RunId,
    plan: ScenarioPlan,
    seed: z.number().int().nonnegative(),
    author: CutAuthor.nullable(),
    maxDurationSeconds: z.number().positive().nullable(),
  }),
  z.object({ type: z.literal('step.start'), ...StepRef, description: z.string() }),
  z.object({
    type: z.literal('step.applied'),
    ...StepRef,
    ...ChangeAnswer,
    /** The expiry kept with the step's cuts on the host, in case the run dies. */
    durationSeconds: z.number().int().positive().nullable(),
  }),
  z.object({
    type: z.literal('step.undone'),
    ...StepRef,
    ...ChangeAnswer,
    /** planned: its duration ran out; heal: a heal step of the run; end: the run ended or stopped. */
    why: z.enum(['planned', 'heal', 'end']),
  }),
  z.object({
    type: z.literal('step.failed'),
    ...StepRef,
    phase: z.enum(['do', 'undo']),
    error: ApiError,
    ms: z.number().nonnegative(),
  }),
  z.object({ type: z.literal('run.paused'), ...When }),
  z.object({ type: z.literal('run.resumed'), ...When }),
  z.object({
    type: z.literal('run.end'),
    ...When,
    state: RunState,
    reason: z.string().nullable(),
    /** Every cut the run healed, over the whole run. */
    healed: z.array(z.string()),
    /** Cuts of the run still on the host when it ended (an undo failed): `heal --run ID`. */
    left: z.array(z.string()),
    error: ApiError.nullable(),
  }),
]);
export type ReportRecord = z.infer<typeof ReportRecord>;
export type ReportRecordOf<T extends ReportRecord['type']> = Extract<ReportRecord, { type: T }>;

/** One line of the JSON-lines report, newline included. */
export function reportLine(record: ReportRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** Reads a JSON-lines report back; a bad line throws, naming its number. */
export function parseReport(text: string): ReportRecord[] {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter((l) => l.line !== '')
    .map(({ line, n }) => {
      const parsed = ReportRecord.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`report line ${n}: ${parsed.error.message}`);
      return parsed.data;
    });
}

export interface StepOutcome {
  index: number;
  stepId: string;
  description: string;
  /** Apply and undo time spent in the engine, in ms. */
  ms: number;
  outcome: 'passed' | 'failed' | 'skipped';
  error: ApiError | null;
}

/** What became of each planned step, from a run's records: a step the run never reached is skipped. */
export function stepOutcomes(records: readonly ReportRecord[]): StepOutcome[] {
  const start = records.find((r) => r.type === 'run.start');
  if (!start) return [];
  const outcomes: StepOutcome[] = start.plan.steps.map((s, index) => ({
    index,
    stepId: s.id,
    description: s.description,
    ms: 0,
    outcome: 'skipped',
    error: null,
  }));
  for (const r of records) {
    if (!('index' in r)) continue;
    const o = outcomes[r.index];
    if (!o) continue;
    if (r.type !== 'step.start') o.ms += r.ms;
    if (r.type === 'step.failed') {
      o.outcome = 'failed';
      o.error = r.error;
    } else if (o.outcome === 'skipped') o.outcome = 'passed';
  }
  return outcomes;
}

function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD'); // XML 1.0 chars only
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/**
 * JUnit XML for CI systems: one testsuite per run, one testcase per planned step (time: its
 * apply and undo), a failure with libvirt's message for a failed step, skipped for steps the
 * run never reached. A run that ended failed or stopped without a failed step says why in
 * system-out.
 */
export function junitXml(runs: readonly (readonly ReportRecord[])[]): string {
  const suites = runs.flatMap((records) => {
    const start = records.find((r) => r.type === 'run.start');
    if (!start) return [];
    const end = records.findLast((r) => r.type === 'run.end');
    const cases = stepOutcomes(records);
    const failures = cases.filter((c) => c.outcome === 'failed').length;
    const skipped = cases.filter((c) => c.outcome === 'skipped').length;
    const wallMs = end ? Date.parse(end.at) - Date.parse(start.at) : 0;
    const name = `${start.plan.name} (${start.runId})`;
    const body = cases.map((c) => {
      const head = `    <testcase classname="${xmlEscape(start.plan.name)}" name="${xmlEscape(`${c.stepId}: ${c.description}`)}" time="${seconds(c.ms)}"`;
      if (c.outcome === 'passed') return `${head}/>`;
      if (c.outcome === 'skipped') return `${head}>\n      <skipped/>\n    </testcase>`;
      const e = c.error as ApiError;
      const text = [e.message, e.hint, e.libvirt ? `libvirt: ${e.libvirt.message}` : undefined]
        .filter((x) => x !== undefined)
        .join('\n');
      return `${head}>\n      <failure message="${xmlEscape(e.message)}" type="${xmlEscape(e.code)}">${xmlEscape(text)}</failure>\n    </testcase>`;
    });
    const why = end && `${end.state}${end.reason ? `: ${end.reason}` : ''}; seed ${start.seed}`;
    return [
      `  <testsuite name="${xmlEscape(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(Math.max(0, wallMs))}" timestamp="${xmlEscape(start.at)}">`,
      ...body,
      ...(why ? [`    <system-out>${xmlEscape(why)}</system-out>`] : []),
      '  </testsuite>',
    ];
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('\n')}${suites.length ? '\n' : ''}</testsuites>\n`;
}
