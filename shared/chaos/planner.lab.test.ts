// The planner against the real lab (issue 4.6): host state read with virsh, plans applied with
// virsh, traffic judged by the lab's probe matrix. Run with the lab's flock:
//   flock /tmp/kvm-chaos-lab.lock npm run lab -- exec npx vitest run --project lab shared/chaos/planner.lab.test.ts
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Expectation,
  exactlyCut,
  flow,
  fullyConnected,
  holds,
  type LabState,
  type Matrix,
  type Protocol,
  readLabState,
  virsh,
  waitForMatrix,
} from '../../lab/lab-client';
import { parseBinding } from '../libvirt/binding';
import { buildInterfaceXml, type Domain, parseDomain } from '../libvirt/domain';
import type { FilterRef } from '../libvirt/filterref';
import { parseNetwork } from '../libvirt/network';
import { parseNwfilter } from '../libvirt/nwfilter';
import { type MacAddress, macAddress } from '../libvirt/values';
import { presetFilterRef } from '../protection/presets';
import { type Cut, flowsOf } from './cut';
import { isOurs } from './naming';
import { listActiveCuts, type Operation, planCuts, planHeal } from './planner';
import { type HostSnapshot, snapshotFromHost } from './snapshot';
import { grudgeToCuts, halves, isolate } from './topology';

const HEALTH: Protocol[] = ['icmp', 'tcp', 'udp'];
let state: LabState;
let dir: string;
let macs: MacAddress[];
let nameOf: Map<MacAddress, string>;
/** Each guest's interface filterref as the test found it, restored at the end. */
const initialRefs = new Map<string, FilterRef | null>();

async function lines(args: string[]): Promise<string[]> {
  const { stdout } = await virsh(args);
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

async function domains(): Promise<Domain[]> {
  const names = await lines(['list', '--all', '--name']);
  return Promise.all(names.map(async (n) => parseDomain((await virsh(['dumpxml', n])).stdout)));
}

/** The raw binding XML per port, exactly as virsh prints it. */
async function bindingDumps(): Promise<Record<string, string>> {
  const ports = (await lines(['nwfilter-binding-list'])).map((l) => l.split(/\s+/)[0] as string);
  const out: Record<string, string> = {};
  for (const p of ports.sort()) out[p] = (await virsh(['nwfilter-binding-dumpxml', p])).stdout;
  return out;
}

async function ourFilterNames(): Promise<string[]> {
  return (await lines(['nwfilter-list']))
    .map((l) => l.split(/\s+/)[1] as string)
    .filter((n) => n !== undefined && isOurs(n) && !n.startsWith('kvm-chaos-labtest-'))
    .sort();
}

async function readSnapshot(): Promise<HostSnapshot> {
  const netNames = await lines(['net-list', '--all', '--name']);
  const networks = await Promise.all(
    netNames.map(async (n) => parseNetwork((await virsh(['net-dumpxml', n])).stdout)),
  );
  const bindings = Object.values(await bindingDumps()).map(parseBinding);
  const filters = await Promise.all(
    (await ourFilterNames()).map(async (n) =>
      parseNwfilter((await virsh(['nwfilter-dumpxml', n])).stdout),
    ),
  );
  return snapshotFromHost({ domains: await domains(), networks, bindings, filters });
}

async function withFile<T>(xml: string, use: (file: string) => Promise<T>): Promise<T> {
  const file = join(dir, `op-${Date.now()}-${Math.random().toString(16).slice(2)}.xml`);
  await writeFile(file, xml);
  try {
    return await use(file);
  } finally {
    await rm(file, { force: true });
  }
}

async function apply(ops: readonly Operation[]): Promise<void> {
  for (const op of ops) {
    switch (op.kind) {
      case 'define-filter':
        await withFile(op.xml, (f) => virsh(['nwfilter-define', f]));
        break;
      case 'undefine-filter':
        await virsh(['nwfilter-undefine', op.target]);
        break;
      case 'create-binding':
        await withFile(op.xml, (f) => virsh(['nwfilter-binding-create', f]));
        break;
      case 'delete-binding':
        await virsh(['nwfilter-binding-delete', op.target]);
        break;
    }
  }
}

/** The matrix flows a set of cuts stops: icmp and tcp are round trips, udp is one way. */
function expectedCut(cuts: readonly Cut[]): { from: string; to: string; protocol: Protocol }[] {
  const out: { from: string; to: string; protocol: Protocol }[] = [];
  const dropped = cuts.flatMap(flowsOf);
  const covers = (src: MacAddress, dst: MacAddress, p: Protocol) =>
    dropped.some(
      (f) =>
        f.src === src &&
        f.dst === dst &&
        (f.scope.kind === 'all' ||
          f.scope.kind === 'ipv4' ||
          (f.scope.kind === p && !('port' in f.scope && f.scope.port))),
    );
  for (const a of macs)
    for (const b of macs) {
      if (a === b) continue;
      for (const p of HEALTH) {
        const cut = covers(a, b, p) || (p !== 'udp' && covers(b, a, p));
        if (cut)
          out.push({ from: nameOf.get(a) as string, to: nameOf.get(b) as string, protocol: p });
      }
    }
  return out;
}

async function setProtection(refFor: (g: LabState['guests'][number]) => FilterRef | null) {
  for (const d of await domains()) {
    const g = state.guests.find((x) => x.name === d.name);
    const iface = d.interfaces[0];
    if (!g || !iface) continue;
    const want = refFor(g);
    if (JSON.stringify(iface.filterref ?? null) === JSON.stringify(want)) continue;
    await withFile(buildInterfaceXml(iface, want), (f) =>
      virsh(['update-device', d.name, f, '--live']),
    );
  }
}

/** Applies the plan for `cuts`, waits until exactly the intended flows drop, checks idempotence. */
async function cutAndCheck(what: string, cuts: readonly Cut[], protectedGuests: boolean) {
  const t0 = performance.now();
  const plan = planCuts(await readSnapshot(), cuts);
  await apply(plan.operations);
  const applied = performance.now() - t0;
  const expectations: Expectation[] = exactlyCut(state, HEALTH, expectedCut(cuts));
  const seen = await waitForMatrix(
    (m) => holds(m, expectations) && (!protectedGuests || spoofBlocked(m)),
    {
      timeoutMs: 30_000,
      what,
    },
  );
  console.log(
    `${what}: ${plan.operations.length} operations on ${plan.portsTouched.length} port(s) [${plan.portsTouched.join(' ')}] in ${(applied / 1000).toFixed(2)} s; traffic as intended ${(seen.elapsedMs / 1000).toFixed(2)} s later`,
  );
  const after = await readSnapshot();
  expect(planCuts(after, cuts).operations).toEqual([]);
  expect(listActiveCuts(after).map(({ enforcedOn: _, ...c }) => c)).toEqual(
    planCuts(after, cuts).cuts,
  );
  return plan;
}

/** With clean-traffic on every guest, no MAC- or IP-spoofed frame gets anywhere. */
function spoofBlocked(m: Matrix): boolean {
  return state.guests.every((a) =>
    state.guests.every(
      (b) =>
        a === b ||
        (['macspoof', 'ipspoof'] as const).every((p) => {
          const f = flow(m, a.name, b.name, p);
          return f.of >= Math.min(3, m.window) && f.ok === 0;
        }),
    ),
  );
}

async function healAndCheck(before: Record<string, string>, protectedGuests: boolean) {
  const t0 = performance.now();
  const heal = planHeal(await readSnapshot());
  await apply(heal.operations);
  const seen = await waitForMatrix(
    (m) => fullyConnected(m) && (!protectedGuests || spoofBlocked(m)),
    {
      timeoutMs: 30_000,
      what: 'every flow back after heal',
    },
  );
  console.log(
    `heal: ${heal.operations.length} operations in ${((performance.now() - t0 - seen.elapsedMs) / 1000).toFixed(2)} s; all flows back ${(seen.elapsedMs / 1000).toFixed(2)} s later; unfiltered moments on ${heal.unfilteredWindows.join(' ') || 'no port'}`,
  );
  expect(await bindingDumps()).toEqual(before);
  expect(await ourFilterNames()).toEqual([]);
  expect(planHeal(await readSnapshot()).operations).toEqual([]);
}

beforeAll(async () => {
  state = await readLabState();
  dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-planner-lab-'));
  macs = state.guests.map((g) => macAddress(g.mac));
  nameOf = new Map(state.guests.map((g) => [macAddress(g.mac), g.name]));
  for (const d of await domains()) initialRefs.set(d.name, d.interfaces[0]?.filterref ?? null);
  const leftovers = planHeal(await readSnapshot());
  if (leftovers.operations.length > 0) {
    console.log(`healing what an earlier run left: ${leftovers.summary.join('; ')}`);
    await apply(leftovers.operations);
  }
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, what: 'a fully connected lab' });
});

