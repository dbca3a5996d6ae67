import type {
  ActiveCut,
  CutScope,
  Guest,
  GuestId,
  HostInventory,
  HostSummary,
  Parsed,
} from '../../../shared/api';
import {
  buildGraphModel,
  type GraphModel,
  type GuestModel,
  type HostModel,
  type LinkModel,
  type SegmentModel,
  type SpokeModel,
} from '../graph/model';
import type { ChaosState } from './initial-state';

// Selectors are module constants (stable identities for zustand); derived ones keep a one-entry
// cache keyed by the references they read, so the graph is rebuilt only when the engine's data
// changed, not on every pointer move.

export const selectTransport = (s: ChaosState) => s.transport;
export const selectLoaded = (s: ChaosState) => s.loaded;
export const selectHosts = (s: ChaosState) => s.hosts;
export const selectInventories = (s: ChaosState) => s.inventories;
export const selectPresets = (s: ChaosState) => s.presets;
export const selectActivity = (s: ChaosState) => s.activity;
export const selectHostKeyPrompt = (s: ChaosState) => s.hostKeyPrompts[0] ?? null;
export const selectPassphrasePrompt = (s: ChaosState) => s.passphrasePrompts[0] ?? null;
export const selectConsentPrompt = (s: ChaosState) => s.consentPrompts[0] ?? null;
export const selectPending = (s: ChaosState) => s.pending;
export const selectTool = (s: ChaosState) => s.tool;
export const selectKnifeActive = (s: ChaosState) => s.tool === 'knife' || s.knifeHeld;
export const selectOneWay = (s: ChaosState) => s.oneWay;
export const selectScopeKind = (s: ChaosState) => s.scopeKind;
export const selectPortField = (s: ChaosState) => s.port;
export const selectDurationField = (s: ChaosState) => s.duration;

/** Only TCP and UDP cuts have a port; for the other scopes the field is not read. */
export const takesPort = (kind: CutScope['kind']) => kind === 'tcp' || kind === 'udp';

/** Why the port field keeps the knife from cutting; null when it does not. */
export const selectPortProblem = (s: ChaosState): string | null =>
  takesPort(s.scopeKind) && !s.port.ok ? s.port.problem : null;
export const selectDurationProblem = (s: ChaosState): string | null =>
  s.duration.ok ? null : s.duration.problem;

/** The scope the next knife stroke cuts with, or why there is none. */
export function nextScope(s: ChaosState): Parsed<CutScope> {
  return readScope(s.scopeKind, s.port);
}

/** A scope from its kind and the port as read (used only for TCP and UDP). */
export function readScope(kind: CutScope['kind'], port: Parsed<number | null>): Parsed<CutScope> {
  if (kind !== 'tcp' && kind !== 'udp') return { ok: true, value: { kind } };
  if (!port.ok) return port;
  return { ok: true, value: port.value === null ? { kind } : { kind, port: port.value } };
}
export const selectKnifeMarks = (s: ChaosState) => s.knifeMarks;
export const selectKnifeOneWay = (s: ChaosState) => s.knifeOneWay;
export const selectSelectedGuestIds = (s: ChaosState) => s.selectedGuestIds;
export const selectSelectedPort = (s: ChaosState) => s.selectedPort;
export const selectPanel = (s: ChaosState) => s.panel;
export const selectInspectorQuery = (s: ChaosState) => s.inspectorQuery;
export const selectInspectorClasses = (s: ChaosState) => s.inspectorClasses;
export const selectTheme = (s: ChaosState) => s.theme;
export const selectDragged = (s: ChaosState) => s.dragged;
export const selectNotices = (s: ChaosState) => s.notices;
export const selectProjector = (s: ChaosState) => s.projector;
export const selectPartitionPreview = (s: ChaosState) => s.partitionPreview;
export const selectPreviewSides = (s: ChaosState) => s.previewSides;
/** The newest entry of the activity log (the engine's and the UI's refusals), if any. */
export const selectLastActivity = (s: ChaosState) => s.activity[0] ?? null;

export const selectLatestApply = (s: ChaosState) =>
  s.latestApplyId ? (s.applies[s.latestApplyId] ?? null) : null;

let modelCache: {
  hosts: HostSummary[];
  inventories: Record<string, HostInventory>;
  segmentGroups: ChaosState['segmentGroups'];
  model: GraphModel;
} | null = null;

export const selectGraphModel = (s: ChaosState): GraphModel => {
  if (
    modelCache?.hosts !== s.hosts ||
    modelCache.inventories !== s.inventories ||
    modelCache.segmentGroups !== s.segmentGroups
  ) {
    modelCache = {
      hosts: s.hosts,
      inventories: s.inventories,
      segmentGroups: s.segmentGroups,
      model: buildGraphModel(s.hosts, s.inventories, s.segmentGroups),
    };
  }
  return modelCache.model;
};

/** Links shown as in progress because a call about them is on its way. */
let pendingCache: { pending: ChaosState['pending']; ids: ReadonlySet<string> } | null = null;
export const selectPendingLinkIds = (s: ChaosState): ReadonlySet<string> => {
  if (pendingCache?.pending !== s.pending) {
    pendingCache = { pending: s.pending, ids: new Set(s.pending.flatMap((p) => p.linkIds)) };
  }
  return pendingCache.ids;
};

export const selectHasCuts = (s: ChaosState) =>
  Object.values(s.inventories).some((inventory) => inventory.cuts.length > 0);

export const selectSelectedGuest = (s: ChaosState): Guest | null => {
  if (s.selectedGuestIds.length !== 1) return null;
  const id = s.selectedGuestIds[0] as GuestId;
  for (const inventory of Object.values(s.inventories)) {
    const guest = inventory.guests.find((g) => g.id === id);
    if (guest) return guest;
  }
  return null;
};

type Indexes = {
  model: GraphModel;
  guests: Map<string, GuestModel>;
  links: Map<string, LinkModel>;
  spokes: Map<string, SpokeModel>;
  segments: Map<string, SegmentModel>;
  hosts: Map<string, HostModel>;
};
let indexCache: Indexes | null = null;

/** The model's parts by id, for components that draw one node or edge. */
export const selectIndexes = (s: ChaosState): Indexes => {
  const model = selectGraphModel(s);
  if (indexCache?.model !== model) {
    indexCache = {
      model,
      guests: new Map(model.guests.map((g) => [g.id, g])),
      links: new Map(model.links.map((l) => [l.id, l])),
      spokes: new Map(model.spokes.map((x) => [x.id, x])),
      segments: new Map(model.segments.map((x) => [x.id, x])),
      hosts: new Map(model.hosts.map((h) => [h.hostId, h])),
    };
  }
  return indexCache;
};

/** Cuts with a deadline still ahead, soonest first, across hosts (expired ones wait for a heal). */
let timedCache: { inventories: ChaosState['inventories']; cuts: ActiveCut[] } | null = null;
export const selectTimedCuts = (s: ChaosState): ActiveCut[] => {
  if (timedCache?.inventories !== s.inventories) {
    const cuts = Object.values(s.inventories)
      .flatMap((i) => i.cuts)
      .filter((c) => c.expiresAt !== null && c.state !== 'expired')
      .sort((a, b) => (a.expiresAt ?? 0) - (b.expiresAt ?? 0));
    timedCache = { inventories: s.inventories, cuts };
  }
  return timedCache.cuts;
};
