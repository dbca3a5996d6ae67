// Concurrent writers converge (issue 11, item 3): four writer processes (two over the lab's sshd,
// two over the local socket) cut, heal and partition lab-node1 and lab-node2 at random for over
// two minutes, all contending for the same ports' composite filters. Each owns its scopes, so
// what must remain is the union of the writers' own logs whatever the interleaving. The host is
// then judged three ways: a fresh engine's inventory, virsh alone (intents in the domains'
// metadata, rules in our composites), and the guests' traffic. A foreign binding on lab-node3
// that no writer touches must come out byte-identical.
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Expectation,
  fullyConnected,
  holds,
  type LabState,
  type Protocol,
  readLabState,
  renderTable,
  virsh,
  waitForMatrix,
} from '../../lab/lab-client';
import { HostId, unwrap } from '../../shared/api';
import { keyOfActive, type OpLine, type SummaryLine, type WriterLine } from './concurrent-writer';
import { createEngine } from './engine';
import { bindingXmls, ourFilters } from './lab-support';
import { memoryProfiles } from './profiles';
import type { Engine } from './types';

const SECONDS = Number(process.env.KVM_CHAOS_WRITER_SECONDS ?? 130);
const MAX_OPS = Number(process.env.KVM_CHAOS_WRITER_MAX_OPS ?? 300);
const BASE_SEED = Number(process.env.KVM_CHAOS_SEED ?? Math.floor(Math.random() * 1e9));
const WRITERS = [
  { writer: 1, transport: 'ssh' },
  { writer: 2, transport: 'local' },
  { writer: 3, transport: 'ssh' },
  { writer: 4, transport: 'local' },
] as const;
const P: Protocol[] = ['icmp', 'tcp', 'udp'];
/** The probe's ports (lab/probe/probe.c). */
const UDP_PORT = 7001;
const TCP_PORT = 7002;
const WRITER_SCRIPT = fileURLToPath(new URL('./concurrent-writer.ts', import.meta.url));

let lab: LabState;
let original: Map<string, string>;
let logDir: string;
let node3Port: string | null = null;
let foreignCreated = false;
const children: ReturnType<typeof spawn>[] = [];

interface WriterRun {
  writer: number;
  seed: number;
  code: number | null;
  lines: WriterLine[];
  stderr: string;
}

function runWriter(w: (typeof WRITERS)[number], seed: number, startAt: number): Promise<WriterRun> {
  return new Promise((resolve) => {
    // One process each (no npx wrapper in between), so the pid we hold is the writer's.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        WRITER_SCRIPT,
        ...['--writer', String(w.writer), '--transport', w.transport, '--seed', String(seed)],
        ...['--seconds', String(SECONDS), '--max-ops', String(MAX_OPS)],
        ...['--start-at', String(startAt)],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => (stdout += b));
    child.stderr?.on('data', (b: Buffer) => (stderr += b));
    child.on('exit', async (code) => {
      await writeFile(join(logDir, `writer${w.writer}.jsonl`), stdout);
      if (stderr) await writeFile(join(logDir, `writer${w.writer}.stderr`), stderr);
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as WriterLine);
      resolve({ writer: w.writer, seed, code, lines, stderr });
    });
  });
}

/** What a writer's log says must remain: successful changes replayed in order. */
function replay(lines: readonly WriterLine[]): Set<string> {
  const model = new Set<string>();
  for (const l of lines) {
    if (l.type !== 'op' || !l.ok) continue;
    for (const k of l.keys) {
      if (l.op === 'heal' || l.op === 'heal-mine') model.delete(k);
      else model.add(k);
    }
  }
  return model;
}

// ---- reading the host with virsh alone (no code of ours parses it) ---------------------------

function attrsOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/([\w:-]+)=(?:'([^']*)'|"([^"]*)")/g))
    out.set(m[1] as string, (m[2] ?? m[3]) as string);
  return out;
}

