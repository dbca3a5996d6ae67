import type { PlannedStep, RunStatus, ScenarioPlan, StepStatus } from '../../../shared/api';
import { formatRemaining } from '../graph/cut-words';

// A plan laid out for the timeline: one lane per parallel branch (the main line first), each step
// a bar from its start to its undo, placed in percent of the plan's length. Pure, for tests.

export type TimelineBar = {
  index: number;
  step: PlannedStep;
  leftPct: number;
  /** 0 for a step that takes no time (a heal, a cut held until a heal or the end). */
  widthPct: number;
};

export type TimelineLane = { id: string; label: string; bars: TimelineBar[] };

/** "3/2" -> "step 3, branch 2"; nested branches read from the outside in. */
export function laneLabel(lane: string): string {
  if (lane === '') return 'main';
  const [step, branch] = [
    lane.slice(0, lane.lastIndexOf('/')),
    lane.slice(lane.lastIndexOf('/') + 1),
  ];
  return `step ${step}, branch ${branch}`;
}

export function timelineLanes(plan: ScenarioPlan): TimelineLane[] {
  // A plan of only instantaneous steps still gets a visible span.
  const total = Math.max(plan.totalMs, 1);
  const lanes = new Map<string, TimelineLane>();
  plan.steps.forEach((step, index) => {
    const lane = lanes.get(step.lane) ?? { id: step.lane, label: laneLabel(step.lane), bars: [] };
    lane.bars.push({
      index,
      step,
      leftPct: (100 * step.atMs) / total,
      widthPct: (100 * (step.holdMs ?? 0)) / total,
    });
    lanes.set(step.lane, lane);
  });
  return [...lanes.values()].sort((a, b) => (a.id === '' ? -1 : b.id === '' ? 1 : 0));
}

/** ms as mm:ss (h:mm:ss from an hour on), rounded up: "00:07" until the moment comes. */
export const mmss = (ms: number): string => formatRemaining(ms).padStart(5, '0');

/** What happens at the run's next moment: a step starting, or a step's effect being undone. */
export function nextThing(run: RunStatus): string | null {
  const at = run.nextAtMs;
  if (at === null) return null;
  // A step's undo comes before the next step at the same moment (the next starts after it).
  const undone = run.plan.steps.find(
    (s, i) => s.holdMs !== null && s.atMs + s.holdMs === at && run.stepStatus[i] === 'active',
  );
  if (undone) return `undo: ${undone.description}`;
  const starting = run.plan.steps.find(
    (s, i) => s.atMs === at && (run.stepStatus[i] ?? 'waiting') === 'waiting',
  );
  return starting?.description ?? null;
}

export const STEP_STATUS_WORDS: Record<StepStatus, string> = {
  waiting: 'waiting',
  active: 'now',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
};
