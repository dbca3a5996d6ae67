import { describe, expect, it } from 'vitest';
import { type Guest, guestEndsOf, type PlannedStep, type ScenarioPlan } from '../api';
import { labGuest, labInventory } from '../api/fixtures';
import { compileScenario, planFromSource } from './compile';
import { nemesisScenario, nemesisSteps } from './nemesis';
import { seededRandom } from './random';

// Five running guests and one that is off: nemeses must never pick the one that is off.
const inventory = labInventory(0, {
  guests: [1, 2, 3, 4, 5].map((n) => labGuest(n)).concat(labGuest(6, { state: 'shutoff' })),
});
const running = ['lab-node1', 'lab-node2', 'lab-node3', 'lab-node4', 'lab-node5'];
const idOf = new Map(inventory.guests.map((g) => [g.id as string, g.name]));

function nemesisPlan(
  nemesis: Parameters<typeof nemesisScenario>[0]['nemesis'],
  seed: number,
  more = {},
) {
  return planFromSource({ kind: 'nemesis', nemesis, rounds: 6, ...more }, inventory, seed);
}

/** The guest names a step's effect touches, from its ids (not from its description). */
function touched(s: PlannedStep): string[] {
  if (s.effect.kind !== 'apply') return [];
  const r = s.effect.request;
  const ids =
    'cuts' in r
      ? r.cuts.flatMap((c) => guestEndsOf(c).map((e) => e.guestId))
      : 'groups' in r.partition
        ? r.partition.groups.flat()
        : r.partition.guestIds;
  return ids.map((i) => idOf.get(i) as string);
}

describe('nemeses', () => {
  const all = [
    'random-halves',
    'random-isolated',
    'majorities-ring',
    'bridge',
    'flapping-link',
    'one-link',
  ] as const;

  it.each(all)('%s: the same seed twice gives the same plan, another seed another one', (name) => {
    expect(nemesisPlan(name, 1234)).toEqual(nemesisPlan(name, 1234));
    const others = [1, 2, 3].map((seed) => nemesisPlan(name, seed).steps.map(touched));
    expect(
      others.some(
        (o) => JSON.stringify(o) !== JSON.stringify(nemesisPlan(name, 1234).steps.map(touched)),
      ),
    ).toBe(true);
  });

  it.each(all)('%s: every round holds a fault on running guests only', (name) => {
    const plan = nemesisPlan(name, 7);
    expect(plan.steps.map((s) => s.id)).toEqual(['1#1', '1#2', '1#3', '1#4', '1#5', '1#6']);
    for (const s of plan.steps) {
      const names = touched(s);
      expect(names.length).toBeGreaterThan(0);
      for (const n of names) expect(running).toContain(n);
      if (s.kind === 'partition') expect([...names].sort()).toEqual(running);
      else expect(new Set(names).size).toBe(2);
    }
  });

  it('flapping-link cuts one link every round; one-link draws a link each round', () => {
    const links = (p: ScenarioPlan) => new Set(p.steps.map((s) => touched(s).join('-')));
    expect(links(nemesisPlan('flapping-link', 7)).size).toBe(1);
    expect(links(nemesisPlan('one-link', 7)).size).toBeGreaterThan(1);
  });

  it('rounds: hold interval, then quiet interval; with jitter both stay within it', () => {
    const plain = nemesisPlan('random-halves', 3, { rounds: 3, intervalSeconds: 4 });
    expect(plain.steps.map((s) => [s.atMs, s.holdMs])).toEqual([
      [0, 4000],
      [8000, 4000],
      [16_000, 4000],
    ]);
    expect(plain.totalMs).toBe(24_000);
    const jittered = nemesisPlan('random-halves', 3, {
      rounds: 20,
      intervalSeconds: 10,
      jitterSeconds: 2,
    });
    let expectedAt = 0;
    for (const s of jittered.steps) {
      expect(s.atMs).toBe(expectedAt);
      expect(s.holdMs).toBeGreaterThanOrEqual(8000);
      expect(s.holdMs).toBeLessThanOrEqual(12_000);
      const next = jittered.steps[jittered.steps.indexOf(s) + 1];
      if (next) {
        const quiet = next.atMs - s.atMs - (s.holdMs as number);
        expect(quiet).toBeGreaterThanOrEqual(8000);
        expect(quiet).toBeLessThanOrEqual(12_000);
      }
      expectedAt = next?.atMs ?? 0;
    }
    expect(new Set(jittered.steps.map((s) => s.holdMs)).size).toBeGreaterThan(1);
  });

  it('without rounds: as many faults as begin within the duration, else 5', () => {
    const timed = planFromSource(
      { kind: 'nemesis', nemesis: 'bridge', intervalSeconds: 10, durationSeconds: 45 },
      inventory,
      1,
    );
    expect(timed.steps.map((s) => s.atMs)).toEqual([0, 20_000, 40_000]);
    const plain = planFromSource({ kind: 'nemesis', nemesis: 'bridge' }, inventory, 1);
    expect(plain.steps.map((s) => s.atMs)).toEqual([0, 20_000, 40_000, 60_000, 80_000]);
  });

  it('descriptions name the round and the guests', () => {
    const plan = nemesisPlan('random-isolated', 11, { rounds: 1 });
    const [step] = plan.steps;
    const [alone] = touched(step as PlannedStep);
    const rest = running.filter((n) => n !== alone).join(' ');
    expect(step?.description).toBe(`random-isolated round 1: partition groups: ${alone} | ${rest}`);
  });

  it('a nemesis step inside a file: its selectors, ids after its place', () => {
    const plan = compileScenario(
      {
        name: 'x',
        steps: [
          { wait: 1 },
          {
            name: 'flap',
            nemesis: 'flapping-link',
            guests: ['lab-node[12]'],
            rounds: 2,
            interval: '1s',
          },
        ],
      },
      inventory,
      5,
    );
    expect(plan.steps.map((s) => [s.id, s.atMs, s.holdMs, s.description])).toEqual([
      ['1', 0, null, 'wait 1s'],
      ['2#1', 1000, 1000, 'flap round 1: cut lab-node1 <-> lab-node2'],
      ['2#2', 3000, 1000, 'flap round 2: cut lab-node1 <-> lab-node2'],
    ]);
  });

  it('nemesisScenario and nemesisSteps give plain scenario steps', () => {
    expect(
      nemesisScenario({
        kind: 'nemesis',
        nemesis: 'one-link',
        intervalSeconds: 3,
        jitterSeconds: 0,
        rounds: 2,
      }),
    ).toEqual({
      name: 'nemesis one-link',
      steps: [{ nemesis: 'one-link', interval: 3, rounds: 2 }],
    });
    const two: Guest[] = [labGuest(2), labGuest(1)];
    expect(
      nemesisSteps({ nemesis: 'one-link', rounds: 2, interval: '2s' }, two, seededRandom(1)),
    ).toEqual([
      { cut: { from: 'lab-node1', to: 'lab-node2' }, duration: 2 },
      { wait: 2 },
      { cut: { from: 'lab-node1', to: 'lab-node2' }, duration: 2 },
      { wait: 2 },
    ]);
  });

  it('refuses jitter as large as the interval, and too few guests', () => {
    expect(() => nemesisPlan('one-link', 1, { intervalSeconds: 2, jitterSeconds: 2 })).toThrow(
      'jitter: jitter must be less than the interval (2s)',
    );
    expect(() => nemesisPlan('majorities-ring', 1, { guests: ['lab-node1', 'lab-node6'] })).toThrow(
      "guests: 'lab-node6' matches no running guest (lab-node6 is shutoff)",
    );
  });
});