/** Cut keys of the intents in a domain's XML: our namespace's <cut> elements in <metadata>. */
function intentKeys(domainXml: string): string[] {
  const metadata = /<metadata>([\s\S]*?)<\/metadata>/.exec(domainXml)?.[1] ?? '';
  const keys: string[] = [];
  for (const m of metadata.matchAll(/<([\w-]+):cut\b([^>]*?)\/?>/g)) {
    const a = attrsOf(m[2] as string);
    const ns = a.get(`xmlns:${m[1]}`) ?? '';
    if (!ns.startsWith('https://kvm-chaos.dev/xmlns/intent/1/')) continue;
    const arrow = a.get('direction') === 'both' ? '<>' : '>';
    keys.push(`${a.get('from')}${arrow}${a.get('to')}|${a.get('scope')}`);
  }
  return keys.sort();
}

/** Directed flows `src>dst|scope` of a set of cut keys. */
function flowsOfKeys(keys: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const k of keys) {
    const m = /^([0-9a-f:]{17})(<>|>)([0-9a-f:]{17})\|(.+)$/.exec(k);
    if (!m) throw new Error(`not a cut key: ${k}`);
    out.add(`${m[1]}>${m[3]}|${m[4]}`);
    if (m[2] === '<>') out.add(`${m[3]}>${m[1]}|${m[4]}`);
  }
  return out;
}

interface HostByVirsh {
  intentsLive: string[];
  intentsPersistent: string[];
  /** Flows our composites drop, from the rule filters they reference and the bound port's MAC. */
  enforced: Set<string>;
  /** Ports bound to a filter of ours that references no drop rule. */
  idlePorts: string[];
  /** Our rule filters whose rule does not say what their name says. */
  badDropFilters: string[];
}

async function readHostByVirsh(): Promise<HostByVirsh> {
  const intentsLive: string[] = [];
  const intentsPersistent: string[] = [];
  for (const g of lab.guests) {
    intentsLive.push(...intentKeys((await virsh(['dumpxml', g.name])).stdout));
    intentsPersistent.push(...intentKeys((await virsh(['dumpxml', '--inactive', g.name])).stdout));
  }
  const enforced = new Set<string>();
  const idlePorts: string[] = [];
  for (const [port, xml] of await bindingXmls()) {
    const filter = /<filterref filter='([^']+)'/.exec(xml)?.[1] ?? '';
    if (!filter.startsWith('kvm-chaos-')) continue;
    const own = /<mac address='([^']+)'/.exec(xml)?.[1] as string;
    const composite = (await virsh(['nwfilter-dumpxml', filter])).stdout;
    let drops = 0;
    for (const ref of composite.matchAll(
      /<filterref filter='kvm-chaos-drop-(in|out)-([^']+)'>([\s\S]*?)<\/filterref>/g,
    ))
      for (const p of (ref[3] as string).matchAll(/<parameter name='KC_PEER' value='([^']+)'/g)) {
        drops++;
        const peer = p[1] as string;
        enforced.add(ref[1] === 'in' ? `${peer}>${own}|${ref[2]}` : `${own}>${peer}|${ref[2]}`);
      }
    if (drops === 0) idlePorts.push(port);
  }
  const badDropFilters: string[] = [];
  for (const name of await ourFilters()) {
    const m = /^kvm-chaos-drop-(in|out)-(.+)$/.exec(name);
    if (!m) continue;
    const rule = (await virsh(['nwfilter-dumpxml', name])).stdout;
    const macAttr = m[1] === 'in' ? 'srcmacaddr' : 'dstmacaddr';
    const [kind, port] = (m[2] as string).split('-');
    const ok =
      /action='drop'/.test(rule) &&
      new RegExp(`direction='${m[1]}'`).test(rule) &&
      rule.includes(`${macAttr}='$KC_PEER'`) &&
      (kind === 'all' || kind === 'ipv4' || rule.includes(`protocol='${kind}'`)) &&
      (port === undefined || rule.includes(`dstportstart='${port}'`));
    if (!ok) badDropFilters.push(name);
  }
  return {
    intentsLive: intentsLive.sort(),
    intentsPersistent: intentsPersistent.sort(),
    enforced,
    idlePorts,
    badDropFilters,
  };
}

// ---- what the probes must see -------------------------------------------------------------------

/**
 * The matrix the final cuts call for. icmp and tcp are round trips: cut if either way drops them
 * (the reply of a probe to port 7002 goes to an ephemeral port, so a port-scoped cut only stops
 * the request). udp is one way, to port 7001. A one-way 'all' cut also drops the ARP replies of
 * its source, so udp against it depends on the peer's neighbour cache: not judged.
 */
