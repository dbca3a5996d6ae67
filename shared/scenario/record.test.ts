import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Scenario } from './model';
import {
  cutSteps,
  formatDuration,
  type RecordedAction,
  scenarioFromRecording,
  scenarioYaml,
} from './record';

const all = { kind: 'all' } as const;

describe('recorded actions as a scenario', () => {
  it('writes durations the way the file reads them', () => {
    expect(
      [40, 800, 1000, 4_460, 12_000, 90_000, 3_725_000].map((ms) => formatDuration(ms)),
    ).toEqual(['100ms', '800ms', '1s', '4.5s', '12s', '1m30s', '1h2m5s']);
  });

  it('one stroke isolating a guest is one cut step "from it to both others"', () => {
    expect(
      cutSteps([
        { from: 'lab-node1', to: 'lab-node2', direction: 'both', scope: all },
        { from: 'lab-node3', to: 'lab-node1', direction: 'both', scope: all },
      ]),
    ).toEqual([{ cut: { from: 'lab-node1', to: ['lab-node2', 'lab-node3'] } }]);
  });

  it('writes a both-way cut with its ends in the order people count them, whatever the link says', () => {
    const both = (from: string, to: string) =>
      cutSteps([{ from, to, direction: 'both', scope: all }]);
    expect(both('lab-node10', 'lab-node2')).toEqual([
      { cut: { from: 'lab-node2', to: 'lab-node10' } },
    ]);
    expect(both('lab-node2', 'lab-node1')).toEqual([
      { cut: { from: 'lab-node1', to: 'lab-node2' } },
    ]);
    // One way keeps its direction.
    expect(
      cutSteps([{ from: 'lab-node2', to: 'lab-node1', direction: 'one-way', scope: all }]),
    ).toEqual([{ cut: { from: 'lab-node2', to: 'lab-node1', direction: 'one-way' } }]);
  });

  it('writes a cut to the outside as a step of its own, the guest first when it goes both ways', () => {
    const gateway = { outside: 'gateway' };
    expect(
      cutSteps([
        { from: gateway, to: 'lab-node2', direction: 'both', scope: all },
        { from: 'lab-node1', to: gateway, direction: 'both', scope: all },
        { from: gateway, to: 'lab-node1', direction: 'one-way', scope: { kind: 'udp', port: 53 } },
      ]),
    ).toEqual([
      { cut: { from: 'lab-node2', to: gateway } },
      { cut: { from: 'lab-node1', to: gateway } },
      { cut: { from: gateway, to: 'lab-node1', direction: 'one-way', scope: 'udp', port: 53 } },
    ]);
  });

  it('keeps one-way cuts and scopes apart, with their port', () => {
    expect(
      cutSteps([
        { from: 'b', to: 'a', direction: 'one-way', scope: { kind: 'udp', port: 53 } },
        { from: 'a', to: 'b', direction: 'one-way', scope: { kind: 'udp', port: 53 } },
        { from: 'b', to: 'c', direction: 'both', scope: { kind: 'icmp' } },
      ]),
    ).toEqual([
      { cut: { from: 'b', to: 'a', direction: 'one-way', scope: 'udp', port: 53 } },
      { cut: { from: 'a', to: 'b', direction: 'one-way', scope: 'udp', port: 53 } },
      { cut: { from: 'b', to: 'c', scope: 'icmp' } },
    ]);
  });

  it('puts the pauses between actions as waits, and drops heals before any cut', () => {
    const actions: RecordedAction[] = [
      { kind: 'heal', atMs: 0, guests: 'all' },
      {
        kind: 'cut',
        atMs: 1_000,
        cuts: [{ from: 'a', to: 'b', direction: 'both', scope: all }],
        durationSeconds: null,
      },
      { kind: 'partition', atMs: 6_000, topology: 'isolate', guests: ['c'], durationSeconds: 10 },
      { kind: 'heal', atMs: 20_000, guests: ['a', 'b'] },
      { kind: 'protect', atMs: 21_000, guests: ['a'], presetId: 'clean-traffic', parameters: [] },
    ];
    const scenario = scenarioFromRecording(actions, { name: 'demo' });
    expect(scenario).toEqual({
      name: 'demo',
      steps: [
        { cut: { from: 'a', to: 'b' } },
        { wait: '5s' },
        { partition: 'isolate', guests: ['c'], duration: '10s' },
        { wait: '4s' },
        { heal: ['a', 'b'] },
        { wait: '1s' },
        { protect: ['a'], preset: 'clean-traffic' },
      ],
    });
    expect(Scenario.safeParse(scenario).success).toBe(true);
  });

  it('runs what the user did while a timed cut held beside it, from the same moment', () => {
    const cut = (atMs: number, to: string, durationSeconds: number | null): RecordedAction => ({
      kind: 'cut',
      atMs,
      cuts: [{ from: 'a', to, direction: 'both', scope: all }],
      durationSeconds,
    });
    const scenario = scenarioFromRecording([cut(0, 'b', 30), cut(5_000, 'c', null)], {
      name: 'overlap',
    });
    expect(scenario?.steps).toEqual([
      {
        parallel: [
          [{ cut: { from: 'a', to: 'b' }, duration: '30s' }],
          [{ wait: '5s' }, { cut: { from: 'a', to: 'c' } }],
        ],
      },
    ]);
    expect(Scenario.safeParse(scenario).success).toBe(true);
  });

  it('holds a timed stroke of several cuts together, in parallel', () => {
    const scenario = scenarioFromRecording(
      [
        {
          kind: 'cut',
          atMs: 0,
          cuts: [
            { from: 'a', to: 'b', direction: 'both', scope: all },
            { from: 'c', to: 'd', direction: 'both', scope: all },
          ],
          durationSeconds: 20,
        },
      ],
      { name: 'two' },
    );
    expect(scenario?.steps).toEqual([
      {
        parallel: [
          [{ cut: { from: 'a', to: 'b' }, duration: '20s' }],
          [{ cut: { from: 'c', to: 'd' }, duration: '20s' }],
        ],
      },
    ]);
  });

  it('has nothing to replay when only heals were recorded', () => {
    expect(
      scenarioFromRecording([{ kind: 'heal', atMs: 0, guests: 'all' }], { name: 'x' }),
    ).toBeNull();
  });

  it('is YAML that reads back as the same scenario, protection parameters included', () => {
    const scenario = scenarioFromRecording(
      [
        {
          kind: 'protect',
          atMs: 0,
          guests: ['a'],
          presetId: 'clean-traffic',
          parameters: [
            { name: 'IP', value: '10.0.0.1' },
            { name: 'IP', value: '10.0.0.2' },
          ],
        },
        { kind: 'unprotect', atMs: 2_000, guests: ['a'] },
      ],
      { name: 'protect' },
    );
    const text = scenarioYaml(scenario as Scenario, 'Recorded in kvm-chaos');
    expect(text.startsWith('# Recorded in kvm-chaos\n')).toBe(true);
    expect(Scenario.parse(parse(text))).toEqual(scenario);
    expect(scenario?.steps[0]).toEqual({
      protect: ['a'],
      preset: 'clean-traffic',
      parameters: { IP: ['10.0.0.1', '10.0.0.2'] },
    });
  });
});
