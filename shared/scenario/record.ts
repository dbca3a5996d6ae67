import { Document, isScalar, isSeq, visit } from 'yaml';
import type { CutScope, FilterParameter, Topology } from '../api/model';
import type { Scenario, Step } from './model';

// What the user did while recording, turned into a scenario: each action at its time, the pauses
// between actions as waits, guests by name. A cut made with a duration holds it as the step's
// duration; when the user acted again before that ran out, the rest of the recording runs in a
// parallel branch beside it, so the replay keeps the timing the user had.

/** One end of a recorded cut: a guest by name, or addresses outside the guests as the user named them. */
export type RecordedEnd = string | { outside: string };

/** One cut as the user made it, guests by name. */
export type RecordedCut = {
  from: RecordedEnd;
  to: RecordedEnd;
  direction: 'both' | 'one-way';
  scope: CutScope;
  /** Only when the two guests share several networks or bridges. */
  segment?: string | undefined;
};

/** An action of the user, `atMs` after the recording began. */
export type RecordedAction =
  | { kind: 'cut'; atMs: number; cuts: RecordedCut[]; durationSeconds: number | null }
  | {
      kind: 'partition';
      atMs: number;
      topology: Topology;
      /** The members in order, or with topology groups the groups. */
      guests: string[];
      groups?: string[][] | undefined;
      durationSeconds: number | null;
    }
  /** `all`: every cut (heal all, heal the host); otherwise the cuts touching these guests. */
  | { kind: 'heal'; atMs: number; guests: string[] | 'all' }
  | {
      kind: 'protect';
      atMs: number;
      guests: string[];
      presetId: string;
      parameters: FilterParameter[];
    }
  | { kind: 'unprotect'; atMs: number; guests: string[] };

/** Pauses shorter than this are not worth a wait step (a stroke's cuts come together). */
const SHORTEST_WAIT_MS = 100;

/** A duration as the file writes it: "800ms", "4.5s", "1m30s", "2h5m". */
export function formatDuration(ms: number): string {
  const rounded = Math.max(SHORTEST_WAIT_MS, Math.round(ms / 100) * 100);
  if (rounded < 1000) return `${rounded}ms`;
  const hours = Math.floor(rounded / 3_600_000);
  const minutes = Math.floor((rounded % 3_600_000) / 60_000);
  const seconds = (rounded % 60_000) / 1000;
  const parts = [
    hours ? `${hours}h` : '',
    minutes ? `${minutes}m` : '',
    seconds ? `${Number(seconds.toFixed(1))}s` : '',
  ];
  return parts.join('');
}

const byName = new Intl.Collator('en', { numeric: true });

/**
 * A stroke's cuts in the fewest steps: cuts that share their `from` guest, direction and scope
 * become one step "from X to [Y, Z]" (both-way cuts may be turned round to share an end). A cut
 * to the outside is a step of its own, its guest first when it goes both ways.
 */
export function cutSteps(recorded: readonly RecordedCut[]): Step[] {
  type Group = Omit<RecordedCut, 'to'> & { to: RecordedEnd[] };
  const groups: Group[] = [];
  // A both-way cut has no direction: its ends are written in the order people count them
  // (node2 before node10), not the order of the link's ends, which follows the guests' uuids.
  const turnedRound = (c: RecordedCut) =>
    typeof c.to === 'string' && (typeof c.from !== 'string' || byName.compare(c.to, c.from) < 0);
  const cuts = recorded.map((c) =>
    c.direction === 'both' && turnedRound(c) ? { ...c, from: c.to, to: c.from } : c,
  );
  const same = (g: Group, c: RecordedCut) =>
    g.direction === c.direction &&
    g.segment === c.segment &&
    JSON.stringify(g.scope) === JSON.stringify(c.scope);
  for (const cut of cuts) {
    // Only guests are listed together; a side that is outside the guests names one target.
    const between = typeof cut.from === 'string' && typeof cut.to === 'string';
    const forward = between && groups.find((g) => same(g, cut) && g.from === cut.from);
    if (forward) {
      if (!forward.to.includes(cut.to)) forward.to.push(cut.to);
      continue;
    }
    const turned =
      between && cut.direction === 'both'
        ? groups.find((g) => same(g, cut) && g.from === cut.to)
        : undefined;
    if (turned) {
      if (!turned.to.includes(cut.from)) turned.to.push(cut.from);
      continue;
    }
    groups.push({ ...cut, to: [cut.to] });
  }
  return groups.map((g) => ({
    cut: {
      from: g.from,
      to: g.to.length === 1 ? (g.to[0] as RecordedEnd) : (g.to as string[]),
      ...(g.direction === 'one-way' ? { direction: 'one-way' as const } : {}),
      ...(g.scope.kind === 'all' ? {} : { scope: g.scope.kind }),
      ...('port' in g.scope && g.scope.port !== undefined ? { port: g.scope.port } : {}),
      ...(g.segment ? { segment: g.segment } : {}),
    },
  }));
}

