// Live updates as patches (issue 14, item 2), against the lab through its real sshd: a client
// that holds an inventory and follows inventory.changed the way the UI's reducer does (whole on
// 'full', applied on a patch of its revision, fetched again on a gap) holds exactly what
// inventory.get answers after a cut, a heal, and a guest paused and resumed; and those changes
// arrive as patches, not as the whole inventory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullyConnected, virsh, waitForMatrix } from '../../lab/lab-client';
import { type ChaosEvent, type HostInventory, unwrap } from '../../shared/api';
import { applyInventoryPatch } from '../../shared/inventory/patch';
import { waitUntil } from '../libvirt/lab-support';
import { type LabEngine, labEngine, ourFilters } from './lab-support';

let lab: LabEngine;

/** A follower of one host's inventory, as a client of the engine keeps it. */
function follower(l: LabEngine) {
  const seen = { full: 0, patch: 0, refetched: 0 };
  let held: HostInventory | null = null;
  const refetch = async () => {
    seen.refetched++;
    held = unwrap(await l.engine['inventory.get']({ hostId: l.hostId }));
  };
  const unsubscribe = l.engine.subscribe((e: ChaosEvent) => {
    if (e.type !== 'inventory.changed' || e.hostId !== l.hostId) return;
    if (e.change.kind === 'full') {
      seen.full++;
      held = e.change.inventory;
    } else if (held && held.revision === e.change.baseRevision) {
      seen.patch++;
      held = applyInventoryPatch(held, e.change.patch, e.change.revision);
    } else void refetch();
  });
  return {
    seen,
    held: () => held,
    start: refetch,
    unsubscribe,
    /** Once it holds the engine's revision, it must hold the engine's inventory exactly. */
    async matches(what: string): Promise<HostInventory> {
      let truth = await l.inventory();
      await waitUntil(`the follower at revision ${truth.revision} (${what})`, async () => {
        truth = await l.inventory();
        return held?.revision === truth.revision;
      });
      expect(held, what).toEqual(truth);
      return truth;
    },
  };
}

beforeAll(async () => {
  lab = await labEngine();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: lab.lab, what: 'a lab' });
  expect(await ourFilters()).toEqual([]);
});
afterAll(async () => {
  await virsh(['resume', 'lab-node3']).catch(() => {});
  await lab?.engine['chaos.heal']({ all: true });
  await lab?.close();
});

describe('inventory patches to a client', () => {
  it('rebuild exactly the inventory after a cut, a heal and a pause, sent as patches', async () => {
    const f = follower(lab);
    await f.start();
    const node1 = await lab.guest('lab-node1');
    const node3 = await lab.guest('lab-node3');
    try {
      unwrap(
        await lab.engine['chaos.apply']({
          partition: { topology: 'isolate', guestIds: [node1.id] },
        }),
      );
      const cut = await f.matches('after the cut');
      expect(cut.cuts.length).toBeGreaterThan(0);

      await virsh(['suspend', 'lab-node3']);
      await waitUntil('lab-node3 paused in the inventory', () =>
        (f.held()?.guests ?? []).some((g) => g.id === node3.id && g.state === 'paused'),
      );
      await f.matches('after a pause');
      await virsh(['resume', 'lab-node3']);
      await waitUntil('lab-node3 running in the inventory', () =>
        (f.held()?.guests ?? []).some((g) => g.id === node3.id && g.state === 'running'),
      );
      await f.matches('after the resume');

      unwrap(await lab.engine['chaos.heal']({ all: true }));
      const healed = await f.matches('after the heal');
      expect(healed.cuts).toEqual([]);
      // Everything after the first fetch came as patches (none was reordered or reconnected).
      expect(f.seen.patch).toBeGreaterThanOrEqual(4);
      expect(f.seen.full).toBe(0);
      expect(f.seen.refetched).toBe(1);
    } finally {
      f.unsubscribe();
    }
  });
});
