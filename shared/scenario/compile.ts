// A scenario on its hosts' inventories becomes a plan: every step on the run's clock, its guests
// resolved to ids and MACs, nemeses unrolled into rounds from the seed. Everything that can be
// wrong with a file on these hosts (a selector naming nobody, a topology without enough guests)
// is found here, before anything runs. Several hosts' guests are selected together (hosts.ts).
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import {
  type CutRequest,
  type CutScope,
  type FilterParameter,
  type Guest,
  type HostId,
  type HostInventory,
  type OutsideEnd,
  outsideText,
  type PartitionRequest,
  type PlannedStep,
  type ScenarioPlan,
  type ScenarioSource,
  type SegmentId,
} from '../api';
import { outsideEndFor } from '../inventory/gateway';
import { durationMs, formatDuration } from './duration';
import { type PlanGuests, planGuests } from './hosts';
import type { CutStep, PartitionStep, ProtectStep, Scenario, Step } from './model';
import { nemesisRounds, nemesisScenario } from './nemesis';
import { parseLocated } from './parse';
import { problemAt, ScenarioError, type ScenarioProblem } from './problems';
import { randomSeed, type SeededRandom, seededRandom } from './random';
import { selectGuests, sharedInterfaces } from './select';

export const DEFAULT_PRESET = 'clean-traffic';

/** Where a step sits: its id and lane in the plan, its path in the file. */
interface Place {
  id: string;
  lane: string;
  path: string;
}

interface Compiler {
  hosts: PlanGuests;
  rng: SeededRandom;
  steps: PlannedStep[];
  problems: ScenarioProblem[];
}

type Effectful = Exclude<
  Step,
  { wait: unknown } | { repeat: number } | { parallel: unknown } | { nemesis: unknown }
>;
type Planned = Pick<PlannedStep, 'kind' | 'description' | 'guests' | 'effect'>;

const names = (c: Compiler, guests: readonly Guest[]) => guests.map(c.hosts.nameOf).join(' ');
const asList = (s: string | string[]) => (typeof s === 'string' ? [s] : s);

/** Runs `f`, and on a scenario problem records it and goes on with the next step. */
function attempt<T>(c: Compiler, f: () => T): T | null {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    for (const p of e.problems)
      if (!c.problems.some((q) => q.path === p.path && q.message === p.message)) c.problems.push(p);
    return null;
  }
}

/** A problem from sharedInterfaces, placed on the step's field. */
function at<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ScenarioError)
      throw new ScenarioError(e.problems.map((p) => ({ ...p, path: p.path || path })));
    throw e;
  }
}

function scopeOf(cut: z.infer<typeof CutStep>['cut']): CutScope {
  const kind = cut.scope ?? 'all';
  if ((kind === 'tcp' || kind === 'udp') && cut.port !== undefined) return { kind, port: cut.port };
  return { kind };
}

type CutSpec = z.infer<typeof CutStep>['cut'];

/** The outside target a side of a cut names, or null when it names guests. */
function outsideOf(side: CutSpec['from']): string | null {
  return typeof side === 'object' && !Array.isArray(side) ? side.outside : null;
}