function parametersRecord(parameters: readonly FilterParameter[]) {
  const record: Record<string, string | string[]> = {};
  for (const { name, value } of parameters) {
    const before = record[name];
    record[name] = before === undefined ? value : [...[before].flat(), value];
  }
  return record;
}

/** The steps one action becomes, run one after another; their hold is the action's duration. */
function actionSteps(action: RecordedAction): Step[] {
  const duration =
    'durationSeconds' in action && action.durationSeconds
      ? { duration: formatDuration(action.durationSeconds * 1000) }
      : {};
  switch (action.kind) {
    case 'cut': {
      const steps = cutSteps(action.cuts);
      if (!duration.duration) return steps;
      // Timed cuts must hold together: a duration on each step in a row would run them in turn.
      if (steps.length === 1) return steps.map((s) => ({ ...s, ...duration }));
      return [{ parallel: steps.map((s) => [{ ...s, ...duration }]) }];
    }
    case 'partition':
      return [
        action.topology === 'groups'
          ? { partition: 'groups', groups: action.groups ?? [], ...duration }
          : { partition: action.topology, guests: action.guests, ...duration },
      ];
    case 'heal':
      return [{ heal: action.guests === 'all' ? 'run' : action.guests }];
    case 'protect':
      return [
        {
          protect: action.guests,
          preset: action.presetId,
          ...(action.parameters.length ? { parameters: parametersRecord(action.parameters) } : {}),
        },
      ];
    case 'unprotect':
      return [{ unprotect: action.guests }];
  }
}

const holdMsOf = (a: RecordedAction) =>
  'durationSeconds' in a && a.durationSeconds ? a.durationSeconds * 1000 : 0;

/** The actions from `cursorMs` on, as steps with waits between them. */
function timeline(actions: readonly RecordedAction[], cursorMs: number): Step[] {
  const steps: Step[] = [];
  let cursor = cursorMs;
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i] as RecordedAction;
    const gap = action.atMs - cursor;
    if (gap >= SHORTEST_WAIT_MS) steps.push({ wait: formatDuration(gap) });
    const own = actionSteps(action);
    const hold = holdMsOf(action);
    const next = actions[i + 1];
    if (hold > 0 && next && next.atMs < action.atMs + hold) {
      // The user went on while this held: the rest runs beside it, from the same moment.
      steps.push({ parallel: [own, timeline(actions.slice(i + 1), action.atMs)] });
      return steps;
    }
    steps.push(...own);
    cursor = Math.max(cursor, action.atMs) + hold;
  }
  return steps;
}

/**
 * The scenario a recording makes, or null when nothing worth replaying was recorded. Heals
 * before any recorded cut are left out: a run heals only its own cuts, so they would do nothing.
 */
export function scenarioFromRecording(
  actions: readonly RecordedAction[],
  meta: { name: string; description?: string },
): Scenario | null {
  const sorted = [...actions].sort((a, b) => a.atMs - b.atMs);
  const firstChange = sorted.findIndex((a) => a.kind === 'cut' || a.kind === 'partition');
  const kept = sorted.filter(
    (a, i) => a.kind !== 'heal' || (firstChange !== -1 && i > firstChange),
  );
  const [first] = kept;
  if (!first) return null;
  const scenario: Scenario = {
    name: meta.name,
    ...(meta.description ? { description: meta.description } : {}),
    steps: timeline(kept, first.atMs),
  };
  return scenario;
}

/** A scenario as YAML text, with a comment line on top. */
export function scenarioYaml(scenario: Scenario, comment?: string): string {
  const doc = new Document(scenario);
  // Short lists of names and a cut's ends on one line each, as a person would write them.
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'cut' && pair.value instanceof Object)
        (pair.value as { flow?: boolean }).flow = true;
    },
    Seq(_, seq) {
      if (isSeq(seq) && seq.items.every((item) => isScalar(item))) seq.flow = true;
    },
  });
  if (comment) doc.commentBefore = ` ${comment}`;
  return doc.toString({ lineWidth: 100 });
}
