// Events pushed by the lab's libvirtd: a guest destroyed and started through the client (and
// left running and reachable again), a USB device hot-plugged and removed, a network created
// and destroyed. Seen over ssh and over the local socket at the same time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fullyConnected,
  type LabState,
  readLabState,
  virsh,
  waitForMatrix,
} from '../../lab/lab-client';
import { connect, DomainAffect, type LibvirtConnection, type LibvirtEvent } from './index';
import { labTargets, removeTempFiles, TEST_PREFIX, tempFile, waitUntil } from './lab-support';

const state: LabState = await readLabState();
const NETWORK = `${TEST_PREFIX}-net`;
const TABLET = `<input type='tablet' bus='usb'><alias name='ua-kcrpctest'/></input>`;
const [node1, , node3] = state.guests as [
  LabState['guests'][0],
  LabState['guests'][0],
  LabState['guests'][0],
];

const connections: { name: string; lv: LibvirtConnection; events: LibvirtEvent[] }[] = [];

async function restoreLab() {
  await virsh(['net-destroy', NETWORK]).catch(() => {});
  if ((await virsh(['domstate', node3.name])).stdout.trim() !== 'running') {
    await virsh(['start', node3.name]);
  }
  const xml = (await virsh(['dumpxml', node3.name])).stdout;
  if (xml.includes('ua-kcrpctest')) {
    const file = await tempFile('tablet.xml', TABLET);
    await virsh(['detach-device', node3.name, file, '--live']).catch(() => {});
  }
}

beforeAll(async () => {
  await restoreLab();
  for (const { name, uri } of labTargets(state)) {
    const lv = await connect(uri, { reconnect: false });
    const events: LibvirtEvent[] = [];
    await lv.subscribe('domain-lifecycle', (e) => events.push(e));
    await lv.subscribe('domain-device-added', (e) => events.push(e));
    await lv.subscribe('domain-device-removed', (e) => events.push(e));
    await lv.subscribe('network-lifecycle', (e) => events.push(e));
    await lv.subscribe('domain-metadata-change', (e) => events.push(e));
    connections.push({ name, lv, events });
  }
});

afterAll(async () => {
  for (const { lv } of connections) await lv.close();
  await restoreLab();
  await removeTempFiles();
  await waitForMatrix(fullyConnected, { timeoutMs: 120_000, what: 'the lab healed' });
});

const describeEvent = (e: LibvirtEvent) => {
  switch (e.kind) {
    case 'domain-lifecycle':
      return `${e.dom.name} ${e.event}/${e.detail}`;
    case 'domain-device-added':
    case 'domain-device-removed':
      return `${e.dom.name} ${e.kind} ${e.devAlias}`;
    case 'network-lifecycle':
      return `${e.net.name} ${e.event}`;
    case 'domain-metadata-change':
      return `${e.dom.name} metadata ${e.type} ${e.nsuri}`;
  }
};

async function expectEverywhere(text: string) {
  for (const c of connections) {
    await waitUntil(`'${text}' over ${c.name}`, () => c.events.map(describeEvent).includes(text));
  }
}

describe('events from the lab', () => {
  it('a guest destroyed and started through the client: stopped/destroyed, started/booted', async () => {
    const lv = connections[0]?.lv as LibvirtConnection;
    const dom = await lv.domainLookupByName(node3.name);
    await lv.domainDestroy(dom);
    await expectEverywhere(`${node3.name} stopped/destroyed`);
    expect((await virsh(['domstate', node3.name])).stdout.trim()).toBe('shut off');
    await lv.domainCreate(dom);
    await expectEverywhere(`${node3.name} started/booted`);
    const running = await lv.domainLookupByName(node3.name);
    expect(running.id).toBeGreaterThan(0);
    expect(running.id).not.toBe(dom.id);
    // Events carry the domain as it is now.
    const started = connections[0]?.events.find(
      (e) => e.kind === 'domain-lifecycle' && e.event === 'started',
    );
    expect(started).toMatchObject({ dom: { uuid: dom.uuid }, raw: { event: 2, detail: 0 } });
    await waitForMatrix(fullyConnected, { timeoutMs: 120_000, what: `${node3.name} back` });
  });

  it('a USB device hot-plugged and removed: device-added, device-removed', async () => {
    const lv = connections[1]?.lv as LibvirtConnection;
    const dom = await lv.domainLookupByName(node3.name);
    await lv.domainAttachDeviceFlags({ dom, xml: TABLET, flags: DomainAffect.Live });
    await expectEverywhere(`${node3.name} domain-device-added ua-kcrpctest`);
    await lv.domainDetachDeviceFlags({ dom, xml: TABLET, flags: DomainAffect.Live });
    await expectEverywhere(`${node3.name} domain-device-removed ua-kcrpctest`);
  });

  it('metadata set and removed (virsh metadata, live): metadata-change with its namespace', async () => {
    const ns = 'https://kvm-chaos.dev/xmlns/test/1';
    const base = ['metadata', node3.name, '--uri', ns, '--live'];
    await virsh([...base, '--key', 'kctest', '--set', '<probe/>']);
    await expectEverywhere(`${node3.name} metadata 2 ${ns}`);
    const seen = connections[0]?.events.length ?? 0;
    await virsh([...base, '--remove']);
    await waitUntil('the removal event', () => (connections[0]?.events.length ?? 0) > seen);
    expect(
      (await virsh(['metadata', node3.name, '--uri', ns, '--live']).catch(() => null))?.stdout ??
        '',
    ).not.toContain('probe');
  });

  it('a network created and destroyed: started, stopped', async () => {
    const file = await tempFile(
      'net.xml',
      `<network><name>${NETWORK}</name><bridge name='kcrpc0' stp='off'/></network>`,
    );
    await virsh(['net-create', file]);
    await expectEverywhere(`${NETWORK} started`);
    await virsh(['net-destroy', NETWORK]);
    await expectEverywhere(`${NETWORK} stopped`);
  });

  it('a filtered subscription sees only its domain, and unsubscribing stops events', async () => {
    const lv = await connect(state.sshUri, { reconnect: false });
    try {
      const dom1 = await lv.domainLookupByName(node1.name);
      const seen: string[] = [];
      const sub = await lv.subscribe('domain-device-added', (e) => seen.push(e.dom.name), {
        dom: dom1,
      });
      const all: string[] = [];
      const subAll = await lv.subscribe('domain-device-added', (e) => all.push(e.dom.name));
      let removed = 0;
      await lv.subscribe('domain-device-removed', () => removed++);
      const dom3 = await lv.domainLookupByName(node3.name);
      await lv.domainAttachDeviceFlags({ dom: dom3, xml: TABLET, flags: DomainAffect.Live });
      await waitUntil('the unfiltered subscription', () => all.includes(node3.name));
      await subAll.unsubscribe();
      await lv.domainDetachDeviceFlags({ dom: dom3, xml: TABLET, flags: DomainAffect.Live });
      await lv.domainAttachDeviceFlags({ dom: dom3, xml: TABLET, flags: DomainAffect.Live });
      await lv.domainDetachDeviceFlags({ dom: dom3, xml: TABLET, flags: DomainAffect.Live });
      // Events arrive in order on one connection: after the second removal, the second
      // device-added has been delivered (or not) already.
      await waitUntil('both removals', () => removed === 2);
      expect(seen).toEqual([]);
      expect(all).toEqual([node3.name]);
      await sub.unsubscribe();
    } finally {
      await lv.close();
    }
  });
});
