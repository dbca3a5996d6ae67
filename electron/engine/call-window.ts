// A bounded window of calls in flight: at most `size` tasks run at once, the rest wait in order.
// The reader keeps its libvirt calls on the one connection under such a window, so a host of
// thousands of objects neither queues thousands of frames at once nor waits on one call at a time.

export interface CallWindow {
  readonly size: number;
  /** Starts `task` once fewer than `size` tasks run; settles as it does. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** The most tasks that ran at once so far (the benches and the lab test read it). */
  readonly peak: number;
}

export function callWindow(size: number): CallWindow {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`window size ${size}`);
  let running = 0;
  let peak = 0;
  const waiting: (() => void)[] = [];
  // A finished task hands its slot straight to the next waiting one, so a task arriving in
  // between cannot take it too and exceed the size.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return {
    size,
    get peak() {
      return peak;
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running >= size) await new Promise<void>((go) => waiting.push(go));
      else running++;
      peak = Math.max(peak, running);
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
