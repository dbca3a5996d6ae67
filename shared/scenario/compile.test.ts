import { describe, expect, it } from 'vitest';
import { Ipv4 } from '../api';
import { LAB_HOST, labGuest, labInventory, labMac, labSegment } from '../api/fixtures';
import { compileScenario, planFromSource, scenarioHosts } from './compile';
import type { Scenario } from './model';
import { ScenarioError } from './problems';

const inventory = labInventory(3);
const id = (n: number) => labGuest(n).id;
const end = (n: number) => ({ guestId: id(n), mac: labMac(n) });

const demo: Scenario = {
  name: 'demo',
  steps: [
    { cut: { from: 'lab-node1', to: 'lab-node2' }, duration: '5s' },
    { partition: 'halves', guests: ['lab-node3', 'lab-node1', 'lab-node2'] },
    { repeat: 2, steps: [{ wait: 1 }, { heal: 'run' }] },
    {
      parallel: [
        [{ cut: { from: 'lab-node1', to: 'lab-node3' }, duration: 2 }, { wait: '1s' }],
        [
          { wait: '500ms' },
          {
            protect: ['lab-node2'],
            duration: '4s',
            parameters: { IP: ['192.168.77.12', '10.0.0.2'] },
          },
        ],
      ],
    },
    { name: 'let go', unprotect: ['lab-node3'] },
  ],
};

