import { describe, expect, it } from 'vitest';
import { formatProblems, parseScenario, ScenarioError, type ScenarioProblem } from './parse';

function problems(text: string): ScenarioProblem[] {
  const r = parseScenario(text);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('parseScenario', () => {
  it('reads a valid file, YAML or JSON', () => {
    const yaml = parseScenario(
      'name: demo\nseed: 4\nsteps:\n  - cut: {from: a, to: b}\n    duration: 1m30s\n',
    );
    expect(yaml).toEqual({
      ok: true,
      scenario: {
        name: 'demo',
        seed: 4,
        steps: [{ cut: { from: 'a', to: 'b' }, duration: '1m30s' }],
      },
    });
    const json = parseScenario('{"name": "demo", "steps": [{"wait": 2.5}]}');
    expect(json).toEqual({ ok: true, scenario: { name: 'demo', steps: [{ wait: 2.5 }] } });
  });

  it('names a missing field at the key that should hold it', () => {
    const text = ['name: raft', 'steps:', '  - wait: 1s', '  - cut:', '      from: lab-node1', ''];
    expect(problems(text.join('\n'))).toEqual([
      { line: 4, column: 5, path: 'steps[1].cut.to', message: 'missing' },
    ]);
  });

  it('points at the bad value, with the rule it breaks', () => {
    const text =
      'name: raft\nsteps:\n  - wait: 5 minutes\n  - cut: {from: a, to: b}\n    duration: -2\n';
    expect(problems(text)).toEqual([
      {
        line: 3,
        column: 11,
        path: 'steps[0].wait',
        message: 'a duration is like 500ms, 10s, 1m30s or 2h, or a number of seconds',
      },
      {
        line: 5,
        column: 15,
        path: 'steps[1].duration',
        message: 'a duration is more than 0 seconds',
      },
    ]);
  });

  it('says which values an enum takes', () => {
    expect(problems('name: x\nsteps:\n  - partition: halvs\n')).toEqual([
      {
        line: 3,
        column: 16,
        path: 'steps[0].partition',
        message:
          'expected isolate, halves, majority-minority, majorities-ring, bridge, groups; not "halvs"',
      },
    ]);
  });

  it('an unknown key is named at the key, with the nearest known one', () => {
    expect(problems('name: x\nsteps:\n  - cut: {from: a, to: b, dirction: one-way}\n')).toEqual([
      {
        line: 3,
        column: 27,
        path: 'steps[0].cut.dirction',
        message: 'unknown key (did you mean direction?)',
      },
    ]);
    expect(problems('name: x\nsteps:\n  - cutt: {from: a, to: b}\n')).toEqual([
      {
        line: 3,
        column: 5,
        path: 'steps[0].cutt',
        message:
          'unknown key (did you mean cut?); a step has one action: cut, partition, heal, protect, unprotect, wait, nemesis, repeat or parallel',
      },
    ]);
  });

  it('a step with two actions, or none, says so once', () => {
    const text = 'name: x\nsteps:\n  - cut: {from: a, to: b}\n    heal: run\n  - duration: 5s\n';
    expect(problems(text)).toEqual([
      {
        line: 4,
        column: 5,
        path: 'steps[0].heal',
        message: 'a step has one action, this one has cut and heal: split it in two steps',
      },
      {
        line: 5,
        column: 5,
        path: 'steps[1]',
        message:
          'no action; a step has one action: cut, partition, heal, protect, unprotect, wait, nemesis, repeat or parallel',
      },
    ]);
  });

  it('checks steps inside repeat and parallel with their full path', () => {
    const text = [
      'name: x',
      'steps:',
      '  - repeat: 2',
      '    steps:',
      '      - wait: 1s',
      '      - heal: all',
      '  - parallel:',
      '      - - wait: 1s',
      '      - - cut: {from: a}',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      {
        line: 6,
        column: 15,
        path: 'steps[0].steps[1].heal',
        message: 'expected run, or a list of guest selectors',
      },
      { line: 9, column: 11, path: 'steps[1].parallel[1][0].cut.to', message: 'missing' },
    ]);
  });

  it('checks fields that go together', () => {
    const text = [
      'name: x',
      'steps:',
      '  - cut: {from: a, to: b, port: 80}',
      '  - partition: groups',
      '  - heal: run',
      '    duration: 5s',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      {
        line: 3,
        column: 33,
        path: 'steps[0].cut.port',
        message: 'a port goes with scope tcp or udp',
      },
      {
        line: 4,
        column: 16,
        path: 'steps[1].partition',
        message: 'partition groups needs groups: a list of lists of selectors',
      },
      {
        line: 6,
        column: 15,
        path: 'steps[2].duration',
        message: 'a heal is not undone, so it takes no duration',
      },
    ]);
  });

  it('top-level fields, and a file that is not a mapping', () => {
    expect(problems('steps:\n  - wait: 1s\nsead: 3\n')).toEqual([
      { line: 1, column: 1, path: 'name', message: 'missing' },
      { line: 3, column: 1, path: 'sead', message: 'unknown key (did you mean seed?)' },
    ]);
    expect(problems('- wait: 1s\n')).toEqual([
      { line: 1, column: 1, path: '', message: 'a scenario is a mapping with name and steps' },
    ]);
    expect(problems('')[0]).toMatchObject({ line: 1, column: 1, path: '' });
  });

  it('YAML syntax errors and duplicate keys carry their position', () => {
    expect(problems('name: x\nsteps:\n  - cut: [a\n')[0]).toMatchObject({
      line: 4,
      column: 1,
      path: '',
    });
    expect(problems('name: x\nname: y\nsteps: [{wait: 1}]\n')[0]).toMatchObject({
      line: 2,
      column: 1,
      path: '',
      message: 'Map keys must be unique',
    });
  });
});

describe('formatProblems and ScenarioError', () => {
  it('prints one line per problem, as compilers do', () => {
    const ps: ScenarioProblem[] = [
      { line: 4, column: 7, path: 'steps[1].cut.to', message: 'missing' },
      { line: 0, column: 0, path: 'guests', message: "no guest matches 'db*'" },
    ];
    expect(formatProblems(ps, 'raft.yaml')).toBe(
      "raft.yaml:4:7 steps[1].cut.to: missing\nraft.yaml guests: no guest matches 'db*'",
    );
    expect(formatProblems(ps)).toBe("4:7 steps[1].cut.to: missing\nguests: no guest matches 'db*'");
    const e = new ScenarioError(ps, 'raft.yaml');
    expect(e.problems).toBe(ps);
    expect(e.message).toBe(formatProblems(ps, 'raft.yaml'));
  });
});
