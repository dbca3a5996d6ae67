// A plan as the runner walks it: every step's start (do) and, for a step held for a while, its
// end (undo), in the order they happen.
import type { ScenarioPlan } from '../api';

export interface TimelineEvent {
  atMs: number;
  /** Index in plan.steps. */
  stepIndex: number;
  phase: 'do' | 'undo';
}

/**
 * Sorted by time. At one instant undos come first (a cut held 10s ends before the next step
 * begins, so back-to-back faults never overlap), the latest step's undo first; then dos in plan
 * order.
 */
export function timelineOf(plan: Pick<ScenarioPlan, 'steps'>): TimelineEvent[] {
  const events: TimelineEvent[] = plan.steps.flatMap((s, stepIndex) => {
    const doIt: TimelineEvent = { atMs: s.atMs, stepIndex, phase: 'do' };
    return s.holdMs === null
      ? [doIt]
      : [doIt, { atMs: s.atMs + s.holdMs, stepIndex, phase: 'undo' as const }];
  });
  return events.sort(
    (a, b) =>
      a.atMs - b.atMs ||
      (a.phase === b.phase ? 0 : a.phase === 'undo' ? -1 : 1) ||
      (a.phase === 'undo' ? b.stepIndex - a.stepIndex : a.stepIndex - b.stepIndex),
  );
}