describe('compileScenario', () => {
  const plan = compileScenario(demo, inventory, 99);

  it('puts each step on the clock: holds, repeats, parallel lanes', () => {
    expect(plan.steps.map((s) => [s.id, s.lane, s.atMs, s.holdMs, s.kind])).toEqual([
      ['1', '', 0, 5000, 'cut'],
      ['2', '', 5000, null, 'partition'],
      ['3#1.1', '', 5000, null, 'wait'],
      ['3#1.2', '', 6000, null, 'heal'],
      ['3#2.1', '', 6000, null, 'wait'],
      ['3#2.2', '', 7000, null, 'heal'],
      ['4.1', '4/1', 7000, 2000, 'cut'],
      ['4.2', '4/1', 9000, null, 'wait'],
      ['4.3', '4/2', 7000, null, 'wait'],
      ['4.4', '4/2', 7500, 4000, 'protect'],
      ['5', '', 11_500, null, 'unprotect'],
    ]);
    expect(plan.totalMs).toBe(11_500);
    expect(plan.seed).toBe(99);
    expect(plan.hostId).toBe(LAB_HOST);
    expect(plan.name).toBe('demo');
  });

  it('resolves effects to guest ids and MACs, in words with guest names', () => {
    const [cut, partition, , heal, , , , , , protect, unprotect] = plan.steps;
    expect(cut).toMatchObject({
      description: 'cut lab-node1 <-> lab-node2',
      guests: ['lab-node1', 'lab-node2'],
      effect: {
        kind: 'apply',
        request: {
          cuts: [{ from: end(1), to: end(2), direction: 'both', scope: { kind: 'all' } }],
        },
      },
    });
    expect(partition).toMatchObject({
      description: 'partition halves: lab-node3 | lab-node1 lab-node2',
      guests: ['lab-node3', 'lab-node1', 'lab-node2'],
      effect: {
        kind: 'apply',
        request: { partition: { topology: 'halves', guestIds: [id(3), id(1), id(2)] } },
      },
    });
    expect(heal).toMatchObject({
      description: 'heal every cut of this run',
      effect: { kind: 'heal', guestIds: null },
    });
    expect(protect).toMatchObject({
      description: 'protect lab-node2 with clean-traffic',
      effect: {
        kind: 'protect',
        targets: [end(2)],
        presetId: 'clean-traffic',
        parameters: [
          { name: 'IP', value: '192.168.77.12' },
          { name: 'IP', value: '10.0.0.2' },
        ],
      },
    });
    expect(unprotect).toMatchObject({
      description: 'let go: unprotect lab-node3',
      effect: { kind: 'unprotect', targets: [end(3)] },
    });
  });

  it('a cut from several guests to several: one request per pair, one-way with a port', () => {
    const p = compileScenario(
      {
        name: 'x',
        steps: [
          {
            cut: {
              from: ['lab-node1'],
              to: 'lab-node*',
              direction: 'one-way',
              scope: 'tcp',
              port: 5432,
            },
          },
        ],
      },
      inventory,
      1,
    );
    expect(p.steps[0]).toMatchObject({
      description: 'cut lab-node1 -> lab-node1 lab-node2 lab-node3 (one way, tcp port 5432)',
      effect: {
        request: {
          cuts: [
            { from: end(1), to: end(2), direction: 'one-way', scope: { kind: 'tcp', port: 5432 } },
            { from: end(1), to: end(3), direction: 'one-way', scope: { kind: 'tcp', port: 5432 } },
          ],
        },
      },
    });
  });

  it('heal by guests, partition groups and the default members (every running guest)', () => {
    const inv = labInventory(4, {
      guests: [...labInventory(3).guests, labGuest(4, { state: 'shutoff' })],
    });
    const p = compileScenario(
      {
        name: 'x',
        steps: [
          { partition: 'majority-minority' },
          { partition: 'groups', groups: [['lab-node2'], ['lab-node1', 'lab-node3']] },
          { heal: ['lab-node2', 'lab-node4'] },
        ],
      },
      inv,
      1,
    );
    expect(p.steps.map((s) => s.description)).toEqual([
      'partition majority-minority: lab-node1 lab-node2 | lab-node3',
      'partition groups: lab-node2 | lab-node1 lab-node3',
      "heal this run's cuts touching lab-node2 lab-node4",
    ]);
    expect(p.steps[1]?.effect).toEqual({
      kind: 'apply',
      request: { partition: { topology: 'groups', groups: [[id(2)], [id(1), id(3)]] } },
    });
    expect(p.steps[2]?.effect).toEqual({ kind: 'heal', guestIds: [id(2), id(4)] });
  });

  it('maxDuration cuts the plan: later steps dropped, holds end there', () => {
    const p = compileScenario(
      {
        name: 'x',
        maxDuration: '6s',
        steps: [
          { cut: { from: 'lab-node1', to: 'lab-node2' }, duration: '4s' },
          { cut: { from: 'lab-node1', to: 'lab-node3' }, duration: '4s' },
          { heal: 'run' },
        ],
      },
      inventory,
      1,
    );
    expect(p.steps.map((s) => [s.id, s.atMs, s.holdMs])).toEqual([
      ['1', 0, 4000],
      ['2', 4000, 2000],
    ]);
    expect(p.totalMs).toBe(6000);
  });

  it('refuses what the host cannot carry, every step at once, with its path', () => {
    const bad: Scenario = {
      name: 'x',
      steps: [
        { partition: 'bridge', guests: ['lab-node1', 'lab-node2'] },
        { cut: { from: 'lab-node1', to: 'lab-node1' } },
        { repeat: 3, steps: [{ heal: ['db*'] }] },
        { partition: 'groups', groups: [['lab-node1'], ['lab-node*']] },
      ],
    };
    try {
      compileScenario(bad, inventory, 1);
      expect.unreachable();
    } catch (e) {
      expect((e as ScenarioError).problems).toEqual([
        {
          line: 0,
          column: 0,
          path: 'steps[0].guests',
          message:
            'partition bridge needs at least 3 running guests, these selectors give 2 (lab-node1 lab-node2)',
        },
        {
          line: 0,
          column: 0,
          path: 'steps[1].cut',
          message: 'from and to are the same guest: nothing to cut',
        },
        { line: 0, column: 0, path: 'steps[2].steps[0].heal', message: "no guest matches 'db*'" },
        { line: 0, column: 0, path: 'steps[3].groups', message: 'lab-node1 is in two groups' },
      ]);
    }
  });
});

