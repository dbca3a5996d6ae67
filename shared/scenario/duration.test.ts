import { describe, expect, it } from 'vitest';
import { durationMs, formatClock, formatDuration } from './duration';

describe('durations', () => {
  it('reads every unit, combined, and numbers as seconds', () => {
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('2h')).toBe(7_200_000);
    expect(durationMs('1h2m3s4ms')).toBe(3_723_004);
    expect(durationMs('1.5s')).toBe(1500);
    expect(durationMs(2.5)).toBe(2500);
    expect(durationMs(10)).toBe(10_000);
  });

  it('writes ms back in the file format', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(2500)).toBe('2s500ms');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(0)).toBe('0s');
  });

  it('a clock is mm:ss, and h:mm:ss from an hour on', () => {
    expect(formatClock(0)).toBe('00:00');
    expect(formatClock(59_999)).toBe('00:59');
    expect(formatClock(90_000)).toBe('01:30');
    expect(formatClock(3_599_000)).toBe('59:59');
    expect(formatClock(3_600_000)).toBe('1:00:00');
    expect(formatClock(3_723_000)).toBe('1:02:03');
    expect(formatClock(-5)).toBe('00:00');
  });
});
