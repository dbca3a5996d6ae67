// `kvm-chaos -c h1 -c h2 run` on the 2-host lab, as a pipeline would run it: one scenario names
// guests of both hosts; a step that cuts a guest of host 2 from host 1's guests is seen in the
// guests' own traffic, and when the run ends (its plan done, SIGTERM, or SIGKILL and then
// `heal --run ID` over both hosts) each host's bindings are byte-identical to before, read with
// virsh over that host's own sshd (lab/hosts-support.ts), not with our client.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CliRun, startKvmChaos } from '../../lab/cli-process';
import {
  bindingsOfEveryHost,
  expectHostsAsBefore,
  flowsBetween,
  waitAllFlowing,
  waitExactlyCut,
} from '../../lab/hosts-support';
import { type LabState, type Protocol, readLabState } from '../../lab/lab-client';

const P: readonly Protocol[] = ['icmp', 'tcp'];
let lab: LabState;
let dir: string;
let original: Map<string, Map<string, string>>;

/** The CLI with one -c per lab host. */
const onBothHosts = (args: readonly string[]) =>
  startKvmChaos(args, { connect: lab.hosts.map((h) => h.sshUri) });

interface Line {
  type: string;
  index?: number;
  runId?: string;
  state?: string;
  left?: string[];
  cutIds?: string[];
  plan?: { hostIds?: string[]; steps: { description: string }[] };
}

/** The report's complete lines so far (a line being written is left for the next read). */
async function report(file: string): Promise<Line[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l) as Line);
}

