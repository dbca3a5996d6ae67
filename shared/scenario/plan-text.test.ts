import { describe, expect, it } from 'vitest';
import { labInventory } from '../api/fixtures';
import { compileScenario } from './compile';
import { planText } from './plan-text';

describe('planText', () => {
  it('the seed, the length, and one line per step by time', () => {
    const plan = compileScenario(
      {
        name: 'demo',
        steps: [
          { cut: { from: 'lab-node1', to: 'lab-node2' }, duration: '1m30s' },
          {
            parallel: [[{ wait: 2 }, { heal: 'run' }], [{ partition: 'halves', duration: 1 }]],
          },
        ],
      },
      labInventory(3),
      7,
    );
    expect(planText(plan)).toBe(
      [
        'demo: 4 steps, 01:32 long, on lab',
        'seed 7 (the same seed on the same guests gives this plan again: --seed 7)',
        '',
        'at     step  lane  hold   what',
        '00:00  1           1m30s  cut lab-node1 <-> lab-node2',
        '01:30  2.1   2/1          wait 2s',
        '01:30  2.3   2/2   1s     partition halves: lab-node1 | lab-node2 lab-node3',
        '01:32  2.2   2/1          heal every cut of this run',
      ].join('\n'),
    );
  });
});
