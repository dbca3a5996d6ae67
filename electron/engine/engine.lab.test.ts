// The engine against the real lab, through its real sshd: every cut is judged by the guests'
// own traffic (the lab's matrix), every heal by the host's bindings, byte for byte.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type Expectation,
  exactlyCut,
  fullyConnected,
  holds,
  type Protocol,
  virsh,
  waitForMatrix,
} from '../../lab/lab-client';
import { unwrap } from '../../shared/api';
import { connect } from '../libvirt/connection';
import { bindingXmls, cutBetween, type LabEngine, labEngine, ourFilters } from './lab-support';

const P: Protocol[] = ['icmp', 'tcp', 'udp'];
let lab: LabEngine;
let original: Map<string, string>;

/** The flows a cut drops as the probes see them: round trips die both ways, UDP one way. */
function dropped(from: string, to: string, how: 'both' | 'one-way' | 'udp-one-way') {
  if (how === 'udp-one-way') return [{ from, to, protocol: 'udp' as const }];
  const roundTrips = (['icmp', 'tcp'] as const).flatMap((protocol) => [
    { from, to, protocol },
    { from: to, to: from, protocol },
  ]);
  const udp =
    how === 'both'
      ? [
          { from, to, protocol: 'udp' as const },
          { from: to, to: from, protocol: 'udp' as const },
        ]
      : [{ from, to, protocol: 'udp' as const }];
  return [...roundTrips, ...udp];
}

async function expectFlows(
  cut: ReturnType<typeof dropped>,
  what: string,
  timeoutMs = 20_000,
): Promise<number> {
  const want: Expectation[] = exactlyCut(lab.lab, P, cut);
  const r = await waitForMatrix((m) => holds(m, want), { timeoutMs, state: lab.lab, what });
  return r.elapsedMs;
}

async function expectHealedExactly(): Promise<void> {
  await waitForMatrix(fullyConnected, {
    timeoutMs: 20_000,
    state: lab.lab,
    what: 'every flow back',
  });
  expect(await bindingXmls()).toEqual(original);
  expect(await ourFilters()).toEqual([]);
}

beforeAll(async () => {
  lab = await labEngine();
  await waitForMatrix(fullyConnected, {
    timeoutMs: 60_000,
    state: lab.lab,
    what: 'a connected lab',
  });
  original = await bindingXmls();
});
afterAll(async () => {
  await lab?.engine['chaos.heal']({ all: true });
  await lab?.close();
});
beforeEach(async () => {
  expect(await ourFilters()).toEqual([]);
});

