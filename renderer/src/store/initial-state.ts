import type {
  ActivityEntry,
  ActivityKind,
  ApiError,
  ApplyId,
  CutScope,
  GuestId,
  HostId,
  HostInventory,
  HostKeyPrompt,
  HostSummary,
  OperationKind,
  OwnershipClass,
  Parsed,
  PartitionRequest,
  PassphrasePrompt,
  Preset,
  SegmentGroup,
} from '../../../shared/api';
import type { XY } from '../graph/layout';
import { initialScenarioState, type ScenarioState } from './scenario-state';

// The UI's state: what the engine told us (hosts, inventories, activity, prompts) and what only
// the UI cares about (tool, selection, panels, theme). Engine data is replaced, never mutated.

export type TransportState = 'connecting' | 'open' | 'closed';

export type NoticeTone = 'info' | 'success' | 'error';

export type Notice = {
  id: number;
  tone: NoticeTone;
  message: string;
  hint?: string | undefined;
  /** How many times the same words were said while this notice was shown. */
  count: number;
  /** When it goes by itself (ms since the epoch); null: it stays until dismissed. */
  expiresAt: number | null;
};

/**
 * A topology shown on the graph before it is applied: the request as it will be sent, and the
 * side each guest will fall on (guests of the request only; the others stay as they are).
 */
export type PartitionPreview = {
  /** What Apply will do, in the words its notice and pending call use. */
  label: string;
  request: PartitionRequest;
  /** Guest id -> side index (0, 1, ...): guests on one side still reach each other. */
  sides: ReadonlyMap<GuestId, number>;
};

/** One apply as its apply.progress events describe it. */
export type ApplyView = {
  applyId: ApplyId;
  hostId: HostId;
  total: number;
  /** Operations finished so far. */
  done: number;
  current: { index: number; kind: OperationKind; description: string; xml: string | null };
  status: 'running' | 'done' | 'failed' | 'rolled-back';
  error?: ApiError | undefined;
};

/**
 * A change the engine refused because its plan replaces someone else's binding, leaving `ports`
 * without any rule for a moment: the user is asked before the same call goes out again with
 * allowUnfilteredWindow.
 */
export type ConsentPrompt = {
  id: number;
  /** What the user asked for, as the pending call and the activity log name it. */
  label: string;
  kind: ActivityKind;
  /** The engine's words, which name the ports. */
  message: string;
  hint?: string | undefined;
  /** The ports of known hosts that the message names. */
  ports: string[];
};

/** A call this UI is waiting for, with the links it is about (drawn as in progress). */
export type PendingCall = { id: number; label: string; linkIds: string[]; startedAt: number };

export type Tool = 'select' | 'knife';
export type PanelTab = 'inspector' | 'guest' | 'connections' | 'activity' | 'scenarios';
export type Theme = 'dark' | 'light';

export type KnifeMarkView = { direction: 'forward' | 'backward' };

/** A field as typed and what shared/api's reader makes of it; only a valid value is ever sent. */
export type Field<T> = { text: string } & Parsed<T>;

export type ChaosState = {
  transport: TransportState;
  /** The first load after the transport opened has finished. */
  loaded: boolean;
  hosts: HostSummary[];
  inventories: Record<string, HostInventory>;
  presets: Preset[];
  /** Segments of different hosts the user saved as one L2 segment (segments.changed). */
  segmentGroups: SegmentGroup[];
  activity: ActivityEntry[];
  hostKeyPrompts: HostKeyPrompt[];
  passphrasePrompts: PassphrasePrompt[];
  /** Unfiltered windows waiting for a yes or no, oldest first. */
  consentPrompts: ConsentPrompt[];
  applies: Record<string, ApplyView>;
  /** The apply shown in the status bar: the newest one. */
  latestApplyId: ApplyId | null;
  pending: PendingCall[];

  tool: Tool;
  /** Shift held: the knife for as long as the key is down. */
  knifeHeld: boolean;
  oneWay: boolean;
  scopeKind: CutScope['kind'];
  /** The destination port of TCP and UDP cuts; empty means every port. */
  port: Field<number | null>;
  /** Seconds until the next cuts heal themselves; empty means no limit. */
  duration: Field<number | null>;
  /** Links the knife's stroke crosses right now (the preview), and whether Alt is down. */
  knifeMarks: Record<string, KnifeMarkView>;
  knifeOneWay: boolean;

  selectedGuestIds: GuestId[];
  /** A binding picked in the inspector: its guest is highlighted on the graph, and back. */
  selectedPort: { hostId: HostId; portdev: string } | null;
  panel: PanelTab;
  inspectorQuery: string;
  inspectorClasses: OwnershipClass[];
  theme: Theme;
  /** Large type and badges, high contrast, no side panel: for a room watching a screen. */
  projector: boolean;
  /** The topology waiting for Apply or Cancel, if any. */
  partitionPreview: PartitionPreview | null;
  /** Guest id -> the side it falls on in the previewed topology (guest nodes read it). */
  previewSides: ReadonlyMap<GuestId, number>;
  /** Node positions the user dragged, per host; kept in localStorage. */
  dragged: Record<string, Record<string, XY>>;
  notices: Notice[];
} & ScenarioState;

export const initialState: ChaosState = {
  transport: 'connecting',
  loaded: false,
  hosts: [],
  inventories: {},
  presets: [],
  segmentGroups: [],
  activity: [],
  hostKeyPrompts: [],
  passphrasePrompts: [],
  consentPrompts: [],
  applies: {},
  latestApplyId: null,
  pending: [],

  tool: 'select',
  knifeHeld: false,
  oneWay: false,
  scopeKind: 'all',
  port: { text: '', ok: true, value: null },
  duration: { text: '', ok: true, value: null },
  knifeMarks: {},
  knifeOneWay: false,

  selectedGuestIds: [],
  selectedPort: null,
  panel: 'inspector',
  inspectorQuery: '',
  inspectorClasses: ['ours', 'protection', 'foreign'],
  theme: 'dark',
  projector: false,
  partitionPreview: null,
  previewSides: new Map(),
  dragged: {},
  notices: [],
  ...initialScenarioState,
};

/** Keep this many activity entries in memory; the engine keeps the full log. */
export const ACTIVITY_LIMIT = 500;
