import { z } from 'zod';
import {
  ActivityEntry,
  CutRequest,
  FilterParameter,
  FilterTreeNode,
  Guest,
  HostAuth,
  HostInventory,
  HostSummary,
  PartitionRequest,
  Plan,
  Preset,
  RunId,
} from './model';
import {
  RunControl,
  RunStatus,
  ScenarioPlan,
  ScenarioPlanRequest,
  ScenarioStartRequest,
} from './scenario';
import { SegmentGroups, SegmentJoinRequest, SegmentSplitRequest } from './segments';
import { TrafficWatchRequest } from './traffic';
import {
  ApplyId,
  CutId,
  DurationSeconds,
  GuestId,
  HostId,
  LabelKey,
  LabelValue,
  MacAddress,
  PromptId,
} from './values';

// Every call between UI and engine: its name, what it takes, what it gives back. The table is
// the contract; ChaosApi (chaos-api.ts) spells it out as an interface and is checked against it.

const Empty = z.object({});
const Done = z.null();
const DryRun = z.boolean().optional();

/**
 * A plan that must replace someone else's binding leaves that port without any rule for a moment;
 * such a plan runs only when the caller says so (the UI asks the user first).
 */
const AllowWindow = z.boolean().optional();

export const ApplyRequest = z.union([
  z.strictObject({
    cuts: z.array(CutRequest).min(1),
    durationSeconds: DurationSeconds.optional(),
    dryRun: DryRun,
    allowUnfilteredWindow: AllowWindow,
    runId: RunId.optional(),
  }),
  z.strictObject({
    partition: PartitionRequest,
    durationSeconds: DurationSeconds.optional(),
    dryRun: DryRun,
    allowUnfilteredWindow: AllowWindow,
    runId: RunId.optional(),
  }),
]);
export type ApplyRequest = z.infer<typeof ApplyRequest>;

const HealOptions = { dryRun: DryRun, allowUnfilteredWindow: AllowWindow };
export const HealRequest = z.union([
  z.strictObject({ cutIds: z.array(CutId).min(1), ...HealOptions }),
  z.strictObject({ guestId: GuestId, ...HealOptions }),
  z.strictObject({ hostId: HostId, ...HealOptions }),
  z.strictObject({ all: z.literal(true), ...HealOptions }),
  /** Only the cuts whose expiry has passed (cron: `kvm-chaos heal --expired`). */
  z.strictObject({ expired: z.literal(true), ...HealOptions }),
  /** Only the cuts a run made (`kvm-chaos heal --run ID`). */
  z.strictObject({ runId: z.string().min(1).max(100), ...HealOptions }),
]);
export type HealRequest = z.infer<typeof HealRequest>;

/**
 * What an apply, heal, undo or protection change did. The call resolves once every operation
 * ran (apply.progress events arrive before it), or at once with dryRun. On failure the result is
 * an error (apply-failed) after what this apply did was rolled back.
 */
export const ApplyResult = z.object({
  applyId: ApplyId,
  dryRun: z.boolean(),
  plan: Plan,
  /** The cuts made (apply) or healed (heal, undo). */
  cutIds: z.array(CutId),
  /** How often a conflict with another writer made the change re-read the host and re-plan. */
  replans: z.number().int().nonnegative().optional(),
});
export type ApplyResult = z.infer<typeof ApplyResult>;

export const ExportFormat = z.enum(['text', 'virsh-script']);
export type ExportFormat = z.infer<typeof ExportFormat>;

const HostRef = z.object({ hostId: HostId });

/** Labels to set; a bad key is named with the rule it breaks (zod's record says only "Invalid key"). */
const LabelRecord = z.record(z.string(), LabelValue).superRefine((labels, ctx) => {
  for (const key of Object.keys(labels)) {
    const checked = LabelKey.safeParse(key);
    if (!checked.success)
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: checked.error.issues[0]?.message ?? 'not a label key',
      });
  }
});
const InterfaceRef = z.object({ guestId: GuestId, mac: MacAddress });