describe('planFromSource', () => {
  const text = [
    '# a comment',
    'name: file',
    'seed: 17',
    'hosts: [ssh://root@kvm1]',
    'steps:',
    '  - partition: halves',
    '    guests: [lab-node1]',
    '',
  ].join('\n');

  it('places problems found on the host at their line in the file', () => {
    try {
      planFromSource({ kind: 'file', text, filename: 'f.yaml' }, inventory);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      expect((e as ScenarioError).message).toBe(
        'f.yaml:7:13 steps[0].guests: partition halves needs at least 2 running guests, these selectors give 1 (lab-node1)',
      );
    }
  });

  it('refuses an invalid file with its problems', () => {
    expect(() =>
      planFromSource({ kind: 'file', text: 'name: x\nsteps: []\n', filename: 'e.yaml' }, inventory),
    ).toThrow('e.yaml:2:8 steps: needs at least 1 item');
  });

  it('seed: the argument, else the file, else drawn', () => {
    const ok = text.replace('[lab-node1]', '[lab-node1, lab-node2]');
    expect(planFromSource({ kind: 'file', text: ok }, inventory, 5).seed).toBe(5);
    expect(planFromSource({ kind: 'file', text: ok }, inventory).seed).toBe(17);
    const drawn = planFromSource(
      { kind: 'file', text: ok.replace('seed: 17\n', '') },
      inventory,
    ).seed;
    expect(Number.isInteger(drawn)).toBe(true);
  });

  it('a nemesis from the command line names its settings, not a path', () => {
    expect(() =>
      planFromSource(
        { kind: 'nemesis', nemesis: 'bridge', guests: ['lab-node[12]'] },
        inventory,
        1,
      ),
    ).toThrow(
      'nemesis: bridge needs at least 3 running guests, the selection has 2 (lab-node1, lab-node2)',
    );
  });

  it('scenarioHosts: the first host of a file, if any', () => {
    expect(scenarioHosts(text)).toBe('ssh://root@kvm1');
    expect(scenarioHosts('name: x\n')).toBeUndefined();
    expect(scenarioHosts(': [')).toBeUndefined();
  });
});

describe('cuts to addresses outside the guests', () => {
  const withGateway = labInventory(3, {
    segments: [{ ...labSegment, gateways: [Ipv4.parse('192.168.77.1')] }],
  });
  const plan = (cut: Scenario['steps'][number]) =>
    compileScenario({ name: 'outside', steps: [cut] }, withGateway, 1).steps[0];

  it("cuts each guest of one side from the other side's addresses, the gateway by its name", () => {
    const step = plan({ cut: { from: ['lab-node1', 'lab-node2'], to: { outside: 'gateway' } } });
    expect(step?.description).toBe('cut lab-node1 lab-node2 <-> gateway (192.168.77.1)');
    expect(step?.effect).toEqual({
      kind: 'apply',
      request: {
        cuts: [1, 2].map((n) => ({
          from: end(n),
          to: { address: '192.168.77.1', name: 'gateway' },
          direction: 'both',
          scope: { kind: 'all' },
        })),
      },
    });
  });

  it('keeps the order of a one-way cut: from the outside to the guest', () => {
    const step = plan({
      cut: { from: { outside: '10.0.0.0/8' }, to: 'lab-node3', direction: 'one-way', scope: 'udp' },
    });
    expect(step?.description).toBe('cut 10.0.0.0/8 -> lab-node3 (one way, udp)');
    expect(step?.effect).toEqual({
      kind: 'apply',
      request: {
        cuts: [
          {
            from: { address: '10.0.0.0/8' },
            to: end(3),
            direction: 'one-way',
            scope: { kind: 'udp' },
          },
        ],
      },
    });
  });

  it('refuses two outside sides, and a gateway nobody knows, at the field', () => {
    const problems = (cut: Scenario['steps'][number], inv = withGateway) => {
      try {
        compileScenario({ name: 'bad', steps: [cut] }, inv, 1);
      } catch (e) {
        if (e instanceof ScenarioError) return e.problems.map((p) => `${p.path}: ${p.message}`);
        throw e;
      }
      return [];
    };
    expect(
      problems({ cut: { from: { outside: '10.0.0.1' }, to: { outside: 'gateway' } } }),
    ).toEqual(['steps[0].cut: from and to are both outside the guests: one side must be guests']);
    expect(problems({ cut: { from: 'lab-node1', to: { outside: 'gateway' } } }, inventory)).toEqual(
      [expect.stringMatching(/^steps\[0\]\.cut\.to: lab-node1 is on no libvirt network/)],
    );
  });
});