function expectedMatrix(flows: ReadonlySet<string>): { want: Expectation[]; unjudged: string[] } {
  const drops = (src: string, dst: string, scopes: string[]) =>
    scopes.some((s) => flows.has(`${src}>${dst}|${s}`));
  const want: Expectation[] = [];
  const unjudged: string[] = [];
  for (const a of lab.guests)
    for (const b of lab.guests) {
      if (a.name === b.name) continue;
      const [x, y] = [a.mac, b.mac];
      const icmpCut = drops(x, y, ['all', 'ipv4', 'icmp']) || drops(y, x, ['all', 'ipv4', 'icmp']);
      const tcpCut =
        drops(x, y, ['all', 'ipv4', 'tcp', `tcp-${TCP_PORT}`]) ||
        drops(y, x, ['all', 'ipv4', 'tcp']);
      const udpCut = drops(x, y, ['all', 'ipv4', 'udp', `udp-${UDP_PORT}`]);
      want.push({ from: a.name, to: b.name, protocol: 'icmp', reach: !icmpCut });
      want.push({ from: a.name, to: b.name, protocol: 'tcp', reach: !tcpCut });
      if (!udpCut && drops(y, x, ['all'])) unjudged.push(`${a.name} -> ${b.name} udp`);
      else want.push({ from: a.name, to: b.name, protocol: 'udp', reach: !udpCut });
    }
  return { want, unjudged };
}

async function freshEngine(face: string): Promise<{ engine: Engine; hostId: HostId }> {
  const engine = await createEngine({
    profiles: memoryProfiles(),
    knownHostsPath: lab.ssh.knownHosts,
    face,
  });
  const added = unwrap(
    await engine['hosts.add']({ uri: 'qemu:///system', auth: { method: 'local' }, label: face }),
  );
  const hostId = HostId.parse(added.id);
  unwrap(await engine['hosts.connect']({ hostId }));
  return { engine, hostId };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

beforeAll(async () => {
  lab = await readLabState();
  logDir = await mkdtemp(join(tmpdir(), 'kvm-chaos-concurrency-'));
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: lab, what: 'a connected lab' });
  expect(await ourFilters()).toEqual([]);
  original = await bindingXmls();
});

afterAll(async () => {
  // Whatever happened: writers gone, every cut healed, the hand-made binding removed (the
  // writers' logs stay in logDir for reading).
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  const { engine } = await freshEngine('concurrency-cleanup');
  await engine['chaos.heal']({ all: true });
  await engine.close();
  if (foreignCreated && node3Port)
    await virsh(['nwfilter-binding-delete', node3Port]).catch(() => {});
});