/** Each guest of one side cut from the addresses outside them that the other side names. */
function planOutsideCut(
  c: Compiler,
  cut: CutSpec,
  path: string,
  target: string,
  outsideIs: 'from' | 'to',
): Planned {
  const guestSide = outsideIs === 'from' ? 'to' : 'from';
  const guests = selectGuests(asList(cut[guestSide] as string | string[]), c.hosts, {
    running: true,
    path: `${path}.cut.${guestSide}`,
  });
  const direction = cut.direction ?? 'both';
  const scope = scopeOf(cut);
  const words = new Set<string>();
  const cuts: CutRequest[] = guests.map((g) => {
    const inventory = c.hosts.inventories.find((i) => i.hostId === g.hostId) as HostInventory;
    // The segment by its network or bridge name, as for cuts between guests.
    const named = inventory.segments.filter(
      (s) => cut.segment === undefined || s.name === cut.segment || s.bridge === cut.segment,
    );
    const nic = g.interfaces.find((i) => named.some((s) => s.id === i.segmentId));
    if (!nic)
      throw new ScenarioError([
        problemAt(`${path}.cut.${guestSide}`, `${c.hosts.nameOf(g)} has no interface to cut`),
      ]);
    let outside: OutsideEnd;
    try {
      outside = outsideEndFor(inventory, g, target);
    } catch (e) {
      throw new ScenarioError([problemAt(`${path}.cut.${outsideIs}`, (e as Error).message)]);
    }
    words.add(outsideText(outside));
    const own = { guestId: g.id, mac: nic.mac };
    return outsideIs === 'from'
      ? { from: outside, to: own, direction, scope }
      : { from: own, to: outside, direction, scope };
  });
  const arrow = direction === 'one-way' ? '->' : '<->';
  const there = [...words].join(' ');
  const here = names(c, guests);
  return {
    kind: 'cut',
    description: `cut ${outsideIs === 'from' ? `${there} ${arrow} ${here}` : `${here} ${arrow} ${there}`}${cutHow(direction, scope)}`,
    guests: [...new Set(guests.map(c.hosts.nameOf))].sort(),
    effect: { kind: 'apply', request: { cuts } },
  };
}

/** " (one way, udp port 53)", or nothing for a both-way cut of all traffic. */
function cutHow(direction: 'both' | 'one-way', scope: CutScope): string {
  const how = [
    direction === 'one-way' ? 'one way' : '',
    scope.kind === 'all'
      ? ''
      : `${scope.kind}${'port' in scope && scope.port ? ` port ${scope.port}` : ''}`,
  ].filter(Boolean);
  return how.length ? ` (${how.join(', ')})` : '';
}

function planCut(c: Compiler, step: z.infer<typeof CutStep>, path: string): Planned {
  const cut = step.cut;
  const [outFrom, outTo] = [outsideOf(cut.from), outsideOf(cut.to)];
  if (outFrom !== null && outTo !== null)
    throw new ScenarioError([
      problemAt(`${path}.cut`, 'from and to are both outside the guests: one side must be guests'),
    ]);
  if (outFrom !== null) return planOutsideCut(c, cut, path, outFrom, 'from');
  if (outTo !== null) return planOutsideCut(c, cut, path, outTo, 'to');
  const select = (field: 'from' | 'to') =>
    selectGuests(asList(cut[field] as string | string[]), c.hosts, {
      running: true,
      path: `${path}.cut.${field}`,
    });
  const from = select('from');
  const to = select('to');
  const direction = cut.direction ?? 'both';
  const scope = scopeOf(cut);
  const cuts: CutRequest[] = [];
  const made = new Set<string>();
  for (const a of from)
    for (const b of to) {
      if (a === b || made.has(`${a.id}>${b.id}`)) continue;
      made.add(`${a.id}>${b.id}`);
      if (direction === 'both') made.add(`${b.id}>${a.id}`);
      const [x, y] = at(`${path}.cut`, () =>
        sharedInterfaces(a, b, cut.segment, 'segment: in the cut', c.hosts.segmentOf),
      );
      cuts.push({ from: x, to: y, direction, scope });
    }
  if (cuts.length === 0)
    throw new ScenarioError([
      problemAt(`${path}.cut`, `from and to are the same guest: nothing to cut`),
    ]);
  const arrow = direction === 'one-way' ? '->' : '<->';
  return {
    kind: 'cut',
    description: `cut ${names(c, from)} ${arrow} ${names(c, to)}${cutHow(direction, scope)}`,
    guests: [...new Set([...from, ...to].map(c.hosts.nameOf))].sort(),
    effect: { kind: 'apply', request: { cuts } },
  };
}

