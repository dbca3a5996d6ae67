import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type ApplyResult, fail, ok, type Result } from '../../../shared/api';
import { engineTestDouble, labGuest, labHost, labInventory } from '../../../shared/api/fixtures';
import { Scenario } from '../../../shared/scenario/model';
import { createChaosStore } from './store';

// The store's side of the guest panel's cut from outside: what reaches chaos.apply, the notice,
// the engine's refusal handed back to the form in its own words, and the step a recording keeps.

const applied: ApplyResult = {
  applyId: 'apply-9' as never,
  dryRun: false,
  plan: { operations: [], cuts: [], portsTouched: ['vnet0'], unfilteredWindows: [] },
  cutIds: [],
};
const node1 = labGuest(1);
const cut = {
  from: { guestId: node1.id, mac: node1.interfaces[0]?.mac as string },
  to: { address: '192.168.77.1', name: 'gateway' },
  direction: 'both' as const,
  scope: { kind: 'all' as const },
};
const label = 'Cut lab-node1 from gateway (192.168.77.1)';
const flush = () => new Promise((r) => setTimeout(r, 0));

async function started(apply: () => Result<unknown>) {
  const engine = engineTestDouble({
    'hosts.list': () => ok([labHost]),
    'presets.list': () => ok([]),
    'activity.list': () => ok([]),
    'inventory.get': () => ok(labInventory(2)),
    'chaos.apply': apply,
  });
  const store = createChaosStore(engine.api);
  store.getState().start();
  await flush();
  await flush();
  return { engine, store };
}

describe('a cut from outside, from the store', () => {
  it("sends the one cut with the toolbar's duration and says it done in the standard notice", async () => {
    const { engine, store } = await started(() => ok(applied));
    store.getState().typeDuration('30');
    store.getState().startRecording();
    expect(await store.getState().cutOutside(label, cut)).toBeNull();
    expect(engine.calls.filter((c) => c.name === 'chaos.apply').map((c) => c.params)).toEqual([
      { cuts: [cut], durationSeconds: 30 },
    ]);
    expect(
      store
        .getState()
        .notices.map((n) => [n.tone, n.message])
        .slice(-1),
    ).toEqual([['success', `${label}: 0 libvirt operations on 1 port; heals itself in 30 s.`]]);
    // Recorded as the user named the outside, so a replay finds the guest's gateway anew.
    store.getState().stopRecording();
    expect(Scenario.parse(parse(store.getState().scenarioFile.text)).steps).toEqual([
      { cut: { from: 'lab-node1', to: { outside: 'gateway' } }, duration: '30s' },
    ]);
  });

  it('records one way from the outside with the outside first, and a bare address as typed', async () => {
    const { store } = await started(() => ok(applied));
    store.getState().startRecording();
    const inbound = {
      ...cut,
      from: { address: '10.0.0.0/8' },
      to: cut.from,
      direction: 'one-way' as const,
    };
    expect(await store.getState().cutOutside(label, inbound)).toBeNull();
    store.getState().stopRecording();
    expect(Scenario.parse(parse(store.getState().scenarioFile.text)).steps).toEqual([
      { cut: { from: { outside: '10.0.0.0/8' }, to: 'lab-node1', direction: 'one-way' } },
    ]);
  });

  it("hands the engine's words back to the form when it refuses", async () => {
    const words = 'cannot resolve db.invalid to an IPv4 address (ENOTFOUND)';
    const { store } = await started(() => fail('invalid-request', words));
    expect(await store.getState().cutOutside(label, cut)).toBe(words);
  });

  it('refuses before sending when the duration is wrong, with its words', async () => {
    const { engine, store } = await started(() => ok(applied));
    store.getState().typeDuration('-5');
    expect(await store.getState().cutOutside(label, cut)).toMatch(/is not a duration/);
    expect(engine.calls.some((c) => c.name === 'chaos.apply')).toBe(false);
  });
});
