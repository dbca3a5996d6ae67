import { describe, expect, it } from 'vitest';
import { randomSeed, seededRandom } from './random';

describe('seededRandom', () => {
  it('the same seed draws the same sequence; another seed another one', () => {
    const draw = (seed: number) => {
      const r = seededRandom(seed);
      return [
        r.int(0, 1000),
        r.int(0, 1000),
        r.shuffle([1, 2, 3, 4, 5, 6]),
        r.pick(['a', 'b', 'c']),
      ];
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('ints stay in range, shuffles keep every item and leave the input alone', () => {
    const r = seededRandom(7);
    for (let i = 0; i < 200; i++) {
      const n = r.int(-3, 3);
      expect(n).toBeGreaterThanOrEqual(-3);
      expect(n).toBeLessThanOrEqual(3);
    }
    const input = ['a', 'b', 'c', 'd'];
    const out = r.shuffle(input);
    expect([...out].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(input).toEqual(['a', 'b', 'c', 'd']);
    expect(() => r.pick([])).toThrow();
  });

  it('random seeds are 32-bit whole numbers', () => {
    const s = randomSeed();
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});
