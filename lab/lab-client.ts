// What tests (and benchmarks) use to talk about the lab: its state, its traffic matrix, and
// waiting for the matrix to show something. A lab of several hosts (`lab up --hosts N`) lists
// them in state.hosts; the top-level fields stay host 1's, and so does every default here:
// pass `guests: allGuests(state)` to look across hosts.
import { type LabGuestState, type LabState, readLabState, readMatrix } from './lab';
import { flow, type Matrix, type Protocol, renderTable } from './matrix';

export {
  allGuests,
  fullyConnected,
  type LabGuestState,
  type LabHostState,
  type LabState,
  readLabState,
  readMatrix,
} from './lab';
export { type Flow, flow, type Matrix, type Protocol, reaches, renderTable } from './matrix';
export { runInNs, virsh } from './run';

export interface WaitResult {
  matrix: Matrix;
  /** Milliseconds from the call until the matrix first satisfied the predicate. */
  elapsedMs: number;
}

/** Polls the matrix until `predicate` holds; throws with the last table when time runs out. */
export async function waitForMatrix(
  predicate: (m: Matrix) => boolean,
  opts: {
    timeoutMs?: number;
    intervalMs?: number;
    state?: LabState;
    what?: string;
    /** The guests to read (default: host 1's). */
    guests?: readonly LabGuestState[];
  } = {},
): Promise<WaitResult> {
  const state = opts.state ?? (await readLabState());
  const t0 = performance.now();
  const deadline = t0 + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const matrix = await readMatrix(state, undefined, opts.guests);
    if (predicate(matrix)) return { matrix, elapsedMs: performance.now() - t0 };
    if (performance.now() > deadline)
      throw new Error(
        `timed out after ${opts.timeoutMs ?? 20_000} ms waiting for ${opts.what ?? 'the matrix'}:\n${renderTable(matrix)}`,
      );
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

export type Expectation = { from: string; to: string; protocol: Protocol; reach: boolean };

/**
 * True when every expectation holds: a flow that must be cut saw no success in a full window,
 * a flow that must reach saw at least one.
 */
export function holds(m: Matrix, expectations: readonly Expectation[]): boolean {
  return expectations.every((e) => {
    const f = flow(m, e.from, e.to, e.protocol);
    return e.reach ? f.ok > 0 : f.of >= Math.min(3, m.window) && f.ok === 0;
  });
}

/** Every ordered pair of distinct guests, over the given protocols. */
export function allFlows(
  state: Pick<LabState, 'guests'>,
  protocols: readonly Protocol[],
): { from: string; to: string; protocol: Protocol }[] {
  const out: { from: string; to: string; protocol: Protocol }[] = [];
  for (const a of state.guests)
    for (const b of state.guests)
      if (a.name !== b.name)
        for (const protocol of protocols) out.push({ from: a.name, to: b.name, protocol });
  return out;
}

/**
 * Expectations for "exactly these flows are cut": the listed ones must drop, every other
 * ordered pair over `protocols` must keep reaching.
 */
export function exactlyCut(
  state: Pick<LabState, 'guests'>,
  protocols: readonly Protocol[],
  cut: readonly { from: string; to: string; protocol: Protocol }[],
): Expectation[] {
  const isCut = (f: { from: string; to: string; protocol: Protocol }) =>
    cut.some((c) => c.from === f.from && c.to === f.to && c.protocol === f.protocol);
  return allFlows(state, protocols).map((f) => ({ ...f, reach: !isCut(f) }));
}
