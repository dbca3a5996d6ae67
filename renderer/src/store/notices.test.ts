import { describe, expect, it } from 'vitest';
import type { Notice } from './initial-state';
import { addNotice, expireNotices, NOTICE_LIFETIME_MS, NOTICE_LIMIT, nextExpiry } from './notices';

const T0 = 1_000_000;
const say = (list: Notice[], tone: Notice['tone'], message: string, id: number, at = T0) =>
  addNotice(list, { tone, message }, id, at);

describe('notices', () => {
  it('info and success go by themselves after their lifetime, errors wait for the user', () => {
    let list: Notice[] = [];
    list = say(list, 'success', 'Cut lab-node1 from lab-node2.', 1);
    list = say(list, 'info', 'Left alone: not running', 2);
    list = say(list, 'error', 'binding already exists', 3);
    const success = NOTICE_LIFETIME_MS.success as number;
    const info = NOTICE_LIFETIME_MS.info as number;
    expect(success).toBeGreaterThanOrEqual(2000);
    expect(info).toBeLessThanOrEqual(10_000);
    expect(list.map((n) => n.expiresAt)).toEqual([T0 + success, T0 + info, null]);

    expect(expireNotices(list, T0 + success - 1)).toBe(list);
    expect(expireNotices(list, T0 + success).map((n) => n.id)).toEqual([2, 3]);
    expect(expireNotices(list, T0 + info).map((n) => n.id)).toEqual([3]);
    expect(expireNotices(list, T0 + 24 * 3600_000).map((n) => n.id)).toEqual([3]);
  });

  it('the next expiry is the soonest one; none when only errors are shown', () => {
    let list = say([], 'info', 'a', 1);
    list = say(list, 'success', 'b', 2, T0 + 500);
    expect(nextExpiry(list)).toBe(
      Math.min(
        T0 + (NOTICE_LIFETIME_MS.info as number),
        T0 + 500 + (NOTICE_LIFETIME_MS.success as number),
      ),
    );
    expect(nextExpiry(say([], 'error', 'x', 1))).toBeNull();
    expect(nextExpiry([])).toBeNull();
  });

  it('a repeat collapses into the shown notice with a count, newest last, its time renewed', () => {
    let list = say([], 'error', 'engine unreachable', 1);
    list = say(list, 'success', 'healed', 2);
    list = say(list, 'error', 'engine unreachable', 3, T0 + 10);
    list = say(list, 'error', 'engine unreachable', 4, T0 + 20);
    expect(list).toHaveLength(2);
    expect(list[1]).toMatchObject({ id: 1, count: 3, tone: 'error', expiresAt: null });
    expect(list[0]).toMatchObject({ id: 2, count: 1 });

    list = say(list, 'success', 'healed', 5, T0 + 3000);
    expect(list[1]).toMatchObject({
      id: 2,
      count: 2,
      expiresAt: T0 + 3000 + (NOTICE_LIFETIME_MS.success as number),
    });
  });

  it('the same words in another tone, or with another hint, are another notice', () => {
    let list = say([], 'error', 'x', 1);
    list = say(list, 'info', 'x', 2);
    list = addNotice(list, { tone: 'error', message: 'x', hint: 'retry' }, 3, T0);
    expect(list.map((n) => [n.id, n.count])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  });

  it('over the limit the oldest passing notice goes first, errors only when nothing else is left', () => {
    let list = say([], 'error', 'e1', 1);
    list = say(list, 'success', 's1', 2);
    list = say(list, 'error', 'e2', 3);
    list = say(list, 'info', 'i1', 4);
    expect(list).toHaveLength(NOTICE_LIMIT);
    list = say(list, 'error', 'e3', 5);
    expect(list.map((n) => n.message)).toEqual(['e1', 'e2', 'i1', 'e3']);
    list = say(list, 'error', 'e4', 6);
    expect(list.map((n) => n.message)).toEqual(['e1', 'e2', 'e3', 'e4']);
    list = say(list, 'error', 'e5', 7);
    expect(list.map((n) => n.message)).toEqual(['e2', 'e3', 'e4', 'e5']);
    list = say(list, 'success', 's2', 8);
    expect(list.map((n) => n.message)).toEqual(['e3', 'e4', 'e5', 's2']);
  });
});
