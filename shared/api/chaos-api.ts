import type {
  ApplyRequest,
  ApplyResult,
  CallName,
  CallParams,
  CallValue,
  ExportFormat,
  HealRequest,
} from './calls';
import type { ChaosEvent } from './events';
import type {
  ActivityEntry,
  FilterParameter,
  FilterTreeNode,
  Guest,
  HostAuth,
  HostInventory,
  HostSummary,
  Preset,
} from './model';
import type { Result } from './result';
import type {
  RunControl,
  RunStatus,
  ScenarioPlan,
  ScenarioPlanRequest,
  ScenarioStartRequest,
} from './scenario';
import type { SegmentGroup, SegmentJoinRequest, SegmentSplitRequest } from './segments';
import type { GuestId, HostId, PromptId } from './values';

export type ChaosEventListener = (event: ChaosEvent) => void;
export type Unsubscribe = () => void;

/**
 * The one contract between UI and engine. The engine implements it; the Electron IPC host and
 * the WebSocket server expose it unchanged; the renderer (and the CLI, in process) consume it.
 * Every method resolves to a Result and never rejects: errors are data. Payloads are plain data.
 */
export interface ChaosApi {
  'hosts.list'(params: Record<string, never>): Promise<Result<HostSummary[]>>;
  'hosts.add'(params: {
    uri: string;
    auth: HostAuth;
    label?: string | undefined;
  }): Promise<Result<HostSummary>>;
  'hosts.remove'(params: { hostId: HostId }): Promise<Result<null>>;
  'hosts.connect'(params: { hostId: HostId }): Promise<Result<HostSummary>>;
  'hosts.disconnect'(params: { hostId: HostId }): Promise<Result<HostSummary>>;
  'hostKey.answer'(params: { promptId: PromptId; accept: boolean }): Promise<Result<null>>;
  'passphrase.answer'(params: {
    promptId: PromptId;
    passphrase: string | null;
  }): Promise<Result<null>>;
  'inventory.get'(params: { hostId: HostId }): Promise<Result<HostInventory>>;
  'chaos.apply'(params: ApplyRequest): Promise<Result<ApplyResult>>;
  'chaos.heal'(params: HealRequest): Promise<Result<ApplyResult>>;
  'chaos.repair'(params: {
    hostId: HostId;
    dryRun?: boolean | undefined;
    allowUnfilteredWindow?: boolean | undefined;
  }): Promise<Result<ApplyResult>>;
  'chaos.undo'(params: Record<string, never>): Promise<Result<ApplyResult | null>>;
  'protection.set'(params: {
    guestId: GuestId;
    mac: string;
    presetId: string;
    parameters: FilterParameter[];
    dryRun?: boolean | undefined;
    allowUnfilteredWindow?: boolean | undefined;
  }): Promise<Result<ApplyResult>>;
  'protection.clear'(params: {
    guestId: GuestId;
    mac: string;
    dryRun?: boolean | undefined;
    allowUnfilteredWindow?: boolean | undefined;
  }): Promise<Result<ApplyResult>>;
  'presets.list'(params: Record<string, never>): Promise<Result<Preset[]>>;
  'guests.labels'(params: {
    guestId: GuestId;
    set: Record<string, string>;
    remove: string[];
  }): Promise<Result<Guest | null>>;
  'bindings.xml'(params: { hostId: HostId; portdev: string }): Promise<Result<{ xml: string }>>;
  'filters.tree'(params: {
    hostId: HostId;
    filter: string;
    portdev?: string | undefined;
  }): Promise<Result<{ nodes: FilterTreeNode[]; parameters: FilterParameter[] }>>;
  'activity.list'(params: {
    hostId?: HostId | undefined;
    limit?: number | undefined;
  }): Promise<Result<ActivityEntry[]>>;
  'activity.export'(params: {
    format: ExportFormat;
    hostId?: HostId | undefined;
    entryIds?: string[] | undefined;
  }): Promise<Result<{ filename: string; mimeType: string; content: string }>>;
  'scenario.plan'(params: ScenarioPlanRequest): Promise<Result<ScenarioPlan>>;
  'scenario.start'(params: ScenarioStartRequest): Promise<Result<RunStatus>>;
  'scenario.control'(params: RunControl): Promise<Result<RunStatus>>;
  'scenario.runs'(params: Record<string, never>): Promise<Result<RunStatus[]>>;
  'traffic.watch'(params: { seconds: number }): Promise<Result<{ until: number }>>;
  'segments.list'(params: Record<string, never>): Promise<Result<SegmentGroup[]>>;
  'segments.join'(params: SegmentJoinRequest): Promise<Result<SegmentGroup[]>>;
  'segments.split'(params: SegmentSplitRequest): Promise<Result<SegmentGroup[]>>;

  /** Every event of the engine, in order, until unsubscribed. */
  subscribe(listener: ChaosEventListener): Unsubscribe;
}

/** The calls of ChaosApi as the schema table defines them. */
export type ChaosCalls = {
  [C in CallName]: (params: CallParams<C>) => Promise<Result<CallValue<C>>>;
};

// The interface above is written out for people; the table in calls.ts is what validates.
// These two lines fail to compile the moment they drift apart.
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const contractMatchesSchemas: Equal<Omit<ChaosApi, 'subscribe'>, ChaosCalls> = true;
void contractMatchesSchemas;
