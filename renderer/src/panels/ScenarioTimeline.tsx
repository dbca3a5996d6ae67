import type { ScenarioPlan, StepStatus } from '../../../shared/api';
import type { RunView } from '../store/scenario-state';
import { runClock } from '../store/scenarios';
import { mmss, STEP_STATUS_WORDS, timelineLanes } from './scenario-timeline';

// The plan on a timeline: a lane per parallel branch, each step a bar from its start to its undo
// (a diamond for a step that takes no time), the run's playhead, and below it the steps in words
// with their time and status. The followed run colours the bars; the active step glows.

export function ScenarioTimeline({
  plan,
  run,
  now,
}: {
  plan: ScenarioPlan;
  run: RunView | null;
  now: number;
}) {
  const lanes = timelineLanes(plan);
  const status = (i: number): StepStatus => run?.status.stepStatus[i] ?? 'waiting';
  const clock = run ? runClock(run, now) : null;
  const total = Math.max(plan.totalMs, 1);
  return (
    <section className="timeline-block" aria-label="Plan">
      <p className="timeline-block__meta" data-testid="scenario-plan-meta">
        <strong>{plan.name}</strong> · {plan.steps.length} steps · {mmss(plan.totalMs)} · seed{' '}
        <code data-testid="scenario-seed-shown">{plan.seed}</code>
      </p>
      <div className="timeline" data-testid="scenario-timeline">
        {lanes.map((lane) => (
          <div key={lane.id} className="timeline__lane" data-lane={lane.id}>
            <span className="timeline__lane-label">{lane.label}</span>
            <div className="timeline__track">
              {lane.bars.map((bar) => (
                <span
                  key={bar.index}
                  className={`timeline__bar timeline__bar--${bar.step.kind} is-${status(bar.index)} ${
                    bar.widthPct === 0 ? 'timeline__bar--point' : ''
                  }`}
                  data-testid="timeline-bar"
                  data-step={bar.step.id}
                  data-status={status(bar.index)}
                  style={{
                    left: `${bar.leftPct}%`,
                    ...(bar.widthPct ? { width: `${bar.widthPct}%` } : {}),
                  }}
                  title={`${bar.step.id} at ${mmss(bar.step.atMs)}${
                    bar.step.holdMs ? ` for ${mmss(bar.step.holdMs)}` : ''
                  }: ${bar.step.description}`}
                />
              ))}
            </div>
          </div>
        ))}
        {clock !== null && (
          <span
            className="timeline__playhead"
            aria-hidden
            style={{
              left: `calc(var(--lane-label) + var(--track-inset) + (100% - var(--lane-label) - 2 * var(--track-inset)) * ${clock / total})`,
            }}
          />
        )}
      </div>
      <ol className="steps" data-testid="scenario-steps">
        {plan.steps.map((step, i) => (
          <li
            key={`${step.id}|${step.lane}|${step.atMs}`}
            className={`step is-${status(i)}`}
            data-testid="plan-step"
            data-step={step.id}
            data-kind={step.kind}
            data-status={status(i)}
            aria-current={status(i) === 'active' ? 'step' : undefined}
          >
            <span className="step__at mono">{mmss(step.atMs)}</span>
            <span className="step__id mono">{step.id}</span>
            <span className="step__text">
              {step.description}
              {step.holdMs !== null && <span className="muted"> · for {mmss(step.holdMs)}</span>}
            </span>
            <span className={`step__status step__status--${status(i)}`}>
              {STEP_STATUS_WORDS[status(i)]}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