afterAll(async () => {
  // Leave the lab as we found it, whatever happened above.
  try {
    await apply(planHeal(await readSnapshot()).operations);
  } finally {
    await setProtection((g) => initialRefs.get(g.name) ?? null);
    await rm(dir, { recursive: true, force: true });
  }
});

describe.each([
  { protection: 'no protection', protect: false },
  { protection: 'clean-traffic on every guest', protect: true },
])('planned cuts on the 3-guest lab, $protection', ({ protect }) => {
  it('isolate, halves and a one-way UDP cut drop exactly the intended flows; heal restores every flow and binding', async () => {
    await setProtection((g) =>
      protect ? presetFilterRef('clean-traffic', [], { ips: [g.ip] }) : null,
    );
    await waitForMatrix((m) => fullyConnected(m) && (!protect || spoofBlocked(m)), {
      timeoutMs: 60_000,
      what: protect ? 'clean-traffic in force, every flow up' : 'every flow up',
    });
    const before = await bindingDumps();
    if (protect) expect(Object.keys(before)).toHaveLength(3);
    const [n1, n2, n3] = macs as [MacAddress, MacAddress, MacAddress];

    const iso = await cutAndCheck('isolate lab-node1', grudgeToCuts(isolate(macs, n1)), protect);
    expect(iso.portsTouched).toHaveLength(1);
    expect(iso.unfilteredWindows).toHaveLength(protect ? 1 : 0);

    // halves of [n2, n1, n3]: n2 alone. From the state above: n1's port changes in place.
    const half = await cutAndCheck(
      'halves (lab-node2 | lab-node1, lab-node3)',
      grudgeToCuts(halves([n2, n1, n3])),
      protect,
    );
    expect(half.portsTouched.length).toBeLessThanOrEqual(2);

    const udp: Cut[] = [{ from: n2, to: n1, direction: 'one-way', scope: { kind: 'udp' } }];
    await cutAndCheck('one-way UDP lab-node2 -> lab-node1', udp, protect);

    await healAndCheck(before, protect);
  });
});
