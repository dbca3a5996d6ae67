import type { Duration } from './model';

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A file's duration in whole ms: "1m30s" -> 90000, 2.5 (seconds) -> 2500. */
export function durationMs(d: Duration): number {
  if (typeof d === 'number') return Math.round(d * 1000);
  let ms = 0;
  for (const [, amount, unit] of d.matchAll(PART))
    ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  return Math.round(ms);
}

/** ms as a duration the file format reads back: 90000 -> "1m30s", 2500 -> "2s500ms", 0 -> "0s". */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms));
  if (rest === 0) return '0s';
  let text = '';
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * UNIT_MS[unit];
  }
  return text;
}

const two = (n: number) => String(n).padStart(2, '0');

/** A clock for progress and plans: "mm:ss", "h:mm:ss" from an hour on (whole seconds, down). */
export function formatClock(ms: number): string {
  const total = Math.floor(Math.max(0, ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}
