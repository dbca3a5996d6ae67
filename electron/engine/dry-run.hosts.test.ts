// A dry run across the lab's two libvirt hosts says what a real apply would do: the cuts each
// host would hold (both ends named, the far one a guest of the other host), the ports it would
// touch, and nothing changes on either host (bindings byte-identical, read with virsh over each
// host's own sshd). The real apply after it lists the same cuts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bindingsOfEveryHost, expectHostsAsBefore } from '../../lab/hosts-support';
import { type LabState, readLabState } from '../../lab/lab-client';
import { type ApplyResult, type GuestId, type PartitionRequest, unwrap } from '../../shared/api';
import { labHostsEngine } from './lab-support';
import type { Engine } from './types';

let lab: LabState;
let engine: Engine;
let original: Map<string, Map<string, string>>;
const names = new Map<string, string>();

const expectAsBefore = (what: string) => expectHostsAsBefore(lab, original, what);

const ids = (list: readonly string[]) =>
  list.map((n) => {
    const id = [...names].find(([, name]) => name === n)?.[0];
    if (!id) throw new Error(`no guest ${n} in any inventory`);
    return id as GuestId;
  });

/** A plan's cuts as `from>to` (one-way) or `a|b` (both ways, in name order) by guest name. */
function cutsByName(r: ApplyResult): string[] {
  return r.plan.cuts
    .map((c) => {
      const [from, to] = [c.from, c.to].map((e) =>
        'guestId' in e ? (names.get(e.guestId) ?? e.guestId) : e.address,
      ) as [string, string];
      return c.direction === 'both' ? [from, to].sort().join('|') : `${from}>${to}`;
    })
    .sort();
}

beforeAll(async () => {
  lab = await readLabState();
  const hosts = lab.hosts.slice(0, 2);
  const e = await labHostsEngine(lab, hosts);
  engine = e.engine;
  for (const h of hosts) for (const g of (await e.inventory(h.id)).guests) names.set(g.id, g.name);
  original = await bindingsOfEveryHost(lab);
});
afterAll(async () => {
  await engine?.['chaos.heal']({ all: true });
  await engine?.close();
});
beforeEach(async () => {
  await expectAsBefore('before the test');
});

describe('a dry run across two hosts', () => {
  it("lists the cuts of a guest of host 2 isolated from host 1's guests, as the apply then holds them", async () => {
    const h1Names = lab.hosts[0]?.guests.map((g) => g.name) ?? [];
    const partition: PartitionRequest = {
      topology: 'groups',
      groups: [ids(['h2-node1']), ids(h1Names)],
    };
    const dry = unwrap(await engine['chaos.apply']({ partition, dryRun: true }));
    expect(dry.dryRun).toBe(true);
    expect(dry.cutIds).toEqual([]);
    expect(dry.plan.portsTouched).toHaveLength(1);
    expect(cutsByName(dry)).toEqual(h1Names.map((n) => [n, 'h2-node1'].sort().join('|')).sort());
    await expectAsBefore('after the dry run');

    const real = unwrap(await engine['chaos.apply']({ partition }));
    expect(real.cutIds).toHaveLength(h1Names.length);
    expect(cutsByName(real)).toEqual(cutsByName(dry));
    expect(real.plan.portsTouched).toEqual(dry.plan.portsTouched);
    unwrap(await engine['chaos.heal']({ all: true }));
    await expectAsBefore('after the heal');
  });

  it('lists the cuts of halves that mix the hosts, from both hosts, once each', async () => {
    const partition: PartitionRequest = {
      topology: 'halves',
      guestIds: ids(['lab-node1', 'h2-node1', 'lab-node2', 'h2-node2']),
    };
    const dry = unwrap(await engine['chaos.apply']({ partition, dryRun: true }));
    // A 2x2 complete bipartite cut: four both-way cuts on two ports, one on each host.
    expect(dry.plan.portsTouched).toHaveLength(2);
    expect(cutsByName(dry)).toEqual(
      [
        'h2-node1|h2-node2',
        'h2-node1|lab-node2',
        'h2-node2|lab-node1',
        'lab-node1|lab-node2',
      ].sort(),
    );
    await expectAsBefore('after the dry run');
    const real = unwrap(await engine['chaos.apply']({ partition }));
    expect(cutsByName(real)).toEqual(cutsByName(dry));
    unwrap(await engine['chaos.heal']({ all: true }));
    await expectAsBefore('after the heal');
  });
});