describe('concurrent writers', () => {
  it(
    'converge: the host holds exactly the union of what each writer was told succeeded',
    async () => {
      const t0 = performance.now();
      // A binding made by hand on lab-node3, which no writer touches: it must stay as it is.
      const node3 = lab.guests.find((g) => g.name === 'lab-node3');
      if (!node3) throw new Error('the lab has no lab-node3');
      node3Port =
        (await virsh(['domiflist', 'lab-node3'])).stdout
          .split('\n')
          .map((l) => l.trim().split(/\s+/)[0])
          .find((p) => p?.startsWith('vnet')) ?? null;
      if (!node3Port) throw new Error('lab-node3 has no port');
      expect(original.has(node3Port), `${node3Port} must be unbound before the test`).toBe(false);
      const uuid = (await virsh(['domuuid', 'lab-node3'])).stdout.trim();
      const file = join(logDir, 'node3-binding.xml');
      await writeFile(
        file,
        `<filterbinding><owner><name>lab-node3</name><uuid>${uuid}</uuid></owner><portdev name='${node3Port}'/><mac address='${node3.mac}'/><filterref filter='clean-traffic'><parameter name='IP' value='${node3.ip}'/></filterref></filterbinding>`,
      );
      await virsh(['nwfilter-binding-create', file]);
      foreignCreated = true;
      const foreignXml = (await virsh(['nwfilter-binding-dumpxml', node3Port])).stdout;

      // Four writers, started together once each has connected.
      const seeds = WRITERS.map((w) => (BASE_SEED + w.writer * 7919) % 2 ** 31);
      console.log(
        `concurrency: base seed ${BASE_SEED} (KVM_CHAOS_SEED), writers ${WRITERS.map((w, i) => `${w.writer}/${w.transport}/seed ${seeds[i]}`).join(', ')}; logs in ${logDir}`,
      );
      const startAt = Date.now() + 15_000;
      const runs = await Promise.all(
        WRITERS.map((w, i) => runWriter(w, seeds[i] as number, startAt)),
      );
      const runMs = performance.now() - t0;
      for (const r of runs) expect(r.code, `writer ${r.writer}: ${r.stderr}`).toBe(0);

      const ops = runs.flatMap((r) => r.lines.filter((l): l is OpLine => l.type === 'op'));
      const summaries = runs.map(
        (r) => r.lines.find((l): l is SummaryLine => l.type === 'summary') as SummaryLine,
      );
      const anomalies = runs.flatMap((r) => r.lines.filter((l) => l.type === 'anomaly'));
      const models = runs.map((r) => replay(r.lines));
      for (const [i, s] of summaries.entries()) {
        expect(s, `writer ${i + 1} printed no summary`).toBeDefined();
        expect(s.model).toEqual([...(models[i] as Set<string>)].sort());
      }
      const expected = new Set(models.flatMap((m) => [...m]));

      // A fresh engine's inventory.
      const checker = await freshEngine('concurrency-check');
      const inv = unwrap(await checker.engine['inventory.get']({ hostId: checker.hostId }));
      const found = inv.cuts.map(keyOfActive).sort();
      const notApplied = inv.cuts.filter((c) => c.state !== 'applied');
      const byVirsh = await readHostByVirsh();
      const expectedFlows = flowsOfKeys(expected);
      const { want, unjudged } = expectedMatrix(expectedFlows);
      const node3After = (await virsh(['nwfilter-binding-dumpxml', node3Port])).stdout;

      const failedByCode = new Map<string, number>();
      for (const o of ops)
        if (!o.ok) failedByCode.set(o.code ?? '?', (failedByCode.get(o.code ?? '?') ?? 0) + 1);
      const waits = ops.flatMap((o) => (o.firstWriteMs === null ? [] : [o.firstWriteMs]));
      const authorsOk = inv.cuts.every((c) =>
        summaries.some(
          (s) => c.author?.instance === s.instance && s.model.includes(keyOfActive(c)),
        ),
      );
      console.log(
        [
          `writers: ${runs.length} (${WRITERS.map((w) => `${w.writer} over ${w.transport}`).join(', ')}), ${summaries.map((s) => `writer ${s.writer}: ${s.ops} ops in ${(s.elapsedMs / 1000).toFixed(1)} s`).join('; ')}`,
          `changes: ${ops.length} (ok ${ops.filter((o) => o.ok).length}, failed ${ops.filter((o) => !o.ok).length}${[...failedByCode].map(([c, n]) => `, ${c} ${n}`).join('')}); by kind ${['cut', 'cuts', 'partition', 'heal', 'heal-mine'].map((k) => `${k} ${ops.filter((o) => o.op === k).length}`).join(', ')}`,
          `conflicts re-planned: ${ops.reduce((n, o) => n + o.replans, 0)} (in ${ops.filter((o) => o.replans > 0).length} changes)`,
          `busy: ${failedByCode.get('busy') ?? 0} changes gave up waiting for the lock; call to first write (lock wait + read + plan) median ${median(waits)} ms, max ${Math.max(0, ...waits)} ms over ${waits.length} writing changes, ${waits.filter((w) => w > 10_000).length} over 10 s; max per writer ${runs.map((r) => `${r.writer}: ${Math.max(0, ...ops.filter((o) => o.writer === r.writer).map((o) => o.firstWriteMs ?? 0))} ms`).join(', ')}; ${ops.filter((o) => o.ok && o.operations === 0).length} changes had nothing to write`,
          `anomalies seen by writers: ${anomalies.length}`,
          `cuts expected ${expected.size}, found by the inventory ${found.length} (not applied: ${notApplied.length}, interruptions: ${inv.interruptions.length}), intents by virsh ${byVirsh.intentsLive.length} live / ${byVirsh.intentsPersistent.length} persistent; flows expected ${expectedFlows.size}, enforced by our composites ${byVirsh.enforced.size}`,
          `matrix: ${want.length} flows judged, not judged (one-way 'all' cut drops ARP replies): ${unjudged.join(', ') || 'none'}`,
          `writers ran ${(runMs / 1000).toFixed(1)} s (start included)`,
        ].join('\n'),
      );
      for (const a of anomalies) console.log(`anomaly: ${JSON.stringify(a)}`);

      expect(anomalies).toEqual([]);
      expect(found).toEqual([...expected].sort());
      expect(notApplied).toEqual([]);
      expect(inv.interruptions).toEqual([]);
      expect(authorsOk).toBe(true);
      expect(byVirsh.intentsLive).toEqual([...expected].sort());
      expect(byVirsh.intentsPersistent).toEqual([...expected].sort());
      expect([...byVirsh.enforced].sort()).toEqual([...expectedFlows].sort());
      expect(byVirsh.idlePorts).toEqual([]);
      expect(byVirsh.badDropFilters).toEqual([]);
      expect(node3After).toBe(foreignXml);
      const seen = await waitForMatrix((m) => holds(m, want), {
        timeoutMs: 45_000,
        state: lab,
        what: 'the matrix the final cuts call for',
      });
      console.log(
        `matrix agreed after ${Math.round(seen.elapsedMs)} ms:\n${renderTable(seen.matrix, P)}`,
      );

      // Heal writer by writer, by cut id, from an instance that made none of the cuts: after each,
      // the others' cuts stand on the host and in the traffic (with the 'all' cuts gone first,
      // the port-scoped ones underneath show in the matrix).
      const left = models.map((m) => new Set(m));
      for (const w of [1, 4, 2, 3]) {
        const author = summaries[w - 1]?.instance;
        const cuts = unwrap(await checker.engine['inventory.get']({ hostId: checker.hostId })).cuts;
        const ids = cuts.filter((c) => c.author?.instance === author).map((c) => c.id);
        if (ids.length > 0) unwrap(await checker.engine['chaos.heal']({ cutIds: ids }));
        left[w - 1]?.clear();
        const keys = [...new Set(left.flatMap((m) => [...m]))].sort();
        const host = await readHostByVirsh();
        expect(host.intentsLive).toEqual(keys);
        expect([...host.enforced].sort()).toEqual([...flowsOfKeys(keys)].sort());
        expect(host.idlePorts).toEqual([]);
        const stage = expectedMatrix(flowsOfKeys(keys));
        const r = await waitForMatrix((m) => holds(m, stage.want), {
          timeoutMs: 30_000,
          state: lab,
          what: `the matrix once writer ${w}'s cuts are healed`,
        });
        const cutFlows = stage.want.filter((e) => !e.reach).length;
        console.log(
          `healed writer ${w}'s ${ids.length} cuts: ${keys.length} cuts left, ${cutFlows} of ${stage.want.length} judged flows cut, matrix agreed after ${Math.round(r.elapsedMs)} ms${stage.unjudged.length ? ` (not judged: ${stage.unjudged.join(', ')})` : ''}`,
        );
      }
      // Then heal everything: no filter of ours left, every flow back, node3's binding untouched.
      unwrap(await checker.engine['chaos.heal']({ all: true }));
      await checker.engine.close();
      await waitForMatrix(fullyConnected, {
        timeoutMs: 30_000,
        state: lab,
        what: 'every flow back',
      });
      expect(await ourFilters()).toEqual([]);
      expect((await virsh(['nwfilter-binding-dumpxml', node3Port])).stdout).toBe(foreignXml);
      for (const g of lab.guests)
        expect(intentKeys((await virsh(['dumpxml', '--inactive', g.name])).stdout)).toEqual([]);
      await virsh(['nwfilter-binding-delete', node3Port]);
      foreignCreated = false;
      expect(await bindingXmls()).toEqual(original);
      console.log(`test duration ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    },
    (SECONDS + 300) * 1000,
  );
});
