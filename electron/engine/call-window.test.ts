import { describe, expect, it } from 'vitest';
import { callWindow } from './call-window';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('callWindow', () => {
  it('runs at most its size at once, in the order asked, and every task settles', async () => {
    const window = callWindow(3);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        window
          .run(async () => {
            started.push(i);
            most = Math.max(most, ++running);
            await tick();
            running--;
            if (i === 7) throw new Error('seven');
            return i;
          })
          .catch((e: Error) => e.message),
      ),
    );
    expect(most).toBe(3);
    expect(window.peak).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(results[7]).toBe('seven');
    expect(results[19]).toBe(19);
  });

  it('a task asked while a slot is handed over waits its turn (the size is never exceeded)', async () => {
    const window = callWindow(1);
    let running = 0;
    let most = 0;
    const task = async () => {
      most = Math.max(most, ++running);
      await tick();
      running--;
    };
    const first = window.run(task);
    const second = window.run(task);
    await first;
    const third = window.run(task); // arrives after the first released its slot to the second
    await Promise.all([second, third]);
    expect(most).toBe(1);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => callWindow(0)).toThrow(RangeError);
  });
});
