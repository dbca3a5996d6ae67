import { describe, expect, it } from 'vitest';
import type { GuestId } from '../../../shared/api';
import { partitionGrudge, sidesOf } from './partition-sides';

const ids = (...names: string[]) => names as GuestId[];
const FIVE = ids('a', 'b', 'c', 'd', 'e');
/** Sides in the segment's order, as the store asks for them. */
const sides = (p: Parameters<typeof partitionGrudge>[0], segment = FIVE) =>
  Object.fromEntries(sidesOf(partitionGrudge(p, segment), segment));

describe('partition sides', () => {
  const five = FIVE;

  it('halves: the first half against the rest', () => {
    expect(sides({ topology: 'halves', guestIds: five })).toEqual({ a: 0, b: 0, c: 1, d: 1, e: 1 });
  });

  it('majority and minority: the engine takes the last members as the minority', () => {
    expect(sides({ topology: 'majority-minority', guestIds: five })).toEqual({
      a: 0,
      b: 0,
      c: 0,
      d: 1,
      e: 1,
    });
  });

  it('bridge: two halves and the guest that both still reach', () => {
    expect(sides({ topology: 'bridge', guestIds: five })).toEqual({ a: 0, b: 0, c: 1, d: 2, e: 2 });
  });

  it('majorities ring: every guest keeps a majority of its own', () => {
    const s = sides({ topology: 'majorities-ring', guestIds: five });
    expect(new Set(Object.values(s)).size).toBe(5);
  });

  it('isolate: each chosen guest alone, the rest of the segment together', () => {
    expect(sides({ topology: 'isolate', guestIds: ids('b') })).toEqual({
      a: 0,
      b: 1,
      c: 0,
      d: 0,
      e: 0,
    });
  });

  it('groups: one side per group', () => {
    expect(sides({ topology: 'groups', groups: [ids('a', 'c'), ids('b'), ids('d', 'e')] })).toEqual(
      {
        a: 0,
        c: 0,
        b: 1,
        d: 2,
        e: 2,
      },
    );
  });
});
