import { z } from 'zod';
import { NemesisName } from '../api/scenario';
import { TcpUdpPort } from '../api/values';

// The scenario file: YAML or JSON, one schema (schema/scenario.schema.json is generated from
// this file, so editors and the engine never disagree). shared/scenario/README.md explains it
// to users; keep the two together.

/** "500ms", "10s", "1m30s", "2h", or a number of seconds. */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
export const DURATION_RULE = 'a duration is like 500ms, 10s, 1m30s or 2h, or a number of seconds';
export const Duration = z
  .union(
    [
      z
        .number()
        .positive('a duration is more than 0 seconds')
        .max(7 * 86_400, 'a duration is at most a week (604800 seconds)'),
      z.string().regex(DURATION_PATTERN, DURATION_RULE),
    ],
    { error: DURATION_RULE },
  )
  .describe('500ms, 10s, 1m30s, 2h, or a number of seconds');
export type Duration = z.infer<typeof Duration>;

/**
 * Which guests: a name ("lab-node1"), a pattern with * ? [..] ("lab-node*"), or a label kept in
 * the guest's libvirt metadata ("label:role=db", or "label:role" for any value).
 */
export const Selector = z
  .string()
  .min(1)
  .max(200)
  .describe('A guest name, a pattern with * ? [..] (lab-node*), or label:key=value / label:key');
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
  name: z
    .string()
    .max(200)
    .optional()
    .describe('Shown in progress, the timeline and reports; default: the step in plain words'),
  duration: Duration.optional().describe(
    "Hold the step's effect this long, then undo it; without it a cut holds until a heal step or the run's end",
  ),
};

/** Addresses outside the guests, as one side of a cut. */
export const Outside = z.strictObject({
  outside: z
    .string()
    .min(1)
    .max(253)
    .describe(
      "An IPv4 address, a network a.b.c.d/n, a DNS name (resolved once, when the step runs) or 'gateway' (each guest's libvirt network address)",
    ),
});

/** One side of a cut: guests, or addresses outside them. */
const CutSide = z.union([SelectorOrList, Outside], {
  error: (iss) =>
    iss.input === undefined
      ? undefined
      : 'expected a guest selector, a list of them, or {outside: ADDRESS}',
});

export const CutStep = z.strictObject({
  ...StepBase,
  cut: z
    .strictObject({
      from: CutSide,
      to: CutSide,
      /** both (default): nothing passes either way; one-way: only from -> to is dropped. */
      direction: z.enum(['both', 'one-way']).optional(),
      scope: Scope.optional(),
      /** With scope tcp or udp: only this destination port. */
      port: TcpUdpPort.optional(),
      /** The network or bridge, when the guests share several. */
      segment: z.string().min(1).optional(),
    })
    .describe('Cut every guest matched by from from every guest matched by to'),
});

export const PartitionStep = z.strictObject({
  ...StepBase,
  partition: Topology.describe("A partition in Jepsen's vocabulary"),
  guests: Selectors.optional().describe(
    'The members, in order (halves takes the first half); default: every running guest',
  ),
  groups: z.array(Selectors).min(2).optional().describe('With partition: groups'),
});

export const HealStep = z.strictObject({
  ...StepBase,
  /** run: every cut this run holds; or the run's cuts that touch these guests. Never another's. */
  heal: z
    .union([z.literal('run'), Selectors], {
      error: (iss) =>
        iss.input === undefined ? undefined : 'expected run, or a list of guest selectors',
    })
    .describe("run: every cut this run holds; or the run's cuts touching these guests"),
});

export const ProtectStep = z.strictObject({
  ...StepBase,
  protect: Selectors.describe('Put a spoof-protection preset on every interface of these guests'),
  preset: z.string().min(1).optional().describe('See `kvm-chaos presets`; default clean-traffic'),
  parameters: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
});

export const UnprotectStep = z.strictObject({
  ...StepBase,
  unprotect: Selectors.describe('Take the protection off every interface of these guests'),
});

export const WaitStep = z.strictObject({
  name: StepBase.name,
  wait: Duration.describe('Do nothing this long'),
});

export const NemesisStep = z.strictObject({
  ...StepBase,
  nemesis: NemesisName.describe('Rounds of random faults drawn from the seed'),
  guests: Selectors.optional().describe('Default: every running guest of the host'),
  interval: Duration.optional().describe(
    'How long each fault holds, and the quiet after it (default 10s)',
  ),
  jitter: Duration.optional().describe(
    'Each hold and quiet is interval plus or minus up to this much (less than interval)',
  ),
  rounds: z
    .number()
    .int()
    .positive()
    .max(10_000)
    .optional()
    .describe('How many faults (default: as many as begin within duration, else 5)'),
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
    repeat: z.number().int().positive().max(10_000).describe('Run steps this many times'),
    steps: z.array(step).min(1),
  });
}

/** A parallel step over steps of schema `step`. */
export function parallelStepOf<S extends z.ZodType>(step: S) {
  return z.strictObject({
    name: StepBase.name,
    parallel: z
      .array(z.array(step).min(1))
      .min(2)
      .describe('Branches (lists of steps) that start together; ends when the longest ends'),
  });
}

const ACTIONS_TEXT = 'cut, partition, heal, protect, unprotect, wait, nemesis, repeat or parallel';

export const Step: z.ZodType<Step> = z
  .lazy(() =>
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
  )
  .meta({ id: 'Step', description: `One action: ${ACTIONS_TEXT}` });

export const Scenario = z.strictObject({
  /** For editors: where the JSON Schema is. */
  $schema: z.string().optional(),
  name: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  hosts: z
    .array(z.string().min(1).max(500))
    .min(1)
    .max(16)
    .optional()
    .describe(
      "The libvirt hosts it runs on, as kvm-chaos -c takes them (several: their guests together); the CLI's -c overrides them",
    ),
  seed: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 32 - 1)
    .optional()
    .describe('Every random choice is drawn from it; --seed overrides it'),
  maxDuration: Duration.optional().describe(
    'Stop (healing what the run made) after this long, whatever the steps say',
  ),
  steps: z.array(Step).min(1).describe('Run one after another'),
});
export type Scenario = z.infer<typeof Scenario>;