/** The fewest members each topology can partition. */
const MIN_MEMBERS = {
  isolate: 1,
  halves: 2,
  'majority-minority': 3,
  'majorities-ring': 3,
  bridge: 3,
} as const;

/** The sides a partition makes, in words: "lab-node1 | lab-node2 lab-node3". */
function sides(c: Compiler, topology: keyof typeof MIN_MEMBERS, m: readonly Guest[]): string {
  const half = Math.floor(m.length / 2);
  switch (topology) {
    case 'isolate':
      return `${m.map(c.hosts.nameOf).join(' | ')} | every other guest`;
    case 'halves':
      return `${names(c, m.slice(0, half))} | ${names(c, m.slice(half))}`;
    case 'majority-minority':
      return `${names(c, m.slice(0, half + 1))} | ${names(c, m.slice(half + 1))}`;
    case 'majorities-ring':
      return `${names(c, m)} (in this ring order, each sees a majority)`;
    case 'bridge':
      return `${names(c, m.slice(0, half))} | ${names(c, m.slice(half + 1))}, ${m[half] && c.hosts.nameOf(m[half])} reaches both`;
  }
}

function planPartition(c: Compiler, step: z.infer<typeof PartitionStep>, path: string): Planned {
  if (step.partition === 'groups') {
    const groups = (step.groups ?? []).map((g, i) =>
      selectGuests(g, c.hosts, { running: true, listed: true, path: `${path}.groups[${i}]` }),
    );
    const all = groups.flat();
    const twice = all.find((g, i) => all.indexOf(g) !== i);
    if (twice)
      throw new ScenarioError([problemAt(`${path}.groups`, `${twice.name} is in two groups`)]);
    const request: PartitionRequest = {
      topology: 'groups',
      groups: groups.map((g) => g.map((x) => x.id)),
    };
    return {
      kind: 'partition',
      description: `partition groups: ${groups.map((g) => names(c, g)).join(' | ')}`,
      guests: all.map(c.hosts.nameOf),
      effect: { kind: 'apply', request: { partition: request } },
    };
  }
  const topology = step.partition;
  const field = step.guests ? `${path}.guests` : `${path}.partition`;
  const members = selectGuests(step.guests ?? ['*'], c.hosts, {
    running: true,
    listed: true,
    path: field,
  });
  const need = MIN_MEMBERS[topology];
  if (members.length < need)
    throw new ScenarioError([
      problemAt(
        field,
        `partition ${topology} needs at least ${need} running guests, ${step.guests ? 'these selectors give' : c.hosts.hostIds.length > 1 ? 'the hosts have' : 'the host has'} ${members.length} (${names(c, members)})`,
      ),
    ]);
  const guestIds = members.map((g) => g.id);
  return {
    kind: 'partition',
    description: `partition ${topology}: ${sides(c, topology, members)}`,
    guests: members.map(c.hosts.nameOf),
    effect: { kind: 'apply', request: { partition: { topology, guestIds } as PartitionRequest } },
  };
}

function parametersOf(step: z.infer<typeof ProtectStep>): FilterParameter[] {
  return Object.entries(step.parameters ?? {}).flatMap(([name, v]) =>
    (typeof v === 'string' ? [v] : v).map((value) => ({ name, value })),
  );
}

function targetsOf(guests: readonly Guest[], path: string) {
  const bare = guests.find((g) => g.interfaces.length === 0);
  if (bare) throw new ScenarioError([problemAt(path, `${bare.name} has no network interface`)]);
  return guests.flatMap((g) => g.interfaces.map((i) => ({ guestId: g.id, mac: i.mac })));
}

