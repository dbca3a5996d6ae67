// A cut across hosts is listed by the host that enforces it, with the far guest as the other
// host's inventory has it. An instance that connects to the enforcing host first does not know
// the far guest yet; once the other host is read, the cut must show there without any change on
// the enforcing host (before, it stayed hidden until that host changed or was read again in full,
// 9.7 s later in the lab).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindingsOfEveryHost, expectHostsAsBefore } from '../../lab/hosts-support';
import { type LabHostState, type LabState, readLabState } from '../../lab/lab-client';
import { type ActiveCut, isGuestCut, unwrap } from '../../shared/api';
import { waitUntil } from '../libvirt/lab-support';
import { cutBetween, labHostsEngine } from './lab-support';
import type { Engine } from './types';

let lab: LabState;
let original: Map<string, Map<string, string>>;
const engines: Engine[] = [];

async function engineOn(hosts: readonly LabHostState[]) {
  const e = await labHostsEngine(lab, hosts, { bindingPollMs: 1000 });
  engines.push(e.engine);
  return e;
}

beforeAll(async () => {
  lab = await readLabState();
  original = await bindingsOfEveryHost(lab);
});
afterAll(async () => {
  await engines[0]?.['chaos.heal']({ all: true });
  await Promise.all(engines.map((e) => e.close()));
});

describe('the far end of a cut across hosts', () => {
  it('shows on the enforcing host once the other host is read, with no change there', async () => {
    const [h1, h2] = lab.hosts as [LabHostState, LabHostState];
    const a = await engineOn([h1, h2]);
    const n1 = (await a.inventory('h1')).guests.find((g) => g.name === 'lab-node1');
    const m1 = (await a.inventory('h2')).guests.find((g) => g.name === 'h2-node1');
    if (!n1 || !m1) throw new Error('the 2-host lab lacks lab-node1 or h2-node1');
    unwrap(await a.engine['chaos.apply']({ cuts: [cutBetween(n1, m1)] }));
    const enforcing = (await a.inventory('h1')).cuts.length > 0 ? h1 : h2;
    const far = enforcing === h1 ? h2 : h1;

    // A second instance reads the enforcing host first: the far guest is unknown then.
    const b = await engineOn([enforcing]);
    expect((await b.inventory(enforcing.id)).cuts).toEqual([]);
    await b.connect(far);
    let listed: ActiveCut[] = [];
    const t0 = Date.now();
    await waitUntil(
      'the cut listed on the enforcing host',
      async () => {
        listed = (await b.inventory(enforcing.id)).cuts;
        return listed.length === 1;
      },
      // Well under the host's own full re-read (about 10 s), which showed it before.
      3_000,
    );
    console.log(`far ends: the cut showed ${Date.now() - t0} ms after the far host connected`);
    const cut = listed[0] as ActiveCut;
    expect(isGuestCut(cut)).toBe(true);
    if (isGuestCut(cut))
      expect([cut.from.guestId, cut.to.guestId].sort()).toEqual([n1.id, m1.id].sort());
    expect(cut.state).toBe('applied');

    unwrap(await a.engine['chaos.heal']({ all: true }));
    await expectHostsAsBefore(lab, original, 'after the heal');
  }, 120_000);
});