describe('cuts through the service API', () => {
  it('isolates a guest, and heal restores every flow and binding', async () => {
    const ids = [(await lab.guest('lab-node1')).id];
    const r = unwrap(
      await lab.engine['chaos.apply']({ partition: { topology: 'isolate', guestIds: ids } }),
    );
    expect(r.plan.portsTouched).toHaveLength(1);
    const inv = await lab.inventory();
    expect(inv.cuts).toHaveLength(2);
    await expectFlows(
      [...dropped('lab-node1', 'lab-node2', 'both'), ...dropped('lab-node1', 'lab-node3', 'both')],
      'lab-node1 isolated',
    );
    unwrap(await lab.engine['chaos.heal']({ all: true }));
    await expectHealedExactly();
  });

  it('splits halves touching at most floor(n/2) ports', async () => {
    const ids = await Promise.all(
      ['lab-node1', 'lab-node2', 'lab-node3'].map(async (n) => (await lab.guest(n)).id),
    );
    const r = unwrap(
      await lab.engine['chaos.apply']({ partition: { topology: 'halves', guestIds: ids } }),
    );
    expect(r.plan.portsTouched.length).toBeLessThanOrEqual(1);
    await expectFlows(
      [...dropped('lab-node1', 'lab-node2', 'both'), ...dropped('lab-node1', 'lab-node3', 'both')],
      'node1 | node2 node3',
    );
    unwrap(await lab.engine['chaos.undo']({}));
    await expectHealedExactly();
  });

  it("cuts one way, and the seed's UDP-only cut", async () => {
    const [a, b] = [await lab.guest('lab-node1'), await lab.guest('lab-node2')];
    unwrap(await lab.engine['chaos.apply']({ cuts: [cutBetween(a, b, { direction: 'one-way' })] }));
    await expectFlows(dropped('lab-node1', 'lab-node2', 'one-way'), 'node1 -> node2 one way');
    unwrap(await lab.engine['chaos.heal']({ all: true }));
    await expectHealedExactly();

    unwrap(
      await lab.engine['chaos.apply']({
        cuts: [cutBetween(b, a, { direction: 'one-way', scope: { kind: 'udp' } })],
      }),
    );
    await expectFlows(dropped('lab-node2', 'lab-node1', 'udp-one-way'), 'UDP node2 -> node1 only');
    unwrap(await lab.engine['chaos.heal']({ all: true }));
    await expectHealedExactly();
  });

  it('heals by itself when its duration is over', async () => {
    const ids = [(await lab.guest('lab-node3')).id];
    const t0 = Date.now();
    const r = unwrap(
      await lab.engine['chaos.apply']({
        partition: { topology: 'isolate', guestIds: ids },
        durationSeconds: 10,
      }),
    );
    expect(
      (await lab.inventory()).cuts.every((c) => c.expiresAt !== null && c.expiresAt >= t0 + 10_000),
    ).toBe(true);
    expect(r.cutIds).toHaveLength(2);
    await expectFlows(
      [...dropped('lab-node3', 'lab-node1', 'both'), ...dropped('lab-node3', 'lab-node2', 'both')],
      'node3 isolated',
    );
    await waitForMatrix(fullyConnected, {
      timeoutMs: 30_000,
      state: lab.lab,
      what: 'healed by its duration',
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(10_000);
    expect(await bindingXmls()).toEqual(original);
  });

  it('keeps clean-traffic working on a cut port, and heal restores its binding exactly', async () => {
    const g3 = await lab.guest('lab-node3');
    const mac3 = g3.interfaces[0]?.mac as string;
    const spoofed = (to: string) =>
      (['macspoof', 'ipspoof'] as const).map((protocol) => ({ from: 'lab-node3', to, protocol }));
    const spoofFlows = (m: Parameters<typeof holds>[0], reach: boolean, to: string[]) =>
      holds(
        m,
        to.flatMap(spoofed).map((f) => ({ ...f, reach })),
      );
    // Forged frames from node3 get through while it is unprotected: the probe is honest.
    await waitForMatrix((m) => spoofFlows(m, true, ['lab-node1', 'lab-node2']), {
      state: lab.lab,
      what: 'spoofed frames arriving',
    });

    unwrap(
      await lab.engine['protection.set']({
        guestId: g3.id,
        mac: mac3,
        presetId: 'clean-traffic',
        parameters: [],
      }),
    );
    const port = (await lab.guest('lab-node3')).interfaces[0]?.portdev as string;
    const protectedXml = (await bindingXmls()).get(port);
    // Protection goes through our port filter, which wraps clean-traffic with the IP pinned.
    const wrapper = /<filterref filter='(kvm-chaos-port-lab-node3-[0-9a-f]{10})'/.exec(
      protectedXml ?? '',
    )?.[1];
    expect(wrapper).toBeDefined();
    const wrapperXml = (await virsh(['nwfilter-dumpxml', wrapper as string])).stdout;
    expect(wrapperXml).toContain("<filterref filter='clean-traffic'>");
    expect(wrapperXml).toContain("<parameter name='IP' value='192.168.77.13'/>");
    expect((await lab.guest('lab-node3')).interfaces[0]?.protection).toMatchObject({
      kind: 'preset',
      presetId: 'clean-traffic',
    });
    await waitForMatrix(
      (m) =>
        spoofFlows(m, false, ['lab-node1', 'lab-node2']) && holds(m, exactlyCut(lab.lab, P, [])),
      { state: lab.lab, what: 'spoofing from node3 blocked, all else flowing' },
    );

    const g1 = await lab.guest('lab-node1');
    unwrap(await lab.engine['chaos.apply']({ cuts: [cutBetween(g3, g1)] }));
    await expectFlows(dropped('lab-node3', 'lab-node1', 'both'), 'node3 <-> node1 cut');
    await waitForMatrix((m) => spoofFlows(m, false, ['lab-node2']), {
      state: lab.lab,
      what: 'spoofing still blocked during the cut',
    });

    unwrap(await lab.engine['chaos.heal']({ all: true }));
    await waitForMatrix(
      (m) =>
        holds(m, exactlyCut(lab.lab, P, [])) && spoofFlows(m, false, ['lab-node1', 'lab-node2']),
      { state: lab.lab, what: 'healed, spoofing still blocked' },
    );
    expect((await bindingXmls()).get(port)).toBe(protectedXml);
    expect((await virsh(['nwfilter-dumpxml', wrapper as string])).stdout).toBe(wrapperXml);
    expect(await ourFilters()).toEqual([wrapper]);

    unwrap(await lab.engine['protection.clear']({ guestId: g3.id, mac: mac3 }));
    await waitForMatrix((m) => spoofFlows(m, true, ['lab-node1', 'lab-node2']), {
      state: lab.lab,
      what: 'unprotected again',
    });
    expect(await bindingXmls()).toEqual(original);
  });

  /**
   * Races another client against the engine's own create-binding: `intrude` runs when the change
   * has defined its composite, just before it binds. Which request libvirtd serves first is not
   * ours to decide, so a round the engine wins is healed and tried again (at most 6 rounds).
   */
  async function raceUntilIntruderFirst<T>(
    intrude: (intruder: Awaited<ReturnType<typeof connect>>) => Promise<unknown>,
    change: () => Promise<T>,
    judge: (result: T) => Promise<void>,
    cleanUp: (intruder: Awaited<ReturnType<typeof connect>>) => Promise<void>,
  ): Promise<number> {
    for (let round = 1; round <= 6; round++) {
      const intruder = await connect('qemu:///system');
      // Settled into a boolean at once: when the engine wins, the intruder's refusal is the
      // expected outcome, not an unhandled rejection (even if the change itself then throws).
      let raced: Promise<boolean> | null = null;
      const off = lab.engine.subscribe((e) => {
        if (
          e.type === 'apply.progress' &&
          e.kind === 'define-filter' &&
          e.description.includes('kvm-chaos-cut-lab-node2') &&
          e.status === 'done'
        )
          raced ??= intrude(intruder).then(
            () => true,
            () => false,
          );
      });
      try {
        const result = await change();
        off();
        const intruderFirst = await (raced ?? Promise.resolve(false));
        if (intruderFirst) {
          await judge(result);
          return round;
        }
        unwrap(await lab.engine['chaos.heal']({ all: true }));
      } finally {
        off();
        await cleanUp(intruder);
        await intruder.close();
      }
    }
    throw new Error('the intruder never reached libvirtd before the engine in 6 rounds');
  }

  it('goes on around another writer: a binding made meanwhile on a port it meant to use', async () => {
    // Another client binds node2's port while our isolate of node2 is under way, so libvirt
    // refuses our binding there (one binding per port). The change re-reads and re-plans: the
    // port now has someone else's binding, so the cut is enforced on the other ends instead.
    const g2 = await lab.guest('lab-node2');
    const port = g2.interfaces[0]?.portdev as string;
    const foreign = `<filterbinding><owner><name>${g2.name}</name><uuid>${g2.uuid}</uuid></owner><portdev name='${port}'/><mac address='${g2.interfaces[0]?.mac}'/><filterref filter='no-mac-spoofing'/></filterbinding>`;
    const rounds = await raceUntilIntruderFirst(
      (intruder) => intruder.nwfilterBindingCreateXml({ xml: foreign, flags: 0 }),
      async () =>
        unwrap(
          await lab.engine['chaos.apply']({
            partition: { topology: 'isolate', guestIds: [g2.id] },
          }),
        ),
      async (r) => {
        expect(r.replans).toBeGreaterThanOrEqual(1);
        expect((await bindingXmls()).get(port)).toContain("filter='no-mac-spoofing'");
        const cuts = (await lab.inventory()).cuts;
        expect(cuts.map((c) => c.state)).toEqual(['applied', 'applied']);
        expect(cuts.flatMap((c) => c.enforcedOn)).not.toContain(port);
        await expectFlows(
          [
            ...dropped('lab-node2', 'lab-node1', 'both'),
            ...dropped('lab-node2', 'lab-node3', 'both'),
          ],
          'node2 isolated from the other ends',
        );
        unwrap(await lab.engine['chaos.heal']({ all: true }));
      },
      async (intruder) => {
        // When the engine won the round and healed, the port has no binding left to delete.
        await intruder
          .nwfilterBindingLookupByPortDev(port)
          .then((b) => intruder.nwfilterBindingDelete(b))
          .catch(() => {});
      },
    );
    console.log(`re-plan around another writer: the intruder was first in round ${rounds}`);
    await expectHealedExactly();
  });

  it('rolls back exactly what a change did when it fails after any of its writes', async () => {
    // A failure after write k (injected: libvirt has no deterministic refusal to provoke here,
    // it validates filters when they are defined) must leave nothing of the change behind.
    const g3 = await lab.guest('lab-node3');
    const request = { partition: { topology: 'isolate' as const, guestIds: [g3.id] } };
    const writes = unwrap(await lab.engine['chaos.apply']({ ...request, dryRun: true })).plan
      .operations.length;
    expect(writes).toBeGreaterThan(2);
    try {
      for (let k = 1; k < writes; k++) {
        process.env.KVM_CHAOS_FAIL_AFTER_WRITE = String(k);
        const r = await lab.engine['chaos.apply'](request);
        expect(r.ok, `failure after write ${k}`).toBe(false);
        if (r.ok) return;
        expect(r.error.code).toBe('apply-failed');
        expect(r.error.message).toContain(`injected failure after write ${k}`);
        const last = unwrap(await lab.engine['activity.list']({ limit: 1 }))[0];
        expect(last?.outcome).toBe('rolled-back');
        expect(await ourFilters(), `after write ${k}`).toEqual([]);
        expect(await bindingXmls(), `after write ${k}`).toEqual(original);
        expect((await lab.inventory()).cuts, `after write ${k}`).toEqual([]);
      }
    } finally {
      delete process.env.KVM_CHAOS_FAIL_AFTER_WRITE;
    }
    await waitForMatrix((m) => holds(m, exactlyCut(lab.lab, P, [])), {
      state: lab.lab,
      what: 'nothing cut',
    });
  });

  it('re-applies a cut when its guest is destroyed and started again', async () => {
    const [a, b] = [await lab.guest('lab-node1'), await lab.guest('lab-node2')];
    unwrap(await lab.engine['chaos.apply']({ cuts: [cutBetween(a, b)] }));
    await expectFlows(dropped('lab-node1', 'lab-node2', 'both'), 'node1 <-> node2');
    const port = (await lab.inventory()).cuts[0]?.enforcedOn[0];
    const victim = (await lab.inventory()).guests.find((g) =>
      g.interfaces.some((i) => i.portdev === port),
    );
    expect(victim).toBeDefined();
    await virsh(['destroy', victim?.name as string]);
    await virsh(['start', victim?.name as string]);
    // The guest boots (TCG: ~15 s); the engine must have put the cut back: its intent is on the
    // host, and this engine keeps promises.
    await expectFlows(
      dropped('lab-node1', 'lab-node2', 'both'),
      'the cut back after the restart',
      90_000,
    );
    unwrap(await lab.engine['chaos.heal']({ all: true }));
    await expectHealedExactly();
  });
});
