import { z } from 'zod';
import {
  ActivityEntry,
  ApiError,
  ApplyOperationStatus,
  HostInventory,
  HostKeyPrompt,
  HostStatus,
  HostSummary,
  InventoryPatch,
  OperationKind,
  PassphrasePrompt,
} from './model';
import { ScenarioRunEvent } from './scenario';
import { SegmentsChanged } from './segments';
import { TrafficSample } from './traffic';
import { ApplyId, HostId, PromptId } from './values';

// Everything the engine pushes to the UI, one discriminated union on `type`.

export const InventoryChanged = z.object({
  type: z.literal('inventory.changed'),
  hostId: HostId,
  change: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('full'), inventory: HostInventory }),
    /** Applies to `baseRevision` only; a client at another revision asks inventory.get. */
    z.object({
      kind: z.literal('patch'),
      baseRevision: z.number().int().nonnegative(),
      revision: z.number().int().nonnegative(),
      patch: InventoryPatch,
    }),
  ]),
});

export const HostStateChanged = z.object({ type: z.literal('host.state'), status: HostStatus });

/** The configured hosts changed (added or removed, here or by another client of the engine). */
export const HostsChanged = z.object({
  type: z.literal('hosts.changed'),
  hosts: z.array(HostSummary),
});

export const ApplyProgress = z.object({
  type: z.literal('apply.progress'),
  applyId: ApplyId,
  hostId: HostId,
  /** 0-based position of the operation in the plan, and the plan's length. */
  index: z.number().int().nonnegative(),
  total: z.number().int().positive(),
  kind: OperationKind,
  description: z.string(),
  xml: z.string().nullable(),
  status: ApplyOperationStatus,
  error: ApiError.optional(),
});

export const ActivityAppended = z.object({
  type: z.literal('activity.appended'),
  entry: ActivityEntry,
});

export const HostKeyPromptEvent = z.object({
  type: z.literal('hostKey.prompt'),
  prompt: HostKeyPrompt,
});

export const PassphrasePromptEvent = z.object({
  type: z.literal('passphrase.prompt'),
  prompt: PassphrasePrompt,
});

/** A prompt was answered (maybe by another client) or timed out: close its dialog. */
export const PromptClosed = z.object({
  type: z.literal('prompt.closed'),
  promptId: PromptId,
  reason: z.enum(['answered', 'timeout', 'cancelled']),
});

export const ChaosEvent = z.discriminatedUnion('type', [
  InventoryChanged,
  HostStateChanged,
  HostsChanged,
  ApplyProgress,
  ActivityAppended,
  HostKeyPromptEvent,
  PassphrasePromptEvent,
  PromptClosed,
  ScenarioRunEvent,
  TrafficSample,
  SegmentsChanged,
]);
export type ChaosEvent = z.infer<typeof ChaosEvent>;
export type ChaosEventType = ChaosEvent['type'];
export type EventOf<T extends ChaosEventType> = Extract<ChaosEvent, { type: T }>;
