// A plan in full, as `kvm-chaos run --plan` prints it before anything runs.
import type { ScenarioPlan } from '../api';
import { formatClock, formatDuration } from './duration';

export function planText(plan: ScenarioPlan): string {
  // By time (stable, so file order at one instant): parallel branches interleave as they run.
  const byTime = [...plan.steps].sort((a, b) => a.atMs - b.atMs);
  const rows = byTime.map((s) => [
    formatClock(s.atMs),
    s.id,
    s.lane,
    s.holdMs === null ? '' : formatDuration(s.holdMs),
    s.description,
  ]);
  const header = ['at', 'step', 'lane', 'hold', 'what'];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const count = `${plan.steps.length} ${plan.steps.length === 1 ? 'step' : 'steps'}`;
  return [
    `${plan.name}: ${count}, ${formatClock(plan.totalMs)} long, on ${(plan.hostIds ?? [plan.hostId]).join(', ')}`,
    `seed ${plan.seed} (the same seed on the same guests gives this plan again: --seed ${plan.seed})`,
    '',
    line(header),
    ...rows.map(line),
  ].join('\n');
}
