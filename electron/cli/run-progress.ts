// What `kvm-chaos run` prints while a run goes: a line per event of its report, and on a
// terminal one status line kept at the bottom (state, current step, next step in mm:ss, clock).
import type { RunStatus, ScenarioPlan } from '../../shared/api';
import { formatClock } from '../../shared/scenario';
import type { ReportRecord } from '../../shared/scenario/report';

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function stepName(plan: ScenarioPlan, index: number): string {
  const s = plan.steps[index];
  return s ? `step ${s.id} (${s.description})` : `step #${index}`;
}

/** One line for one event of the report; null for those the summary says instead. */
export function eventLine(r: ReportRecord, plan: ScenarioPlan): string | null {
  const at = formatClock(r.clockMs);
  const ms = (n: number) => `${Math.round(n)} ms`;
  switch (r.type) {
    case 'run.start':
      return `${at} run ${r.runId}: ${r.plan.name}, ${plural(r.plan.steps.length, 'step')}, ${formatClock(r.plan.totalMs)} long, seed ${r.seed}`;
    case 'step.start':
      return `${at} ${stepName(plan, r.index)}`;
    case 'step.applied': {
      const what =
        plan.steps[r.index]?.kind === 'heal'
          ? `healed ${plural(r.cutIds.length, 'cut')}`
          : r.cutIds.length
            ? plural(r.cutIds.length, 'cut')
            : 'done';
      const expiry = r.durationSeconds ? `, expires on the host in ${r.durationSeconds} s` : '';
      return `${at}   ${what}: ${plural(r.operations.length, 'operation')}, ${ms(r.ms)}${r.replans ? `, ${plural(r.replans, 'replan')}` : ''}${expiry}`;
    }
    case 'step.undone': {
      const why = { planned: 'its time is up', heal: 'a heal step', end: 'the run ends' }[r.why];
      const what = r.cutIds.length ? `healed ${plural(r.cutIds.length, 'cut')}` : 'put back';
      return `${at}   undo ${stepName(plan, r.index)} (${why}): ${what}, ${ms(r.ms)}`;
    }
    case 'step.failed':
      return `${at}   ${r.phase === 'undo' ? 'undoing ' : ''}${stepName(plan, r.index)} failed: ${r.error.message}${r.error.hint ? ` (${r.error.hint})` : ''}`;
    case 'run.paused':
      return `${at} paused`;
    case 'run.resumed':
      return `${at} resumed`;
    case 'run.end':
      return null;
  }
}

/**
 * The status line: "running  step 3 partition halves: a | b c  next 4 in 00:12  01:05/03:00".
 * `clockMs` is the run's clock now (the status's, moved on by the time since it was sent).
 */
export function statusLine(s: RunStatus, clockMs: number, width = 100): string {
  const steps = s.plan.steps;
  const current = s.stepStatus.lastIndexOf('active');
  const next = steps.findIndex((x, i) => s.stepStatus[i] === 'waiting' && x.atMs >= clockMs);
  const parts = [s.state.padEnd(8)];
  if (current >= 0) parts.push(`step ${steps[current]?.id} ${steps[current]?.description}`);
  if (s.nextAtMs !== null && s.state !== 'stopping') {
    const nextStep = steps[next];
    const label = nextStep ? `next ${nextStep.id}` : 'next undo';
    parts.push(`${label} in ${formatClock(Math.max(0, s.nextAtMs - clockMs))}`);
  }
  parts.push(`${formatClock(clockMs)}/${formatClock(s.plan.totalMs)}`);
  const line = parts.join('  ');
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}

/** The end of a run in words: how it ended and what it healed. */
export function summaryText(s: RunStatus, healed: readonly string[], left: readonly string[]) {
  const lines = [`run ${s.runId} ${s.state}${s.reason ? `: ${s.reason}` : ''}`];
  const count = (state: string) => s.stepStatus.filter((x) => x === state).length;
  lines.push(
    `steps: ${count('done')} done, ${count('failed')} failed, ${count('skipped')} not reached, of ${s.stepStatus.length}`,
  );
  lines.push(
    healed.length
      ? `healed ${plural(healed.length, 'cut')}: ${healed.join(' ')}`
      : 'healed nothing',
  );
  if (left.length)
    lines.push(`left on the host: ${left.join(' ')}\n  heal them: kvm-chaos heal --run ${s.runId}`);
  return lines.join('\n');
}