/** The report's line for step `index` applied, once it is there. */
async function applied(file: string, running: Promise<CliRun>): Promise<Line> {
  let exited: CliRun | null = null;
  void running.then((r) => {
    exited = r;
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const line = (await report(file)).find((l) => l.type === 'step.applied' && l.index === 0);
    if (line) return line;
    const r = exited as CliRun | null;
    if (r) throw new Error(`kvm-chaos exited ${r.code ?? r.signal} before step 1: ${r.stderr}`);
    if (Date.now() > deadline) throw new Error('step 1 was not applied within 60 s');
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function scenario(name: string, yaml: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, yaml);
  return file;
}

const expectAsBefore = (what: string) => expectHostsAsBefore(lab, original, what);

/** Halves that mix the hosts: the fewest ports over both take one port on each host. */
const MIXED_HALVES = `name: mixed halves
steps:
  - partition: halves
    guests: [lab-node1, h2-node1, lab-node2, h2-node2]
    duration: 60s
`;

beforeAll(async () => {
  lab = await readLabState();
  expect(lab.hosts.map((h) => h.id)).toEqual(['h1', 'h2']);
  dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-run-hosts-'));
  original = await bindingsOfEveryHost(lab);
  await waitAllFlowing(lab, 'a fully connected lab', 60_000);
});
afterAll(async () => {
  if (lab) await onBothHosts(['heal', '--all']).exited;
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await expectAsBefore('before the test');
});

describe('kvm-chaos run over two hosts', () => {
  it("cuts a guest of host 2 from host 1's guests for its step, then leaves both hosts as they were", async () => {
    const h1Names = lab.hosts[0]?.guests.map((g) => g.name) ?? [];
    const file = await scenario(
      'across.yaml',
      `name: across hosts
steps:
  - name: h2-node1 alone
    partition: groups
    groups: [[h2-node1], [${h1Names.join(', ')}]]
    duration: 15s
`,
    );
    const out = join(dir, 'across.jsonl');
    const cli = onBothHosts(['run', file, '--report', out]);
    await applied(out, cli.exited);
    const start = (await report(out)).find((l) => l.type === 'run.start');
    expect(start?.plan?.hostIds).toHaveLength(2);
    expect(start?.plan?.steps[0]?.description).toBe(
      `h2-node1 alone: partition groups: h2-node1 | ${h1Names.join(' ')}`,
    );
    // The cuts are held where the fewest ports take them: host 2 (h2-node1's port) alone.
    const during = await bindingsOfEveryHost(lab);
    expect(during.get('h1')).toEqual(original.get('h1'));
    expect(during.get('h2')).not.toEqual(original.get('h2'));
    const seen = await waitExactlyCut(
      lab,
      P,
      flowsBetween(['h2-node1'], h1Names, P),
      "h2-node1 cut from host 1's",
      12_000,
    );
    console.log(
      `run.hosts: the cut seen ${(seen.elapsedMs / 1000).toFixed(2)} s after both hosts were read`,
    );
    const r = await cli.exited;
    expect(r.code, r.stderr).toBe(0);
    // The 15 s hold, plus two connections and the heal; far less than a cut's 30 s grace.
    expect(r.ms).toBeGreaterThanOrEqual(15_000);
    expect(r.ms).toBeLessThan(75_000);
    const end = (await report(out)).find((l) => l.type === 'run.end');
    expect(end).toMatchObject({ state: 'done', left: [] });
    await expectAsBefore('after the run');
    await waitAllFlowing(lab, 'everything flowing after the run');
  });

  it('SIGTERM mid-step heals what the run made on both hosts', async () => {
    const file = await scenario('halves.yaml', MIXED_HALVES);
    const out = join(dir, 'halves.jsonl');
    const cli = onBothHosts(['run', file, '--report', out]);
    await applied(out, cli.exited);
    const during = await bindingsOfEveryHost(lab);
    for (const h of ['h1', 'h2']) expect(during.get(h), h).not.toEqual(original.get(h));
    process.kill(cli.pid, 'SIGTERM');
    const r = await cli.exited;
    expect(r.code, r.stderr).toBe(143);
    // Stopped long before the step's 60 s hold ran out.
    expect(r.ms).toBeLessThan(50_000);
    expect((await report(out)).find((l) => l.type === 'run.end')).toMatchObject({
      state: 'stopped',
      left: [],
    });
    await expectAsBefore('after SIGTERM');
  });

  it('a killed run leaves its cuts on both hosts; heal --run ID over both -c heals them all', async () => {
    const file = await scenario('killed.yaml', MIXED_HALVES);
    const out = join(dir, 'killed.jsonl');
    const cli = onBothHosts(['run', file, '--report', out]);
    const step = await applied(out, cli.exited);
    const runId = (await report(out)).find((l) => l.type === 'run.start')?.runId ?? '';
    expect(runId).toMatch(/^run-/);
    process.kill(cli.pid, 'SIGKILL');
    expect((await cli.exited).signal).toBe('SIGKILL');
    const left = await bindingsOfEveryHost(lab);
    for (const h of ['h1', 'h2']) expect(left.get(h), h).not.toEqual(original.get(h));
    const heal = await onBothHosts(['--json', 'heal', '--run', runId]).exited;
    expect(heal.code, heal.stderr).toBe(0);
    expect([...(JSON.parse(heal.stdout) as { cutIds: string[] }).cutIds].sort()).toEqual(
      [...(step.cutIds ?? [])].sort(),
    );
    await expectAsBefore('after heal --run');
  });

  it("without -c, a file's hosts are all connected: its plan names guests of both", async () => {
    const file = await scenario(
      'hosts.yaml',
      `name: the file's hosts
hosts: [${lab.hosts.map((h) => `"${h.sshUri}"`).join(', ')}]
steps:
  - cut: { from: lab-node2, to: h2-node3 }
    duration: 5s
`,
    );
    const env = { ...process.env };
    delete env.KVM_CHAOS_CONNECT;
    const r = await startKvmChaos(['--json', 'run', file, '--plan'], { connect: [], env }).exited;
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      hostIds?: string[];
      steps: {
        description: string;
        effect: { request: { cuts: { from: { guestId: string }; to: { guestId: string } }[] } };
      }[];
    };
    expect(plan.hostIds).toHaveLength(2);
    expect(plan.steps.map((s) => s.description)).toEqual(['cut lab-node2 <-> h2-node3']);
    const [cut] = plan.steps[0]?.effect.request.cuts ?? [];
    expect(cut?.from.guestId).toContain(`:${plan.hostIds?.[0]}:`);
    expect(cut?.to.guestId).toContain(`:${plan.hostIds?.[1]}:`);
    await expectAsBefore('after --plan');
  });
});
