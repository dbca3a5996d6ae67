import {
  type HostId,
  isGuestCut,
  type PartitionRequest,
  type PlannedStep,
  type RunStatus,
} from '../../../shared/api';
import { qualifiedName } from '../../../shared/scenario/select';
import type { GraphModel } from '../graph/model';
import type { ChaosState } from './initial-state';
import { partitionGrudge } from './partition-sides';
import type { RunView } from './scenario-state';
import { isLive } from './scenarios';
import { selectGraphModel } from './selectors';

// What the Scenarios panel and the graph read of runs: the run followed, its active steps as
// guests and links to highlight, and the runs on the host that this engine does not drive.

export const selectScenarioTab = (s: ChaosState) => s.scenarioTab;
export const selectScenarioFile = (s: ChaosState) => s.scenarioFile;
export const selectNemesisForm = (s: ChaosState) => s.nemesisForm;
export const selectScenarioSeed = (s: ChaosState) => s.scenarioSeed;
export const selectScenarioPlan = (s: ChaosState) => s.scenarioPlan;
export const selectRecording = (s: ChaosState) => s.recording;
export const selectRuns = (s: ChaosState) => s.runs;

export const selectCurrentRun = (s: ChaosState): RunView | null =>
  s.currentRunId ? (s.runs[s.currentRunId] ?? null) : null;

export const selectHasLiveRun = (s: ChaosState) =>
  Object.values(s.runs).some((r) => isLive(r.status));

export type ScenarioHighlight = { guestIds: ReadonlySet<string>; linkIds: ReadonlySet<string> };
const NOTHING: ScenarioHighlight = { guestIds: new Set(), linkIds: new Set() };

/** The links between guests that a partition cuts, by the same topologies the engine uses. */
function partitionPairs(p: PartitionRequest): Array<[string, string]> {
  // Isolate cuts a guest from every other on its segments: its links, drawn by the caller.
  if (p.topology === 'isolate') return [];
  try {
    const grudge = partitionGrudge(p);
    const pairs: Array<[string, string]> = [];
    for (const [node, dropped] of grudge) for (const d of dropped) pairs.push([node, d]);
    return pairs;
  } catch {
    return [];
  }
}

/** The guests and links one active step is about, on the graph's ids. */
function stepHighlight(
  step: PlannedStep,
  run: RunStatus,
  model: GraphModel,
  guestIds: Set<string>,
  linkIds: Set<string>,
) {
  const hostIds = new Set<HostId>(run.plan.hostIds ?? [run.plan.hostId]);
  const guests = model.guests.filter((g) => hostIds.has(g.hostId));
  // A plan over several hosts names a guest `name@host` where another host has the name too.
  const count = new Map<string, number>();
  for (const g of guests) count.set(g.guest.name, (count.get(g.guest.name) ?? 0) + 1);
  const byName = new Map<string, string>();
  for (const g of guests) {
    byName.set(qualifiedName(g.guest), g.id);
    if (count.get(g.guest.name) === 1) byName.set(g.guest.name, g.id);
  }
  for (const name of step.guests) {
    const id = byName.get(name);
    if (id) guestIds.add(id);
  }
  const ours = new Set<string>(guests.map((g) => g.id));
  const links = model.links.filter((l) => ours.has(l.a.guestId) && ours.has(l.b.guestId));
  const between = (x: string, y: string) =>
    links.filter(
      (l) => (l.a.guestId === x && l.b.guestId === y) || (l.a.guestId === y && l.b.guestId === x),
    );
  const { effect } = step;
  if (effect.kind === 'apply' && 'cuts' in effect.request) {
    for (const cut of effect.request.cuts.filter(isGuestCut))
      for (const l of between(cut.from.guestId, cut.to.guestId))
        if (l.a.mac === cut.from.mac || l.b.mac === cut.from.mac) linkIds.add(l.id);
  } else if (effect.kind === 'apply' && 'partition' in effect.request) {
    const p = effect.request.partition;
    if (p.topology === 'isolate') {
      const isolated = new Set<string>(p.guestIds);
      for (const l of links)
        if (isolated.has(l.a.guestId) || isolated.has(l.b.guestId)) linkIds.add(l.id);
    }
    for (const [x, y] of partitionPairs(p)) for (const l of between(x, y)) linkIds.add(l.id);
  } else if (effect.kind === 'heal') {
    const touching = effect.guestIds ? new Set<string>(effect.guestIds) : null;
    for (const l of links)
      if (
        l.cuts.some((c) => c.runId === run.runId) &&
        (!touching || touching.has(l.a.guestId) || touching.has(l.b.guestId))
      )
        linkIds.add(l.id);
  }
}

let highlightCache: {
  view: RunView | null;
  model: GraphModel;
  highlight: ScenarioHighlight;
} | null = null;

/** The followed run's active steps: their guests and links, drawn highlighted on the graph. */
export const selectScenarioHighlight = (s: ChaosState): ScenarioHighlight => {
  const view = selectCurrentRun(s);
  const model = selectGraphModel(s);
  if (highlightCache?.view === view && highlightCache.model === model)
    return highlightCache.highlight;
  let highlight = NOTHING;
  if (view && isLive(view.status)) {
    const guestIds = new Set<string>();
    const linkIds = new Set<string>();
    view.status.plan.steps.forEach((step, i) => {
      if (view.status.stepStatus[i] === 'active')
        stepHighlight(step, view.status, model, guestIds, linkIds);
    });
    highlight = guestIds.size || linkIds.size ? { guestIds, linkIds } : NOTHING;
  }
  highlightCache = { view, model, highlight };
  return highlight;
};

/** A run whose cuts are on a host but that this engine does not drive. */
export type ForeignRun = {
  hostId: HostId;
  runId: string;
  /** Who made its cuts, as the intents say ("root@ci-3"). */
  authors: string[];
  cuts: number;
  /** The soonest its cuts heal by expiry, if they carry one. */
  expiresAt: number | null;
};

let foreignCache: {
  inventories: ChaosState['inventories'];
  runs: ChaosState['runs'];
  result: ForeignRun[];
} | null = null;

export const selectForeignRuns = (s: ChaosState): ForeignRun[] => {
  if (foreignCache?.inventories === s.inventories && foreignCache.runs === s.runs)
    return foreignCache.result;
  const byRun = new Map<string, ForeignRun>();
  for (const inventory of Object.values(s.inventories)) {
    for (const cut of inventory.cuts) {
      if (!cut.runId || s.runs[cut.runId]) continue;
      const key = `${inventory.hostId}|${cut.runId}`;
      const run = byRun.get(key) ?? {
        hostId: inventory.hostId,
        runId: cut.runId,
        authors: [],
        cuts: 0,
        expiresAt: null,
      };
      run.cuts++;
      const author = cut.author?.user ?? 'nobody';
      if (!run.authors.includes(author)) run.authors.push(author);
      if (cut.expiresAt !== null)
        run.expiresAt =
          run.expiresAt === null ? cut.expiresAt : Math.min(run.expiresAt, cut.expiresAt);
      byRun.set(key, run);
    }
  }
  const result = [...byRun.values()].sort((a, b) => a.runId.localeCompare(b.runId));
  foreignCache = { inventories: s.inventories, runs: s.runs, result };
  return result;
};
