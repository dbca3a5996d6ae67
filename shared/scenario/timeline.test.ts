import { describe, expect, it } from 'vitest';
import type { PlannedStep } from '../api';
import { timelineOf } from './timeline';

const step = (atMs: number, holdMs: number | null): PlannedStep => ({
  id: 'x',
  lane: '',
  atMs,
  holdMs,
  kind: holdMs === null ? 'wait' : 'cut',
  description: '',
  guests: [],
  effect: { kind: 'wait' },
});

describe('timelineOf', () => {
  it('by time; at one instant undos first (latest step first), then dos in plan order', () => {
    const steps = [
      step(0, 5000),
      step(0, 5000),
      step(5000, null),
      step(5000, 1000),
      step(2000, null),
    ];
    expect(timelineOf({ steps })).toEqual([
      { atMs: 0, stepIndex: 0, phase: 'do' },
      { atMs: 0, stepIndex: 1, phase: 'do' },
      { atMs: 2000, stepIndex: 4, phase: 'do' },
      { atMs: 5000, stepIndex: 1, phase: 'undo' },
      { atMs: 5000, stepIndex: 0, phase: 'undo' },
      { atMs: 5000, stepIndex: 2, phase: 'do' },
      { atMs: 5000, stepIndex: 3, phase: 'do' },
      { atMs: 6000, stepIndex: 3, phase: 'undo' },
    ]);
  });
});
