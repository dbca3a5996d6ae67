// Jepsen's nemeses as plain scenario steps: rounds of a fault held `interval` (± `jitter`), then
// quiet for `interval` (± `jitter`). Every random choice is drawn from the run's seeded source
// over guests sorted by name, so the same seed on the same inventory gives the same rounds.

import type { z } from 'zod';
import type { Guest, NemesisName, ScenarioSource } from '../api';
import { durationMs } from './duration';
import type { PlanGuests } from './hosts';
import type { NemesisStep, Scenario, Step } from './model';
import { problemAt, ScenarioError } from './problems';
import type { SeededRandom } from './random';
import { linksOf } from './select';

export type NemesisSettings = Omit<z.infer<typeof NemesisStep>, 'name'> & { name?: string };

export const DEFAULT_INTERVAL_MS = 10_000;
export const DEFAULT_ROUNDS = 5;

/** The fewest guests each nemesis can work with. */
const MIN_GUESTS: Record<NemesisName, number> = {
  'random-halves': 2,
  'random-isolated': 2,
  'majorities-ring': 3,
  bridge: 3,
  'flapping-link': 2,
  'one-link': 2,
};

/** One round: the fault (its `duration` is the hold) and the quiet after it. */
export interface NemesisRound {
  fault: Step;
  quietMs: number;
}

const names = (guests: readonly Guest[], nameOf = (g: Guest) => g.name) => guests.map(nameOf);

/** One host's guests: names are unique there and segments are the host's own. */
const SINGLE_HOST: Pick<PlanGuests, 'nameOf' | 'segmentOf'> = {
  nameOf: (g) => g.name,
  segmentOf: (id) => id,
};

function jittered(intervalMs: number, jitterMs: number, rng: SeededRandom): number {
  return intervalMs + (jitterMs > 0 ? rng.int(-jitterMs, jitterMs) : 0);
}

/**
 * The rounds of a nemesis over `guests` (running, sorted by name). `path` names the step in
 * messages. Throws ScenarioError when the guests cannot carry the nemesis.
 */
export function nemesisRounds(
  settings: NemesisSettings,
  guests: readonly Guest[],
  rng: SeededRandom,
  path = '',
  hosts: Pick<PlanGuests, 'nameOf' | 'segmentOf'> = SINGLE_HOST,
): NemesisRound[] {
  const fail = (field: string, message: string) =>
    new ScenarioError([problemAt(path ? `${path}.${field}` : field, message)]);
  const intervalMs =
    settings.interval === undefined ? DEFAULT_INTERVAL_MS : durationMs(settings.interval);
  const jitterMs = settings.jitter === undefined ? 0 : durationMs(settings.jitter);
  if (jitterMs >= intervalMs)
    throw fail('jitter', `jitter must be less than the interval (${intervalMs / 1000}s)`);
  const need = MIN_GUESTS[settings.nemesis];
  if (guests.length < need)
    throw fail(
      'nemesis',
      `${settings.nemesis} needs at least ${need} running guests, the selection has ${guests.length}${guests.length ? ` (${names(guests).join(', ')})` : ''}`,
    );
  const sorted = [...guests].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const links = linksOf(sorted, hosts.segmentOf);
  if (
    (settings.nemesis === 'flapping-link' || settings.nemesis === 'one-link') &&
    links.length === 0
  )
    throw fail(
      'nemesis',
      `${settings.nemesis} needs two guests on a common segment; none of ${names(sorted).join(', ')} share one`,
    );

  const limitMs = settings.duration === undefined ? null : durationMs(settings.duration);
  const rounds = settings.rounds ?? (limitMs === null ? DEFAULT_ROUNDS : Number.POSITIVE_INFINITY);
  const flapping = settings.nemesis === 'flapping-link' ? rng.pick(links) : null;
  const out: NemesisRound[] = [];
  let startMs = 0;
  while (out.length < rounds && (limitMs === null || startMs < limitMs)) {
    const fault = faultOf(settings.nemesis, sorted, links, flapping, rng, hosts.nameOf);
    const holdMs = jittered(intervalMs, jitterMs, rng);
    const quietMs = jittered(intervalMs, jitterMs, rng);
    out.push({ fault: { ...fault, duration: holdMs / 1000 } as Step, quietMs });
    startMs += holdMs + quietMs;
  }
  return out;
}

function faultOf(
  nemesis: NemesisName,
  guests: readonly Guest[],
  links: readonly [Guest, Guest][],
  flapping: [Guest, Guest] | null,
  rng: SeededRandom,
  nameOf: (g: Guest) => string,
): Step {
  // The steps name guests as the plan does (`name@host` where several hosts share a name).
  switch (nemesis) {
    case 'random-halves':
      return { partition: 'halves', guests: names(rng.shuffle(guests), nameOf) };
    case 'majorities-ring':
      return { partition: 'majorities-ring', guests: names(rng.shuffle(guests), nameOf) };
    case 'bridge':
      return { partition: 'bridge', guests: names(rng.shuffle(guests), nameOf) };
    case 'random-isolated': {
      // Groups rather than isolate: cut from the other selected guests only, not from the
      // host's other guests the nemesis was not given.
      const one = rng.pick(guests);
      return {
        partition: 'groups',
        groups: [
          [nameOf(one)],
          names(
            guests.filter((g) => g !== one),
            nameOf,
          ),
        ],
      };
    }
    case 'flapping-link':
    case 'one-link': {
      const [a, b] = flapping ?? rng.pick(links);
      return { cut: { from: nameOf(a), to: nameOf(b) } };
    }
  }
}

/**
 * A nemesis as plain steps: each round's fault (held by its `duration`) followed by a wait for
 * its quiet.
 */
export function nemesisSteps(
  settings: NemesisSettings,
  guests: readonly Guest[],
  rng: SeededRandom,
): Step[] {
  return nemesisRounds(settings, guests, rng).flatMap((r) => [r.fault, { wait: r.quietMs / 1000 }]);
}

/** `kvm-chaos run --nemesis NAME`: a scenario of one nemesis step. */
export function nemesisScenario(source: Extract<ScenarioSource, { kind: 'nemesis' }>): Scenario {
  const step: Step = {
    nemesis: source.nemesis,
    ...(source.guests?.length ? { guests: source.guests } : {}),
    ...(source.intervalSeconds !== undefined ? { interval: source.intervalSeconds } : {}),
    ...(source.jitterSeconds ? { jitter: source.jitterSeconds } : {}),
    ...(source.durationSeconds !== undefined ? { duration: source.durationSeconds } : {}),
    ...(source.rounds !== undefined ? { rounds: source.rounds } : {}),
  };
  return { name: `nemesis ${source.nemesis}`, steps: [step] };
}
