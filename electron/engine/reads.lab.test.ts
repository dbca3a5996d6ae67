// Reads never write (issue 11, item 4): on a host holding what interrupted changes leave (a port
// left unbound by a heal killed between deleting and re-creating its binding, and the rules of
// ours that heal never reached, left on the port of a guest destroyed since: a leftover binding),
// every read-only command and the first inventory read of an engine leave every binding, every
// nwfilter and every domain (live and persistent) byte-identical, as virsh sees it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fullyConnected,
  type LabState,
  readLabState,
  virsh,
  waitForMatrix,
} from '../../lab/lab-client';
import {
  bindCleanTraffic,
  diffHostXml,
  type HostXml,
  hostXml,
  interfacesOf,
  kvmChaos,
  kvmChaosJson,
  kvmChaosOk,
  ourFilterXml,
  portOf,
  witness,
} from '../../lab/witness';
import { type ApplyResult, type Interruption, unwrap } from '../../shared/api';
import { createEngine } from './index';
import { memoryProfiles } from './profiles';

const WINDOW = '--allow-unfiltered-window';
let lab: LabState;
let asFound: HostXml;
/** The ports as they were when the host was brought into its state (node3's is then gone). */
let ports: string[];

async function interruptions(): Promise<Interruption[]> {
  return (await kvmChaosJson<{ interruptions: Interruption[] }>(['cuts'])).interruptions;
}

beforeAll(async () => {
  lab = await readLabState();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: lab, what: 'a connected lab' });
  asFound = await hostXml();
  expect([...ourFilterXml(asFound).keys()], 'the lab holds filters of ours').toEqual([]);
  expect([...asFound.bindings.keys()], 'the lab holds bindings').toEqual([]);
  ports = await Promise.all(['lab-node1', 'lab-node2', 'lab-node3'].map(portOf));

  // Two cuts: node3 <-> node1 on node3's port (node1's is someone else's), node1 <-> node2 by
  // replacing a foreign binding. Then a heal killed right after it removed a foreign port's
  // binding and before it touched node3's: that port is left unbound, node3's rules orphaned
  // (then left behind by node3's destruction).
  await bindCleanTraffic('lab-node1');
  await bindCleanTraffic('lab-node2');
  await kvmChaosOk(['cut', 'lab-node3', 'lab-node1']);
  await kvmChaosOk(['cut', 'lab-node1', 'lab-node2', WINDOW]);
  const heal = ['heal', '--all', WINDOW];
  const ops = (await kvmChaosJson<ApplyResult>([...heal, '--dry-run'])).plan.operations;
  const node3 = ports[2] as string;
  const firstOnNode3 = ops.findIndex((o) => o.target === node3 || o.target.includes('lab-node3'));
  const k =
    ops.findIndex(
      (o, i) =>
        o.kind === 'delete-binding' &&
        o.target !== node3 &&
        ops.slice(i + 1).some((x) => x.kind === 'create-binding' && x.target === o.target),
    ) + 1;
  expect(
    k,
    `no delete of a foreign port's binding in the heal's plan:\n${ops.map((o) => `${o.kind} ${o.target}`).join('\n')}`,
  ).toBeGreaterThan(0);
  expect(k - 1, `the heal touches node3's port before a foreign one`).toBeLessThan(firstOnNode3);
  const killed = await kvmChaos(heal, { crashAfterWrite: k });
  expect(killed.signal, killed.stderr).toBe('SIGKILL');
  // The binding of a guest that is gone: libvirt keeps an API-made binding of a destroyed guest.
  await virsh(['destroy', 'lab-node3']);

  const kinds = (await interruptions()).map((i) => i.kind).sort();
  expect(kinds, 'the host holds an unbound port, orphaned rules and a leftover binding').toEqual(
    expect.arrayContaining(['unbound-port', 'leftover-binding']),
  );
  // The engine that keeps promises may act on expired or pending intents only: the host holds
  // neither (the killed heal had already removed both intents), so it too must change nothing.
  expect(witness(await hostXml()).intents).toEqual([]);
  expect(kinds).not.toContain('pending-cut');
  expect(kinds).not.toContain('expired-cut');
});

