import { describe, expect, it } from 'vitest';
import { type ActivityEntry, ApplyId, type ChaosEvent, PromptId } from '../../../shared/api';
import { LAB_HOST, labCut, labGuest, labHost, labInventory } from '../../../shared/api/fixtures';
import { ACTIVITY_LIMIT, type ChaosState, initialState } from './initial-state';
import { reduceEvent } from './reducers';

const withLab = (overrides: Partial<ChaosState> = {}): ChaosState => ({
  ...initialState,
  hosts: [labHost],
  inventories: { lab: labInventory(3, { revision: 4 }) },
  ...overrides,
});

const reduce = (state: ChaosState, event: ChaosEvent) => {
  const { patch, refetch } = reduceEvent(state, event);
  return { state: { ...state, ...patch }, refetch };
};

describe('inventory events', () => {
  it('a full inventory replaces the host’s one', () => {
    const inventory = labInventory(2, { revision: 9 });
    const { state } = reduce(withLab(), {
      type: 'inventory.changed',
      hostId: LAB_HOST,
      change: { kind: 'full', inventory },
    });
    expect(state.inventories.lab).toBe(inventory);
  });

  it('applies a patch made against our revision: upserts by key, removes, keeps the rest', () => {
    const before = withLab({
      inventories: { lab: labInventory(3, { revision: 4, cuts: [labCut(1, 2)] }) },
    });
    const renamed = labGuest(2, { name: 'renamed' });
    const { state, refetch } = reduce(before, {
      type: 'inventory.changed',
      hostId: LAB_HOST,
      change: {
        kind: 'patch',
        baseRevision: 4,
        revision: 5,
        patch: {
          guests: { upsert: [renamed, labGuest(4)], remove: [labGuest(3).id] },
          cuts: { upsert: [], remove: [labCut(1, 2).id] },
        },
      },
    });
    expect(refetch).toEqual([]);
    const after = state.inventories.lab;
    expect(after?.revision).toBe(5);
    expect(after?.guests.map((g) => g.name)).toEqual(['lab-node1', 'renamed', 'lab-node4']);
    expect(after?.cuts).toEqual([]);
    expect(after?.segments).toBe(before.inventories.lab?.segments);
  });

  it('asks for a fresh read when a patch was made against another revision', () => {
    const before = withLab();
    const { state, refetch } = reduce(before, {
      type: 'inventory.changed',
      hostId: LAB_HOST,
      change: { kind: 'patch', baseRevision: 2, revision: 3, patch: {} },
    });
    expect(refetch).toEqual([LAB_HOST]);
    expect(state.inventories).toBe(before.inventories);
  });
});

describe('host events', () => {
  it('updates a host’s state, and reads its inventory when it has just connected', () => {
    const lost = { ...labHost, status: { hostId: LAB_HOST, state: 'lost' as const, since: 1 } };
    const { state, refetch } = reduce(withLab({ hosts: [lost] }), {
      type: 'host.state',
      status: { hostId: LAB_HOST, state: 'connected', since: 2 },
    });
    expect(state.hosts[0]?.status.state).toBe('connected');
    expect(refetch).toEqual([LAB_HOST]);
    const again = reduce(state, {
      type: 'host.state',
      status: { hostId: LAB_HOST, state: 'connected', since: 3 },
    });
    expect(again.refetch).toEqual([]);
  });

  it('drops the inventory of a removed host', () => {
    const { state } = reduce(withLab(), { type: 'hosts.changed', hosts: [] });
    expect(state.hosts).toEqual([]);
    expect(state.inventories).toEqual({});
  });
});

describe('apply progress', () => {
  const progress = (
    index: number,
    status: 'running' | 'done' | 'failed' | 'rolled-back',
  ): ChaosEvent => ({
    type: 'apply.progress',
    applyId: ApplyId.parse('a1'),
    hostId: LAB_HOST,
    index,
    total: 3,
    kind: 'create-binding',
    description: `step ${index}`,
    xml: '<filterbinding/>',
    status,
    ...(status === 'failed'
      ? { error: { code: 'libvirt' as const, message: "binding 'vnet0' already exists" } }
      : {}),
  });

  it('counts finished operations and ends done', () => {
    let state = withLab();
    for (const [i, status] of [
      [0, 'running'],
      [0, 'done'],
      [1, 'running'],
      [1, 'done'],
      [2, 'done'],
    ] as const) {
      state = reduce(state, progress(i, status)).state;
    }
    expect(state.applies.a1).toMatchObject({ done: 3, total: 3, status: 'done' });
    expect(state.latestApplyId).toBe('a1');
  });

  it('keeps the failure and libvirt’s message visible while the rollback runs', () => {
    let state = reduce(withLab(), progress(1, 'failed')).state;
    state = reduce(state, progress(0, 'running')).state;
    expect(state.applies.a1?.status).toBe('failed');
    expect(state.applies.a1?.error?.message).toContain('already exists');
    state = reduce(state, progress(0, 'rolled-back')).state;
    expect(state.applies.a1?.status).toBe('rolled-back');
  });
});

describe('activity and prompts', () => {
  const entry = (id: string): ActivityEntry => ({
    id,
    at: 1,
    hostId: LAB_HOST,
    applyId: null,
    kind: 'apply',
    summary: id,
    outcome: 'ok',
    operations: [],
  });

  it('puts new entries first, once each, and keeps a bounded number', () => {
    let state = withLab({
      activity: Array.from({ length: ACTIVITY_LIMIT }, (_, i) => entry(`old${i}`)),
    });
    state = reduce(state, { type: 'activity.appended', entry: entry('new') }).state;
    state = reduce(state, { type: 'activity.appended', entry: entry('new') }).state;
    expect(state.activity[0]?.id).toBe('new');
    expect(state.activity).toHaveLength(ACTIVITY_LIMIT);
    expect(state.activity.filter((e) => e.id === 'new')).toHaveLength(1);
  });

  it('opens a host-key prompt and closes it when answered anywhere', () => {
    const prompt = {
      promptId: PromptId.parse('p1'),
      hostId: LAB_HOST,
      host: '127.0.0.1',
      port: 2222,
      keyType: 'ssh-ed25519',
      fingerprint: `SHA256:${'A'.repeat(43)}`,
      knownHostsPath: '/k',
    };
    let state = reduce(withLab(), { type: 'hostKey.prompt', prompt }).state;
    expect(state.hostKeyPrompts).toEqual([prompt]);
    state = reduce(state, {
      type: 'prompt.closed',
      promptId: prompt.promptId,
      reason: 'answered',
    }).state;
    expect(state.hostKeyPrompts).toEqual([]);
  });
});
