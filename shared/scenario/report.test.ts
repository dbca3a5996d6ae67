import { describe, expect, it } from 'vitest';
import type { ScenarioPlan } from '../api/scenario';
import { junitXml, parseReport, type ReportRecord, reportLine, stepOutcomes } from './report';

const guest = (n: number) => `guest:lab:0000000${n}-0000-4000-8000-000000000000`;

const plan = {
  name: 'raft <split> & "heal"',
  hostId: 'lab',
  seed: 42,
  totalMs: 20_000,
  steps: [
    {
      id: '1',
      lane: '',
      atMs: 0,
      holdMs: 5_000,
      kind: 'partition',
      description: 'partition halves: lab-node1 | lab-node2 lab-node3',
      guests: ['lab-node1', 'lab-node2', 'lab-node3'],
      effect: {
        kind: 'apply',
        request: {
          partition: { topology: 'halves', guestIds: [guest(1), guest(2), guest(3)] },
        },
      },
    },
    {
      id: '2',
      lane: '',
      atMs: 5_000,
      holdMs: 5_000,
      kind: 'wait',
      description: 'wait 5s',
      guests: [],
      effect: { kind: 'wait' },
    },
    {
      id: '3',
      lane: '',
      atMs: 10_000,
      holdMs: null,
      kind: 'cut',
      description: 'cut lab-node1 <-> lab-node2',
      guests: ['lab-node1', 'lab-node2'],
      effect: {
        kind: 'apply',
        request: { partition: { topology: 'isolate', guestIds: [guest(1)] } },
      },
    },
    {
      id: '4',
      lane: '',
      atMs: 10_000,
      holdMs: null,
      kind: 'heal',
      description: 'heal the run',
      guests: [],
      effect: { kind: 'heal', guestIds: null },
    },
  ],
} as unknown as ScenarioPlan;

const at = (s: number) => new Date(Date.UTC(2025, 0, 2, 3, 4, s)).toISOString();
const answer = { applyId: 'a1', cutIds: ['cut:lab:x'], operations: [], replans: 0 };

const records: ReportRecord[] = [
  {
    type: 'run.start',
    at: at(0),
    clockMs: 0,
    runId: 'run-20250102-030400-beef',
    plan,
    seed: 42,
    author: { instance: 'i1', user: 'root@lab' },
    maxDurationSeconds: null,
  },
  { type: 'step.start', at: at(0), clockMs: 0, index: 0, stepId: '1', description: 'p' },
  {
    type: 'step.applied',
    at: at(1),
    clockMs: 1,
    index: 0,
    stepId: '1',
    ...answer,
    operations: [{ kind: 'create-binding', description: 'bind vnet1' }],
    ms: 1250,
    durationSeconds: 35,
  },
  { type: 'run.paused', at: at(2), clockMs: 2000 },
  { type: 'run.resumed', at: at(4), clockMs: 2000 },
  {
    type: 'step.undone',
    at: at(7),
    clockMs: 5000,
    index: 0,
    stepId: '1',
    ...answer,
    ms: 500,
    why: 'planned',
  },
  { type: 'step.start', at: at(7), clockMs: 5000, index: 1, stepId: '2', description: 'w' },
  { type: 'step.start', at: at(12), clockMs: 10_000, index: 2, stepId: '3', description: 'c' },
  {
    type: 'step.failed',
    at: at(13),
    clockMs: 10_000,
    index: 2,
    stepId: '3',
    phase: 'do',
    error: {
      code: 'apply-failed',
      message: 'binding <vnet1> & "x" refused',
      libvirt: { code: 1, domain: 2, message: 'internal error' },
    },
    ms: 750,
  },
  {
    type: 'run.end',
    at: at(14),
    clockMs: 10_000,
    state: 'failed',
    reason: 'step 3 failed',
    healed: ['cut:lab:x'],
    left: [],
    error: null,
  },
];

describe('JSON-lines report', () => {
  it('writes one parseable object per line and reads it back', () => {
    const text = records.map(reportLine).join('');
    const lines = text.split('\n');
    expect(lines).toHaveLength(records.length + 1);
    expect(lines.at(-1)).toBe('');
    for (const l of lines.slice(0, -1)) expect(() => JSON.parse(l)).not.toThrow();
    expect(parseReport(text)).toEqual(records);
  });

  it('names the line that is not a record', () => {
    const text = `${reportLine(records[0] as ReportRecord)}{"type":"run.nope"}\n`;
    expect(() => parseReport(text)).toThrow(/report line 2/);
  });
});

describe('step outcomes', () => {
  it('passed, failed or skipped, with apply and undo time added up', () => {
    expect(stepOutcomes(records).map((o) => [o.stepId, o.outcome, o.ms])).toEqual([
      ['1', 'passed', 1750],
      // A wait step changes nothing: reached is passed.
      ['2', 'passed', 0],
      ['3', 'failed', 750],
      ['4', 'skipped', 0],
    ]);
  });
});

describe('JUnit XML', () => {
  const xml = junitXml([records]);

  it('counts the cases: 4 planned, 1 failed, 1 skipped', () => {
    expect(xml).toMatch(
      /<testsuite name="raft &lt;split&gt; &amp; &quot;heal&quot; \(run-20250102-030400-beef\)" tests="4" failures="1" errors="0" skipped="1" time="14.000" timestamp="2025-01-02T03:04:00.000Z">/,
    );
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml.match(/<skipped\/>/g)).toHaveLength(1);
    expect(xml.match(/<failure /g)).toHaveLength(1);
  });

  it('gives each case its time and the failure its escaped message', () => {
    expect(xml).toContain(
      'name="1: partition halves: lab-node1 | lab-node2 lab-node3" time="1.750"/>',
    );
    expect(xml).toContain(
      '<failure message="binding &lt;vnet1&gt; &amp; &quot;x&quot; refused" type="apply-failed">binding &lt;vnet1&gt; &amp; &quot;x&quot; refused\nlibvirt: internal error</failure>',
    );
    expect(xml).toContain('<system-out>failed: step 3 failed; seed 42</system-out>');
  });

  it('is well-formed: tags balance and nothing is left unescaped', () => {
    const body = xml.replace(/^<\?xml[^>]*\?>\n/, '');
    const stack: string[] = [];
    for (const m of body.matchAll(/<(\/?)([a-z-]+)([^>]*?)(\/?)>/g)) {
      const [, close, tag, attrs, self] = m;
      expect(attrs).not.toMatch(/[<&](?!amp;|lt;|gt;|quot;|apos;)/);
      if (self) continue;
      if (close) expect(stack.pop()).toBe(tag);
      else stack.push(tag as string);
    }
    expect(stack).toEqual([]);
    // Text between tags carries no raw < or unescaped &.
    for (const text of body.split(/<[^>]+>/))
      expect(text).not.toMatch(/[<>]|&(?!amp;|lt;|gt;|quot;|apos;)/);
  });

  it('replaces characters XML 1.0 cannot carry', () => {
    const bad = records.map((r) =>
      r.type === 'step.failed' ? { ...r, error: { ...r.error, message: 'nul\u0000here' } } : r,
    );
    expect(junitXml([bad])).toContain('message="nul\uFFFDhere"');
  });

  it('an empty list of runs is an empty testsuites', () => {
    expect(junitXml([])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n</testsuites>\n',
    );
  });
});
