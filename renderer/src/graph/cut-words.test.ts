import { describe, expect, it } from 'vitest';
import { cutTitle, expiryWords, formatClock, formatRemaining, madeWords } from './cut-words';
import type { LinkCut } from './model';

const at = (h: number, m: number, s: number, day = 24) =>
  new Date(2025, 10, day, h, m, s).getTime();

const cut: LinkCut = {
  id: 'cut:x' as never,
  blocked: 'b->a',
  scope: { kind: 'udp', port: 53 },
  state: 'applied',
  expiresAt: at(14, 13, 7),
  author: { instance: 'cli-4711', user: 'alice@kvm2' },
  createdAt: at(14, 3, 7),
  runId: null,
};

describe('cut words', () => {
  it('counts down in m:ss, and h:mm:ss from an hour on', () => {
    expect(formatRemaining(299_001)).toBe('5:00');
    expect(formatRemaining(-5)).toBe('0:00');
    expect(formatRemaining(3_723_000)).toBe('1:02:03');
  });

  it('gives the moment, with the date only when it is not today', () => {
    expect(formatClock(at(9, 5, 1), at(12, 0, 0))).toBe('09:05:01');
    expect(formatClock(at(9, 5, 1, 25), at(12, 0, 0))).toBe('2025-11-25 09:05:01');
  });

  it('says when a cut heals, or that it has expired', () => {
    expect(expiryWords(at(14, 13, 7), at(14, 8, 7))).toBe('heals at 14:13:07');
    expect(expiryWords(at(14, 13, 7), at(14, 13, 8))).toBe('expired at 14:13:07');
    expect(expiryWords(null, 0)).toBe('no expiry');
  });

  it('says who made a cut, when and in which run; orphaned rules have nobody', () => {
    expect(madeWords({ ...cut, runId: 'nightly-7' }, at(15, 0, 0))).toBe(
      'alice@kvm2 at 14:03:07, run nightly-7',
    );
    expect(madeWords({ author: null, createdAt: null, runId: null }, 0)).toBe(
      'nobody (no intent on the host)',
    );
  });

  it('puts a cut in one line: what, direction, author, expiry, and a state that is not plain', () => {
    expect(cutTitle(cut, 'lab-node1', 'lab-node2', at(14, 8, 7))).toBe(
      'UDP:53, one way: from lab-node2 to lab-node1 · by alice@kvm2 at 14:03:07 · heals at 14:13:07',
    );
    expect(cutTitle({ ...cut, state: 'pending', blocked: 'both' }, 'a', 'b', at(14, 8, 7))).toMatch(
      /^UDP:53, both ways between a and b · .* · pending: wanted but not in force/,
    );
  });
});