function planEffect(c: Compiler, step: Effectful, path: string): Planned {
  if ('cut' in step) return planCut(c, step, path);
  if ('partition' in step) return planPartition(c, step, path);
  if ('heal' in step) {
    if (step.heal === 'run')
      return {
        kind: 'heal',
        description: 'heal every cut of this run',
        guests: [],
        effect: { kind: 'heal', guestIds: null },
      };
    const guests = selectGuests(step.heal, c.hosts, { path: `${path}.heal` });
    return {
      kind: 'heal',
      description: `heal this run's cuts touching ${names(c, guests)}`,
      guests: guests.map(c.hosts.nameOf),
      effect: { kind: 'heal', guestIds: guests.map((g) => g.id) },
    };
  }
  if ('protect' in step) {
    const guests = selectGuests(step.protect, c.hosts, { path: `${path}.protect` });
    const presetId = step.preset ?? DEFAULT_PRESET;
    return {
      kind: 'protect',
      description: `protect ${names(c, guests)} with ${presetId}`,
      guests: guests.map(c.hosts.nameOf),
      effect: {
        kind: 'protect',
        targets: targetsOf(guests, `${path}.protect`),
        presetId,
        parameters: parametersOf(step),
      },
    };
  }
  const guests = selectGuests(step.unprotect, c.hosts, { path: `${path}.unprotect` });
  return {
    kind: 'unprotect',
    description: `unprotect ${names(c, guests)}`,
    guests: guests.map(c.hosts.nameOf),
    effect: { kind: 'unprotect', targets: targetsOf(guests, `${path}.unprotect`) },
  };
}

/** Plans one step starting at `atMs`; returns when the next step of its list starts. */
function compileStep(c: Compiler, step: Step, atMs: number, place: Place, title?: string): number {
  const { id, lane, path } = place;
  if ('repeat' in step) {
    let t = atMs;
    for (let k = 1; k <= step.repeat; k++)
      t = compileList(c, step.steps, t, `${id}#${k}.`, lane, `${path}.steps`);
    return t;
  }
  if ('parallel' in step) {
    // Inner steps are numbered across branches ("3.1" "3.2" | "3.3"), so ids stay unique.
    let first = 1;
    const ends = step.parallel.map((branch, b) => {
      const end = compileList(
        c,
        branch,
        atMs,
        `${id}.`,
        `${id}/${b + 1}`,
        `${path}.parallel[${b}]`,
        first,
      );
      first += branch.length;
      return end;
    });
    return Math.max(atMs, ...ends);
  }
  if ('nemesis' in step) {
    const rounds = attempt(c, () => {
      const guests = selectGuests(step.guests ?? ['*'], c.hosts, {
        running: true,
        path: `${path}.guests`,
      });
      return nemesisRounds(step, guests, c.rng, path, c.hosts);
    });
    let t = atMs;
    (rounds ?? []).forEach((round, r) => {
      const name = `${step.name ?? step.nemesis} round ${r + 1}`;
      t = compileStep(c, round.fault, t, { id: `${id}#${r + 1}`, lane, path }, name);
      t += round.quietMs;
    });
    return t;
  }
  const name = title ?? step.name;
  const described = (words: string) => (name ? `${name}: ${words}` : words);
  if ('wait' in step) {
    const ms = durationMs(step.wait);
    c.steps.push({
      id,
      lane,
      atMs,
      holdMs: null,
      kind: 'wait',
      description: described(`wait ${formatDuration(ms)}`),
      guests: [],
      effect: { kind: 'wait' },
    });
    return atMs + ms;
  }
  const planned = attempt(c, () => planEffect(c, step, path));
  const holdMs = step.duration === undefined ? null : Math.max(1, durationMs(step.duration));
  if (planned)
    c.steps.push({
      id,
      lane,
      atMs,
      holdMs,
      ...planned,
      description: described(planned.description),
    });
  return atMs + (holdMs ?? 0);
}

function compileList(
  c: Compiler,
  steps: readonly Step[],
  atMs: number,
  idPrefix: string,
  lane: string,
  pathPrefix: string,
  first = 1,
): number {
  let t = atMs;
  steps.forEach((step, i) => {
    const place = { id: `${idPrefix}${first + i}`, lane, path: `${pathPrefix}[${i}]` };
    t = compileStep(c, step, t, place);
  });
  return t;
}

