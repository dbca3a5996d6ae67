import { z } from 'zod';
import { ApiError, CutRequest, FilterParameter, PartitionRequest, RunId } from './model';
import { GuestId, HostId, MacAddress } from './values';

// Scenarios and nemeses on the wire: a plan (what will happen, when, to whom) and a run (where
// the plan is now). The file format itself is shared/scenario/model.ts; a plan is what a file
// (or a nemesis with its seed) becomes once its guests are resolved on its hosts' inventories
// (one host's, or several whose guests share segments: `guest@host` where names clash).

/**
 * What one planned step does to the host, resolved to ids. `apply` carries the request as the
 * engine takes it, minus runId and durationSeconds (the runner adds both: the run's id, and an
 * expiry a little after the step's planned end, so a killed run heals by expiry).
 */
export const PlannedEffect = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('apply'),
    request: z.union([
      z.object({ cuts: z.array(CutRequest).min(1) }),
      z.object({ partition: PartitionRequest }),
    ]),
  }),
  /** Heals this run's cuts: all of them (guestIds null) or those touching these guests. */
  z.object({ kind: z.literal('heal'), guestIds: z.array(GuestId).nullable() }),
  z.object({
    kind: z.literal('protect'),
    targets: z.array(z.object({ guestId: GuestId, mac: MacAddress })).min(1),
    presetId: z.string().min(1),
    parameters: z.array(FilterParameter),
  }),
  z.object({
    kind: z.literal('unprotect'),
    targets: z.array(z.object({ guestId: GuestId, mac: MacAddress })).min(1),
  }),
  z.object({ kind: z.literal('wait') }),
]);
export type PlannedEffect = z.infer<typeof PlannedEffect>;

/**
 * One step of a plan on the run's clock (ms from the start; a paused run's clock stands still).
 * A step with `holdMs` is undone at `atMs + holdMs` (its cuts healed, its protection change put
 * back); with null it holds until a heal step or the end of the run.
 */
export const PlannedStep = z.object({
  /** The step's path in the file: "3", "4.2" (second step inside step 4), "5#2.1" (repeat 2). */
  id: z.string().min(1),
  /** The branch of a parallel step it runs in ("" outside any), for the timeline's lanes. */
  lane: z.string(),
  atMs: z.number().int().nonnegative(),
  holdMs: z.number().int().positive().nullable(),
  kind: z.enum(['cut', 'partition', 'heal', 'protect', 'unprotect', 'wait']),
  /** In plain words, guests by name: "partition halves: lab-node1 | lab-node2 lab-node3". */
  description: z.string(),
  /** Guest names involved, for the graph's highlight and the report. */
  guests: z.array(z.string()),
  effect: PlannedEffect,
});
export type PlannedStep = z.infer<typeof PlannedStep>;

export const ScenarioPlan = z.object({
  name: z.string(),
  /** The host it was planned on (the first of hostIds when there are several). */
  hostId: HostId,
  /** Every host whose guests it names, hostId first; absent when that is hostId alone. */
  hostIds: z.array(HostId).min(2).optional(),
  /** The seed that drew every random choice (nemeses, jitter); printed so a run can be replayed. */
  seed: z.number().int().nonnegative(),
  /** When the last step's effect ends: the run's length without pauses. */
  totalMs: z.number().int().nonnegative(),
  steps: z.array(PlannedStep),
});
export type ScenarioPlan = z.infer<typeof ScenarioPlan>;

/** A nemesis in Jepsen's vocabulary, run for `durationSeconds` (or `rounds`) on `guests`. */
export const NemesisName = z.enum([
  'random-halves',
  'random-isolated',
  'majorities-ring',
  'bridge',
  'flapping-link',
  'one-link',
]);
export type NemesisName = z.infer<typeof NemesisName>;

/** Where a plan comes from: a scenario file's text, or a nemesis with its settings. */
export const ScenarioSource = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('file'),
    /** YAML or JSON (JSON is YAML); errors name the line and the field. */
    text: z.string().max(1_000_000),
    /** For messages only: "raft.yaml". */
    filename: z.string().max(500).optional(),
  }),
  z.object({
    kind: z.literal('nemesis'),
    nemesis: NemesisName,
    /** Guest names or patterns ("lab-node*", "label:role=db"); default every running guest. */
    guests: z.array(z.string().min(1)).optional(),
    intervalSeconds: z.number().positive().max(86_400).optional(),
    jitterSeconds: z.number().nonnegative().max(86_400).optional(),
    durationSeconds: z
      .number()
      .positive()
      .max(7 * 86_400)
      .optional(),
    rounds: z.number().int().positive().max(10_000).optional(),
  }),
]);
export type ScenarioSource = z.infer<typeof ScenarioSource>;

export const ScenarioPlanRequest = z.strictObject({
  hostId: HostId,
  /**
   * Hosts whose guests it may name besides hostId's (the CLI's several -c): their guests are
   * selected together, `guest@host` picks one where a name is on several hosts.
   */
  hostIds: z.array(HostId).max(16).optional(),
  source: ScenarioSource,
  /** Overrides the file's seed; default: the file's, else drawn at random (and printed). */
  seed: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 32 - 1)
    .optional(),
});
export type ScenarioPlanRequest = z.infer<typeof ScenarioPlanRequest>;

export const ScenarioStartRequest = ScenarioPlanRequest.extend({
  /** Stop (healing what the run made) after this long, whatever the plan says. */
  maxDurationSeconds: z
    .number()
    .positive()
    .max(7 * 86_400)
    .optional(),
  /** Go ahead when a step must replace someone else's binding (see ApplyRequest). */
  allowUnfilteredWindow: z.boolean().optional(),
  /** Start paused (the UI's "step through"). */
  paused: z.boolean().optional(),
});
export type ScenarioStartRequest = z.infer<typeof ScenarioStartRequest>;

export const StepStatus = z.enum(['waiting', 'active', 'done', 'failed', 'skipped']);
export type StepStatus = z.infer<typeof StepStatus>;

/**
 * running / paused: under way; stopping: healing what it made; then one of done (the plan ran
 * out), stopped (pause, Ctrl-C, SIGTERM, --max-duration, the UI, or its cuts healed by another
 * instance), failed (a step failed: what the run made is healed).
 */
export const RunState = z.enum(['running', 'paused', 'stopping', 'done', 'stopped', 'failed']);
export type RunState = z.infer<typeof RunState>;

export const RunStatus = z.object({
  runId: RunId,
  plan: ScenarioPlan,
  state: RunState,
  startedAt: z.string(),
  /** The run's clock: ms of the plan that have passed. */
  clockMs: z.number().int().nonnegative(),
  /** Per step, by index in plan.steps. */
  stepStatus: z.array(StepStatus),
  /** The clock time of the next thing to happen (a step or an undo); null when none is left. */
  nextAtMs: z.number().int().nonnegative().nullable(),
  /** Why it stopped or failed, in a sentence. */
  reason: z.string().optional(),
  error: ApiError.optional(),
});
export type RunStatus = z.infer<typeof RunStatus>;

export const RunControl = z.strictObject({
  runId: RunId,
  action: z.enum(['pause', 'resume', 'step', 'stop']),
});
export type RunControl = z.infer<typeof RunControl>;

/** Pushed on every change of a run of this engine: started, a step, paused, ended. */
export const ScenarioRunEvent = z.object({ type: z.literal('scenario.run'), run: RunStatus });
