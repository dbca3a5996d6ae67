import { describe, expect, it } from 'vitest';
import { activityInWords, cutsInWords, sentence } from './plain-words';

const all = 'all traffic';

describe('plain words', () => {
  it('names the guests of a cut, never a count of links', () => {
    expect(cutsInWords([{ from: 'lab-node1', to: 'lab-node2', oneWay: false, scope: all }])).toBe(
      'cut lab-node1 from lab-node2',
    );
    expect(
      cutsInWords([
        { from: 'lab-node1', to: 'lab-node2', oneWay: false, scope: all },
        { from: 'lab-node1', to: 'lab-node3', oneWay: false, scope: all },
      ]),
    ).toBe('cut lab-node1 from lab-node2 and lab-node3');
    expect(
      cutsInWords([{ from: 'lab-node1', to: 'lab-node2', oneWay: true, scope: 'UDP to port 53' }]),
    ).toBe('cut traffic from lab-node1 to lab-node2 (UDP to port 53 only)');
    expect(sentence('cut a from b')).toBe('Cut a from b');
  });

  it('keeps long lists short', () => {
    const cuts = ['a', 'b', 'c', 'd', 'e'].map((g) => ({
      from: g,
      to: 'z',
      oneWay: false,
      scope: all,
    }));
    expect(cutsInWords(cuts)).toBe('cut a from z; b from z; c from z; and 2 more');
  });

  it("reads the engine's activity summaries back into the same words", () => {
    expect(activityInWords('cut lab-node1 <-> lab-node2 (all traffic)')).toBe(
      'cut lab-node1 from lab-node2',
    );
    expect(
      activityInWords(
        'cut lab-node1 <-> lab-node2 (all traffic), lab-node1 <-> lab-node3 (all traffic)',
      ),
    ).toBe('cut lab-node1 from lab-node2 and lab-node3');
    expect(activityInWords('cut lab-node2 -> lab-node3 (TCP to port 22)')).toBe(
      'cut traffic from lab-node2 to lab-node3 (TCP to port 22 only)',
    );
    expect(activityInWords('partition halves: 2 cuts')).toBe('split into two halves: 2 cuts');
    expect(activityInWords('heal everything')).toBe('heal everything');
    expect(activityInWords('add host qemu:///system')).toBe('add host qemu:///system');
  });
});
