// The inventory read is concurrent on one connection (issue 14, item 2), against the lab's
// libvirtd: several calls are outstanding at once in the RPC layer (replies matched by serial:
// every XML is the one of the object asked for), never more than the window, and the result is
// the same as reading one call at a time, states included (they come from the listings now).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabState, readLabState } from '../../lab/lab-client';
import { testDriverNodeXml } from '../../lab/test-driver-node';
import type { RawHostState } from '../../shared/inventory/raw';
import { connect, type LibvirtConnection } from '../libvirt';
import { labTargets } from '../libvirt/lab-support';
import type { ProcedureMethods } from '../libvirt/procedures';
import { callWindow } from './call-window';
import { READ_WINDOW, readHost } from './host-reader';

const state: LabState = await readLabState();
/** hostname, 4 domain listings, 2 network listings, filters, bindings: not in the window. */
const UNWINDOWED_LISTINGS = 9;

/** The connection's methods, noting how many calls the RPC layer held pending as each began. */
function observed(conn: LibvirtConnection): { lv: ProcedureMethods; mostPending: () => number } {
  let most = 0;
  const lv = new Proxy(conn, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => {
        const call = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        // The call is in the RPC layer's map now, beside those still waiting on their replies.
        most = Math.max(most, conn.client?.rpc.pendingCount ?? 0);
        return call;
      };
    },
  }) as ProcedureMethods;
  return { lv, mostPending: () => most };
}

const nameOf = (xml: string) => /<name>([^<]+)<\/name>/.exec(xml)?.[1];
const without = ({ readAt: _, ...rest }: RawHostState) => rest;

async function statesAsked(conn: LibvirtConnection, raw: RawHostState) {
  return Promise.all(
    raw.domains.map(async (d) => {
      const dom = await conn.domainLookupByUuid(d.uuid);
      return { name: d.name, state: (await conn.domainGetState({ dom })).state };
    }),
  );
}

describe.each(labTargets(state))('the lab host read over $name', ({ uri }) => {
  let conn: LibvirtConnection;
  beforeAll(async () => {
    conn = await connect(uri);
  });
  afterAll(async () => {
    await conn?.close();
  });

  it('has several calls outstanding at once, each reply the one asked for, as read one by one', async () => {
    const { lv, mostPending } = observed(conn);
    const window = callWindow(READ_WINDOW);
    const raw = await readHost(lv, window);
    expect(window.peak).toBeGreaterThan(1);
    expect(window.peak).toBeLessThanOrEqual(READ_WINDOW);
    expect(mostPending(), 'calls pending in the RPC layer at once').toBeGreaterThan(1);
    expect(mostPending()).toBeLessThanOrEqual(READ_WINDOW + UNWINDOWED_LISTINGS);
    for (const d of raw.domains) expect(nameOf(d.xml)).toBe(d.name);
    for (const f of raw.filters) expect(f.xml).toContain(`name='${f.name}'`);
    for (const n of raw.networks) expect(nameOf(n.xml)).toBe(n.name);
    for (const b of raw.bindings) expect(b.xml).toContain(`<portdev name='${b.portdev}'/>`);
    expect(raw.domains.map((d) => d.name)).toEqual(
      expect.arrayContaining(['lab-node1', 'lab-node2', 'lab-node3']),
    );
    expect(raw.filters.length).toBeGreaterThan(10); // libvirt's own filters at least

    const oneByOne = await readHost(conn, callWindow(1));
    expect(without(raw)).toEqual(without(oneByOne));
    expect(raw.domains.map((d) => ({ name: d.name, state: d.state }))).toEqual(
      await statesAsked(conn, raw),
    );
  });
});

describe('300 test-driver guests through the lab libvirtd', () => {
  let dir: string;
  let conn: LibvirtConnection;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-reads-'));
    const file = join(dir, 'node.xml');
    await writeFile(file, testDriverNodeXml(300));
    conn = await connect(`test://${file}`);
  });
  afterAll(async () => {
    await conn?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fills the window and no more; every XML is its guest; states as libvirt says them', async () => {
    const { lv, mostPending } = observed(conn);
    const window = callWindow(READ_WINDOW);
    const raw = await readHost(lv, window);
    expect(window.peak).toBe(READ_WINDOW);
    // Replies come in batches: some are settled but have not yet handed on their slot.
    expect(mostPending()).toBeGreaterThan(READ_WINDOW / 2);
    expect(mostPending()).toBeLessThanOrEqual(READ_WINDOW + UNWINDOWED_LISTINGS);
    expect(raw.domains).toHaveLength(300);
    for (const d of raw.domains) expect(nameOf(d.xml)).toBe(d.name);
    expect(raw.domains.map((d) => ({ name: d.name, state: d.state }))).toEqual(
      await statesAsked(conn, raw),
    );
  });
});