afterAll(async () => {
  // Back to the lab as found: repair (puts the foreign bindings back, drops the leftover), heal,
  // the foreign bindings removed, node3 started again and the matrix connected.
  await kvmChaos(['repair', WINDOW]);
  await kvmChaos(['heal', '--all', WINDOW]);
  for (const [port, xml] of (await hostXml()).bindings)
    if (/filter=['"]clean-traffic['"]/.test(xml)) await virsh(['nwfilter-binding-delete', port]);
  if (!(await virsh(['list', '--name'])).stdout.includes('lab-node3'))
    await virsh(['start', 'lab-node3']);
  await waitForMatrix(fullyConnected, {
    timeoutMs: 120_000,
    state: lab,
    what: 'lab-node3 back and every flow connected',
  });
  const now = await hostXml();
  expect([...now.bindings.keys()]).toEqual([]);
  expect(
    diffHostXml(asFound, now, { filters: 'all', domains: 'all' }).filter((d) =>
      d.startsWith('filter'),
    ),
  ).toEqual([]);
  for (const [name, d] of asFound.domains) {
    const n = now.domains.get(name);
    expect(n?.running, `${name} running`).toBe(d.running);
    expect(n?.inactive, `${name}'s persistent XML`).toBe(d.inactive);
    // A restarted guest gets another tap and network port id, and loses the <link state='up'/>
    // (the default) that libvirt writes into the live XML on an update-device an earlier suite
    // made: compare its interfaces without them.
    const noTap = (xml: string) =>
      interfacesOf(xml).map((i) =>
        i
          .replace(/<target dev=['"][^'"]+['"]\/>/, '')
          .replace(/ portid=['"][^'"]*['"]/, '')
          .replace(/\s*<link state=['"]up['"]\/>/, ''),
      );
    expect(noTap(n?.live ?? ''), `${name}'s live interfaces`).toEqual(noTap(d.live));
  }
});

describe('reads never write, on a host holding leftovers and interrupted ports', () => {
  const reads: string[][] = [
    ['guests'],
    ['--json', 'guests'],
    ['cuts'],
    ['--json', 'cuts'],
    ['bindings'],
    ['--json', 'bindings'],
    ['cut', 'lab-node1', 'lab-node2', '--dry-run'],
    ['cut', 'lab-node1', 'lab-node2', '--dry-run', WINDOW],
    ['--json', 'cut', 'lab-node2', 'lab-node1', '--one-way', '--dry-run', WINDOW],
    ['partition', 'isolate', 'lab-node2', '--dry-run', WINDOW],
    ['partition', 'halves', 'lab-node1', 'lab-node2', '--dry-run', WINDOW],
    ['heal', '--all', '--dry-run'],
    ['heal', '--all', '--dry-run', WINDOW],
    ['repair', '--dry-run'],
    ['repair', '--dry-run', WINDOW],
    ['protect', 'lab-node1', '--preset', 'clean-traffic', '--dry-run'],
    ['protect', 'lab-node2', '--preset', 'clean-traffic', '--dry-run', WINDOW],
    ['unprotect', 'lab-node1', '--dry-run', WINDOW],
  ];
  for (const args of reads)
    it(`kvm-chaos ${args.join(' ')}`, async () => {
      const before = await hostXml();
      const r = await kvmChaos(args);
      // Refusals (a window not allowed) are fine; a crash or a write is not.
      expect(r.signal, r.stderr).toBeNull();
      expect(diffHostXml(before, await hostXml(), { filters: 'all', domains: 'all' })).toEqual([]);
    });

  it('kvm-chaos binding vnetN, for every port the host had', async () => {
    const before = await hostXml();
    for (const p of ports) {
      const r = await kvmChaos(['binding', p]);
      expect(r.signal, r.stderr).toBeNull();
    }
    expect(diffHostXml(before, await hostXml(), { filters: 'all', domains: 'all' })).toEqual([]);
  });

  for (const keepPromises of [false, true])
    it(`the first inventory read of an engine (keepPromises: ${keepPromises})`, async () => {
      const before = await hostXml();
      const dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-reads-engine-'));
      const engine = await createEngine({
        profiles: memoryProfiles(),
        knownHostsPath: join(dir, 'known_hosts'),
        face: 'test',
        keepPromises,
      });
      try {
        const host = unwrap(
          await engine['hosts.add']({ uri: 'qemu:///system', auth: { method: 'local' } }),
        );
        unwrap(await engine['hosts.connect']({ hostId: host.id }));
        const inv = unwrap(await engine['inventory.get']({ hostId: host.id }));
        expect(inv.interruptions.map((i) => i.kind)).toContain('unbound-port');
        // Time for a promise keeper to act, were it to act on what it must leave alone.
        await new Promise((r) => setTimeout(r, 4000));
      } finally {
        await engine.close();
        await rm(dir, { recursive: true, force: true });
      }
      expect(diffHostXml(before, await hostXml(), { filters: 'all', domains: 'all' })).toEqual([]);
    });
});
