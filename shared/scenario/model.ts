import { z } from 'zod';
import { NemesisName } from '../api/scenario';
import { TcpUdpPort } from '../api/values';

// The scenario file: YAML or JSON, one schema (schema/scenario.schema.json is generated from
// this file, so editors and the engine never disagree). shared/scenario/README.md explains it
// to users; keep the two together.

/** "500ms", "10s", "1m30s", "2h", or a number of seconds. */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
export const DURATION_RULE = 'a duration is like 500ms, 10s, 1m30s or 2h, or a number of seconds';
export const Duration = z.union(
  [
    z
      .number()
      .positive('a duration is more than 0 seconds')
      .max(7 * 86_400, 'a duration is at most a week (604800 seconds)'),
    z.string().regex(DURATION_PATTERN, DURATION_RULE),
  ],
  { error: DURATION_RULE },
);
export type Duration = z.infer<typeof Duration>;

/**
 * Which guests: a name ("lab-node1"), a pattern with * ? [..] ("lab-node*"), or a label kept in
 * the guest's libvirt metadata ("label:role=db", or "label:role" for any value).
 */
export const Selector = z.string().min(1).max(200);
export type Selector = z.infer<typeof Selector>;
export const Selectors = z.array(Selector).min(1);
/** One selector or a list; missing is left to the reader's own message. */
const SelectorOrList = z.union([Selector, Selectors], {
  error: (iss) =>
    iss.input === undefined ? undefined : 'expected a guest selector or a list of them',
});

export const Scope = z.enum(['all', 'ipv4', 'icmp', 'tcp', 'udp']);
export const Topology = z.enum([
  'isolate',
  'halves',
  'majority-minority',
  'majorities-ring',
  'bridge',
  'groups',
]);

/** Modifiers every step may carry. */
const StepBase = {
  /** Shown in progress, the timeline and reports; default: the step in plain words. */
  name: z.string().max(200).optional(),
  /** Hold the step's effect this long, then undo it; without it a cut holds until a heal step
   * or the run's end, and a protection change until the run's end. */
  duration: Duration.optional(),
};

export const CutStep = z.strictObject({
  ...StepBase,
  /** Every guest matched by `from` is cut from every guest matched by `to`. */
  cut: z.strictObject({
    from: SelectorOrList,
    to: SelectorOrList,
    /** both (default): nothing passes either way; one-way: only from -> to is dropped. */
    direction: z.enum(['both', 'one-way']).optional(),
    scope: Scope.optional(),
    /** With scope tcp or udp: only this destination port. */
    port: TcpUdpPort.optional(),
    /** The network or bridge, when the guests share several. */
    segment: z.string().min(1).optional(),
  }),
});

export const PartitionStep = z.strictObject({
  ...StepBase,
  partition: Topology,
  /** The members, in order (halves takes the first half of this order). */
  guests: Selectors.optional(),
  /** With partition: groups. */
  groups: z.array(Selectors).min(2).optional(),
});

export const HealStep = z.strictObject({
  ...StepBase,
  /** run: every cut this run holds; or the run's cuts that touch these guests. Never another's. */
  heal: z.union([z.literal('run'), Selectors], {
    error: (iss) =>
      iss.input === undefined ? undefined : 'expected run, or a list of guest selectors',
  }),
});

export const ProtectStep = z.strictObject({
  ...StepBase,
  protect: Selectors,
  /** See `kvm-chaos presets`; default clean-traffic, with the IP the host knows pinned. */
  preset: z.string().min(1).optional(),
  parameters: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
});

export const UnprotectStep = z.strictObject({ ...StepBase, unprotect: Selectors });

export const WaitStep = z.strictObject({ name: StepBase.name, wait: Duration });

export const NemesisStep = z.strictObject({
  ...StepBase,
  nemesis: NemesisName,
  /** Default: every running guest of the host. */
  guests: Selectors.optional(),
  /** How long each fault holds, and how long the quiet between faults lasts (default 10s). */
  interval: Duration.optional(),
  /** Each hold and quiet is interval plus or minus up to this much, drawn from the seed. */
  jitter: Duration.optional(),
  /** How many faults (default: as many as fit in `duration`, else 5). */
  rounds: z.number().int().positive().max(10_000).optional(),
});

export type Step =
  | z.infer<typeof CutStep>
  | z.infer<typeof PartitionStep>
  | z.infer<typeof HealStep>
  | z.infer<typeof ProtectStep>
  | z.infer<typeof UnprotectStep>
  | z.infer<typeof WaitStep>
  | z.infer<typeof NemesisStep>
  | RepeatStep
  | ParallelStep;

export interface RepeatStep {
  name?: string | undefined;
  repeat: number;
  steps: Step[];
}

export interface ParallelStep {
  name?: string | undefined;
  /** Branches that start together; the step ends when the longest ends. */
  parallel: Step[][];
}

/** A repeat step over steps of schema `step` (the parser checks the inner steps one by one). */
export function repeatStepOf<S extends z.ZodType>(step: S) {
  return z.strictObject({
    name: StepBase.name,
    repeat: z.number().int().positive().max(10_000),
    steps: z.array(step).min(1),
  });
}

/** A parallel step over steps of schema `step`. */
export function parallelStepOf<S extends z.ZodType>(step: S) {
  return z.strictObject({
    name: StepBase.name,
    parallel: z.array(z.array(step).min(1)).min(2),
  });
}

export const Step: z.ZodType<Step> = z.lazy(() =>
  z.union([
    CutStep,
    PartitionStep,
    HealStep,
    ProtectStep,
    UnprotectStep,
    WaitStep,
    NemesisStep,
    repeatStepOf(Step),
    parallelStepOf(Step),
  ]),
);

export const Scenario = z.strictObject({
  /** For editors: where the JSON Schema is. */
  $schema: z.string().optional(),
  name: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  /** The libvirt host it runs on (as `kvm-chaos -c` takes it); the CLI's -c overrides it. */
  hosts: z.array(z.string().min(1).max(500)).min(1).max(1).optional(),
  /** Every random choice (nemeses, jitter) is drawn from it; --seed overrides it. */
  seed: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 32 - 1)
    .optional(),
  /** Stop (healing what the run made) after this long, whatever the steps say. */
  maxDuration: Duration.optional(),
  steps: z.array(Step).min(1),
});
export type Scenario = z.infer<typeof Scenario>;