/** A plan cut at `maxMs`: later steps dropped, holds ending there at the latest. */
function truncated(plan: ScenarioPlan, maxMs: number): ScenarioPlan {
  if (plan.totalMs <= maxMs) return plan;
  const steps = plan.steps
    .filter((s) => s.atMs < maxMs)
    .map((s) =>
      s.holdMs !== null && s.atMs + s.holdMs > maxMs ? { ...s, holdMs: maxMs - s.atMs } : s,
    );
  return { ...plan, totalMs: maxMs, steps };
}

/** What a plan may name: one host's inventory, or several hosts' (the plan's own first). */
export type PlanInventories = HostInventory | readonly HostInventory[];

/**
 * The plan of a scenario on its hosts' inventories. Throws ScenarioError listing every step that
 * cannot be planned there (paths as in the file, positions 0: planFromSource adds them).
 * `segmentGroups`: the user's word that segments of several hosts are one (as the engine's).
 */
export function compileScenario(
  scenario: Scenario,
  inventories: PlanInventories,
  seed: number,
  segmentGroups: readonly (readonly SegmentId[])[] = [],
): ScenarioPlan {
  const hosts = planGuests(inventories, segmentGroups);
  const c: Compiler = { hosts, rng: seededRandom(seed), steps: [], problems: [] };
  const totalMs = compileList(c, scenario.steps, 0, '', '', 'steps');
  if (c.problems.length > 0) throw new ScenarioError(c.problems);
  const plan: ScenarioPlan = {
    name: scenario.name,
    hostId: hosts.hostIds[0] as HostId,
    ...(hosts.hostIds.length > 1 ? { hostIds: [...hosts.hostIds] } : {}),
    seed,
    totalMs,
    steps: c.steps,
  };
  return scenario.maxDuration === undefined
    ? plan
    : truncated(plan, durationMs(scenario.maxDuration));
}

/**
 * The plan for a file's text or a nemesis. The seed is `seed`, else the file's, else drawn at
 * random (and kept in the plan). Throws ScenarioError with positions for a file.
 */
export function planFromSource(
  source: ScenarioSource,
  inventories: PlanInventories,
  seed?: number,
  segmentGroups: readonly (readonly SegmentId[])[] = [],
): ScenarioPlan {
  if (source.kind === 'nemesis') {
    try {
      return compileScenario(
        nemesisScenario(source),
        inventories,
        seed ?? randomSeed(),
        segmentGroups,
      );
    } catch (e) {
      // No file: name the setting, not a path into a scenario the user never wrote.
      if (e instanceof ScenarioError)
        throw new ScenarioError(
          e.problems.map((p) => ({ ...p, path: p.path.replace(/^steps\[0\]\.?/, '') })),
        );
      throw e;
    }
  }
  const { parsed, locate } = parseLocated(source.text);
  if (!parsed.ok) throw new ScenarioError(parsed.problems, source.filename);
  try {
    return compileScenario(
      parsed.scenario,
      inventories,
      seed ?? parsed.scenario.seed ?? randomSeed(),
      segmentGroups,
    );
  } catch (e) {
    if (e instanceof ScenarioError)
      throw new ScenarioError(e.problems.map(locate), source.filename);
    throw e;
  }
}

/** The hosts a file names, for the CLI's default connections (none: []); never throws. */
export function scenarioHostList(text: string): string[] {
  try {
    const value = parseDocument(text).toJS() as { hosts?: unknown } | null;
    const hosts: unknown[] = Array.isArray(value?.hosts) ? value.hosts : [];
    return hosts.filter((h): h is string => typeof h === 'string' && h.length > 0);
  } catch {
    return [];
  }
}

/** The first host a file names (its hosts[0]); never throws. */
export function scenarioHosts(text: string): string | undefined {
  return scenarioHostList(text)[0];
}