export const calls = {
  'hosts.list': { params: Empty, value: z.array(HostSummary) },
  /** Adds the host and starts connecting; progress comes as host.state events. */
  'hosts.add': {
    params: z.object({
      uri: z.string().min(1).max(500),
      auth: HostAuth,
      label: z.string().optional(),
    }),
    value: HostSummary,
  },
  'hosts.remove': { params: HostRef, value: Done },
  'hosts.connect': { params: HostRef, value: HostSummary },
  'hosts.disconnect': { params: HostRef, value: HostSummary },
  /** The answer to a hostKey.prompt: accept remembers the key in known_hosts. */
  'hostKey.answer': { params: z.object({ promptId: PromptId, accept: z.boolean() }), value: Done },
  /** The answer to a passphrase.prompt; null cancels. Never stored. */
  'passphrase.answer': {
    params: z.object({ promptId: PromptId, passphrase: z.string().max(1024).nullable() }),
    value: Done,
  },
  'inventory.get': { params: HostRef, value: HostInventory },
  'chaos.apply': { params: ApplyRequest, value: ApplyResult },
  'chaos.heal': { params: HealRequest, value: ApplyResult },
  /**
   * Makes the host hold exactly what its intents ask: repairs what an interrupted change left,
   * re-applies cuts of restarted guests, heals expired ones. Dry-run lists what it would do.
   */
  'chaos.repair': {
    params: HostRef.extend({ dryRun: DryRun, allowUnfilteredWindow: AllowWindow }),
    value: ApplyResult,
  },
  /** Heals the cuts of the newest apply of this engine instance that still holds any; null if none. */
  'chaos.undo': { params: Empty, value: ApplyResult.nullable() },
  /** Sets a preset on one interface, live and persistent (update-device --live --config). */
  'protection.set': {
    params: InterfaceRef.extend({
      presetId: z.string().min(1),
      parameters: z.array(FilterParameter),
      dryRun: DryRun,
      allowUnfilteredWindow: AllowWindow,
    }),
    value: ApplyResult,
  },
  'protection.clear': {
    params: InterfaceRef.extend({ dryRun: DryRun, allowUnfilteredWindow: AllowWindow }),
    value: ApplyResult,
  },
  'presets.list': { params: Empty, value: z.array(Preset) },
  /**
   * Sets and removes a guest's labels (scenario selectors "label:key=value"), kept in its libvirt
   * metadata, live and persistent; gives the guest as read back, null if it is gone meanwhile.
   */
  'guests.labels': {
    params: z.strictObject({
      guestId: GuestId,
      set: LabelRecord,
      remove: z.array(LabelKey),
    }),
    value: Guest.nullable(),
  },
  /** Fresh from libvirt (nwfilter-binding-dumpxml). */
  'bindings.xml': {
    params: HostRef.extend({ portdev: z.string().min(1) }),
    value: z.object({ xml: z.string() }),
  },
  /** The filter expanded into rules in plain words; with a portdev, variables take its values. */
  'filters.tree': {
    params: HostRef.extend({ filter: z.string().min(1), portdev: z.string().optional() }),
    value: z.object({ nodes: z.array(FilterTreeNode), parameters: z.array(FilterParameter) }),
  },
  /** Newest first. */
  'activity.list': {
    params: z.object({
      hostId: HostId.optional(),
      limit: z.number().int().min(1).max(5000).optional(),
    }),
    value: z.array(ActivityEntry),
  },
  'activity.export': {
    params: z.object({
      format: ExportFormat,
      hostId: HostId.optional(),
      /** Only these entries (e.g. one row's "copy as commands"), oldest first as always. */
      entryIds: z.array(z.string()).max(5000).optional(),
    }),
    value: z.object({ filename: z.string(), mimeType: z.string(), content: z.string() }),
  },
  /** Resolves a scenario file or a nemesis on the host's inventory; changes nothing. */
  'scenario.plan': { params: ScenarioPlanRequest, value: ScenarioPlan },
  /** Starts a run in this engine; progress comes as scenario.run events. */
  'scenario.start': { params: ScenarioStartRequest, value: RunStatus },
  /** Pause, resume, step (run the next thing now, then pause) or stop (heal what it made). */
  'scenario.control': { params: RunControl, value: RunStatus },
  /** The runs of this engine, newest first (ended ones too, while the engine lives). */
  'scenario.runs': { params: Empty, value: z.array(RunStatus) },
  /** Samples every connected host's traffic until `seconds` from now (traffic.sample events). */
  'traffic.watch': { params: TrafficWatchRequest, value: z.object({ until: z.number() }) },
  /** The user's saved segment groups (shared/inventory/segment-groups.ts resolves them). */
  'segments.list': { params: Empty, value: SegmentGroups },
  /** Saves that two segments of different hosts are one L2 segment; gives the groups after. */
  'segments.join': { params: SegmentJoinRequest, value: SegmentGroups },
  /** Takes a segment out of the user's groups ("not joined"); gives the groups after. */
  'segments.split': { params: SegmentSplitRequest, value: SegmentGroups },
} as const satisfies Record<string, { params: z.ZodType; value: z.ZodType }>;

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallParams<C extends CallName> = z.infer<Calls[C]['params']>;
export type CallValue<C extends CallName> = z.infer<Calls[C]['value']>;

export const callNames = Object.keys(calls) as CallName[];

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.hasOwn(calls, name);
}
