import { describe, expect, it, vi } from 'vitest';
import { type ApplyResult, fail, ok } from '../../../shared/api';
import {
  type EngineAnswers,
  type EngineTestDouble,
  engineTestDouble,
  LAB_HOST,
  LAB_SEGMENT,
  labBinding,
  labCut,
  labGuest,
  labHost,
  labInventory,
  labMac,
} from '../../../shared/api/fixtures';
import { linkId } from '../graph/model';
import {
  selectGraphModel,
  selectPendingLinkIds,
  selectPortProblem,
  selectTimedCuts,
} from './selectors';
import { createChaosStore, type KeyValueStorage } from './store';

const applied: ApplyResult = {
  applyId: 'apply-7' as never,
  dryRun: false,
  plan: { operations: [], cuts: [], portsTouched: ['vnet0'], unfilteredWindows: [] },
  cutIds: [],
};

function memoryStorage(): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

function labEngine(extra: EngineAnswers = {}) {
  return engineTestDouble({
    'hosts.list': () => ok([labHost]),
    'presets.list': () => ok([]),
    'activity.list': () => ok([]),
    'inventory.get': () => ok(labInventory(3)),
    'chaos.apply': () => ok(applied),
    'chaos.heal': () => ok({ ...applied, cutIds: ['c'] }),
    ...extra,
  });
}

async function started(engine: EngineTestDouble, storage?: KeyValueStorage) {
  const store = createChaosStore(engine.api, { storage });
  store.getState().start();
  await flush();
  await flush();
  return store;
}

describe('store', () => {
  it('loads hosts, presets, activity and the inventory of each connected host', async () => {
    const engine = labEngine();
    const store = await started(engine);
    expect(engine.calls.map((c) => c.name).sort()).toEqual(
      [
        'activity.list',
        'hosts.list',
        'inventory.get',
        'presets.list',
        'scenario.runs',
        'segments.list',
      ].sort(),
    );
    expect(store.getState().loaded).toBe(true);
    expect(selectGraphModel(store.getState()).links).toHaveLength(3);
  });

  it('a knife stroke becomes one chaos.apply with the scope and duration, links pending until it returns', async () => {
    const engine = labEngine();
    const store = await started(engine);
    store.getState().setScopeKind('udp');
    store.getState().typePort('53');
    store.getState().typeDuration('30');
    engine.hold('chaos.apply');
    const l12 = linkId(LAB_SEGMENT, labGuest(1).id, labGuest(2).id);
    const done = store.getState().cutMarked([{ id: l12, direction: 'forward' }], false);
    await flush();
    expect(selectPendingLinkIds(store.getState()).has(l12)).toBe(true);
    engine.release('chaos.apply');
    await done;
    expect(selectPendingLinkIds(store.getState()).size).toBe(0);
    const call = engine.calls.find((c) => c.name === 'chaos.apply');
    expect(call?.params).toEqual({
      cuts: [
        {
          from: { guestId: labGuest(1).id, mac: labMac(1) },
          to: { guestId: labGuest(2).id, mac: labMac(2) },
          direction: 'both',
          scope: { kind: 'udp', port: 53 },
        },
      ],
      durationSeconds: 30,
    });
    expect(store.getState().notices.at(-1)?.message).toBe(
      'Cut lab-node1 from lab-node2 (UDP to port 53 only): 0 libvirt operations on 1 port; heals itself in 30 s.',
    );
  });

  it('shows the engine’s error and what to do, and clears the pending link', async () => {
    const engine = labEngine({
      'chaos.apply': () =>
        fail('apply-failed', "binding 'vnet0' already exists", 'Heal all, then retry.'),
    });
    const store = await started(engine);
    const l12 = linkId(LAB_SEGMENT, labGuest(1).id, labGuest(2).id);
    await store.getState().cutMarked([{ id: l12, direction: 'forward' }], false);
    expect(store.getState().notices.at(-1)).toMatchObject({
      tone: 'error',
      message: "binding 'vnet0' already exists",
      hint: 'Heal all, then retry.',
    });
    expect(store.getState().pending).toEqual([]);
  });

  it('heals a severed link by the ids of its cuts, and everything with heal all', async () => {
    const cut = labCut(2, 1);
    const engine = labEngine({ 'inventory.get': () => ok(labInventory(3, { cuts: [cut] })) });
    const store = await started(engine);
    await store.getState().healLink(linkId(LAB_SEGMENT, labGuest(1).id, labGuest(2).id));
    await store.getState().healAll();
    const heals = engine.calls.filter((c) => c.name === 'chaos.heal').map((c) => c.params);
    expect(heals).toEqual([{ cutIds: [cut.id] }, { all: true }]);
  });

  it('follows engine events: a cut appears on its link without another read', async () => {
    const engine = labEngine();
    const store = await started(engine);
    engine.emit({
      type: 'inventory.changed',
      hostId: LAB_HOST,
      change: {
        kind: 'patch',
        baseRevision: 1,
        revision: 2,
        patch: { cuts: { upsert: [labCut(1, 3)], remove: [] } },
      },
    });
    const link = selectGraphModel(store.getState()).links.find(
      (l) => l.id === linkId(LAB_SEGMENT, labGuest(1).id, labGuest(3).id),
    );
    expect(link?.status).toBe('severed');
    expect(engine.calls.filter((c) => c.name === 'inventory.get')).toHaveLength(1);
  });

  it('keeps dragged positions per host across reloads, and forgets them on reset', async () => {
    const storage = memoryStorage();
    const first = await started(labEngine(), storage);
    first.getState().dragNode(LAB_HOST, labGuest(1).id, { x: 5, y: 6 });
    const second = await started(labEngine(), storage);
    expect(second.getState().dragged.lab).toEqual({ [labGuest(1).id]: { x: 5, y: 6 } });
    second.getState().resetLayout(LAB_HOST);
    expect(storage.data.size).toBe(0);
  });

  it('selecting a vnet in the inspector selects its guest on the graph', async () => {
    const store = await started(labEngine());
    store.getState().selectPort({ hostId: LAB_HOST, portdev: 'vnet1' });
    expect(store.getState().selectedGuestIds).toEqual([labGuest(2).id]);
    store.getState().selectGuests([labGuest(3).id], 'toggle');
    expect(store.getState().selectedGuestIds).toEqual([labGuest(2).id, labGuest(3).id]);
    expect(store.getState().selectedPort).toBeNull();
  });

  it('forgets a removed host (the call answers null) and says when there is nothing to undo', async () => {
    const engine = labEngine({ 'chaos.undo': () => ok(null) });
    const store = await started(engine);
    await store.getState().undo();
    expect(store.getState().notices.at(-1)?.message).toBe(
      'Nothing to undo: no apply of this session holds a cut.',
    );
    await store.getState().removeHost(LAB_HOST);
    expect(store.getState().hosts).toEqual([]);
    expect(store.getState().inventories).toEqual({});
  });

  it('partitions the selection, and says why when it cannot', async () => {
    const engine = labEngine();
    const store = await started(engine);
    await store.getState().partition('halves');
    expect(store.getState().notices.at(-1)?.message).toBe('Select one or more guests first.');
    store.getState().selectGuests([labGuest(1).id]);
    await store.getState().partition('halves');
    expect(engine.calls.find((c) => c.name === 'chaos.apply')?.params).toEqual({
      partition: { topology: 'halves', guestIds: [1, 2, 3].map((n) => labGuest(n).id) },
    });
  });

  it('previews a topology: each guest coloured by its side, nothing sent until apply', async () => {
    const engine = labEngine();
    const store = await started(engine);
    const [g1, g2, g3] = [1, 2, 3].map((n) => labGuest(n).id);
    store.getState().selectGuests([g1 as never]);
    store.getState().previewPartition('halves');
    expect(engine.calls.some((c) => c.name === 'chaos.apply')).toBe(false);
    expect(Object.fromEntries(store.getState().previewSides)).toEqual({
      [g1 as string]: 0,
      [g2 as string]: 1,
      [g3 as string]: 1,
    });
    store.getState().cancelPreview();
    expect(store.getState().previewSides.size).toBe(0);
    expect(store.getState().partitionPreview).toBeNull();

    store.getState().previewPartition('bridge');
    expect(new Set(store.getState().previewSides.values()).size).toBe(3);
    // Another selection drops the preview: it showed the sides of the one before.
    store.getState().selectGuests([g2 as never]);
    expect(store.getState().partitionPreview).toBeNull();

    store.getState().previewPartition('majority-minority');
    await store.getState().applyPreview();
    expect(engine.calls.filter((c) => c.name === 'chaos.apply').map((c) => c.params)).toEqual([
      { partition: { topology: 'majority-minority', guestIds: [g1, g2, g3] } },
    ]);
    expect(store.getState().previewSides.size).toBe(0);

    // A request made elsewhere (a host preset's groups) previews and applies the same way.
    const groups = { topology: 'groups' as const, groups: [[g3], [g1, g2]] as never };
    store.getState().previewRequest('Split by host', groups);
    expect(Object.fromEntries(store.getState().previewSides)).toEqual({
      [g3 as string]: 0,
      [g1 as string]: 1,
      [g2 as string]: 1,
    });
    await store.getState().applyPreview();
    expect(engine.calls.filter((c) => c.name === 'chaos.apply').at(-1)?.params).toEqual({
      partition: groups,
    });
  });

  it('remembers projector mode across reloads', async () => {
    const storage = memoryStorage();
    const store = await started(labEngine(), storage);
    expect(store.getState().projector).toBe(false);
    store.getState().setProjector(true);
    expect((await started(labEngine(), storage)).getState().projector).toBe(true);
    store.getState().setProjector(false);
    expect((await started(labEngine(), storage)).getState().projector).toBe(false);
  });

  it('a success notice goes by itself on the store clock; an error stays', () => {
    vi.useFakeTimers();
    try {
      let clock = 1_000;
      const store = createChaosStore(labEngine().api, { now: () => clock });
      store.getState().notify('success', 'done');
      store.getState().notify('error', 'broken');
      store.getState().notify('error', 'broken');
      expect(store.getState().notices.map((n) => [n.message, n.count])).toEqual([
        ['done', 1],
        ['broken', 2],
      ]);
      clock += 3_000;
      vi.advanceTimersByTime(3_000);
      expect(store.getState().notices).toHaveLength(2);
      clock += 60_000;
      vi.advanceTimersByTime(60_000);
      expect(store.getState().notices.map((n) => n.message)).toEqual(['broken']);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never reads a wrong duration as "no limit": the stroke and the partition are refused and logged', async () => {
    const engine = labEngine();
    const store = await started(engine);
    store.getState().typeDuration('-5');
    const problem =
      "'-5' is not a duration: a duration is whole seconds from 1 to 604800 (a week); leave it empty for no limit";
    expect(store.getState().duration).toEqual({ text: '-5', ok: false, problem });
    const l12 = linkId(LAB_SEGMENT, labGuest(1).id, labGuest(2).id);
    await store.getState().cutMarked([{ id: l12, direction: 'forward' }], false);
    store.getState().selectGuests([labGuest(1).id]);
    await store.getState().partition('isolate');
    expect(engine.calls.filter((c) => c.name === 'chaos.apply')).toEqual([]);
    expect(store.getState().activity.map((a) => [a.kind, a.outcome, a.summary, a.error])).toEqual([
      [
        'apply',
        'refused',
        'Partition (isolate): refused by the UI, nothing sent',
        { code: 'invalid-request', message: problem },
      ],
      [
        'apply',
        'refused',
        'Cut lab-node1 from lab-node2: refused by the UI, nothing sent',
        { code: 'invalid-request', message: problem },
      ],
    ]);
    expect(store.getState().notices.at(-1)).toMatchObject({
      tone: 'error',
      message: `Partition (isolate) refused: ${problem}`,
    });
    // Emptied, the field means no limit again, and the same stroke goes out without a duration.
    store.getState().typeDuration('');
    await store.getState().cutMarked([{ id: l12, direction: 'forward' }], false);
    const sent = engine.calls.filter((c) => c.name === 'chaos.apply');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.params).not.toHaveProperty('durationSeconds');
  });

  it('never reads a wrong port as "every port"; a scope without ports does not read the field', async () => {
    const engine = labEngine();
    const store = await started(engine);
    store.getState().setScopeKind('udp');
    store.getState().typePort('abc');
    const l12 = linkId(LAB_SEGMENT, labGuest(1).id, labGuest(2).id);
    await store.getState().cutMarked([{ id: l12, direction: 'forward' }], true);
    expect(engine.calls.filter((c) => c.name === 'chaos.apply')).toEqual([]);
    expect(store.getState().activity[0]?.error?.message).toBe(
      "'abc' is not a port: a port is a whole number from 1 to 65535; leave it empty for every port",
    );
    expect(selectPortProblem(store.getState())).not.toBeNull();
    store.getState().setScopeKind('icmp');
    expect(selectPortProblem(store.getState())).toBeNull();
    await store.getState().cutMarked([{ id: l12, direction: 'forward' }], true);
    const sent = engine.calls.find((c) => c.name === 'chaos.apply')?.params as {
      cuts: { scope: unknown }[];
    };
    expect(sent.cuts[0]?.scope).toEqual({ kind: 'icmp' });
    // Back on UDP the typed text is still there, and still wrong.
    store.getState().setScopeKind('udp');
    expect(selectPortProblem(store.getState())).toMatch(/^'abc' is not a port/);
  });

  it('refuses a host address that is not one, or a host already added, without calling the engine', async () => {
    const engine = labEngine({ 'hosts.add': () => ok(labHost) });
    const store = await started(engine);
    for (const uri of [
      '!!! not a host ###',
      'ssh://root@127.0.0.1:abc',
      'qemu+ssh://root@127.0.0.1:2222/system',
    ])
      expect(await store.getState().addHost(uri, { method: 'agent' })).toBe(false);
    expect(engine.calls.filter((c) => c.name === 'hosts.add')).toEqual([]);
    expect(store.getState().activity.map((a) => [a.kind, a.outcome, a.error?.message])).toEqual([
      [
        'add-host',
        'refused',
        'qemu+ssh://root@127.0.0.1:2222/system is already added as lab: its guests would show twice',
      ],
      [
        'add-host',
        'refused',
        "'abc' is not a port in ssh://root@127.0.0.1:abc: a port is a whole number from 1 to 65535",
      ],
      [
        'add-host',
        'refused',
        "'!!! not a host ###' is not a host: give the host as ssh://user@host[:port], qemu+ssh://user@host/system or an ~/.ssh/config alias",
      ],
    ]);
    expect(await store.getState().addHost('ssh://root@kvm2', { method: 'agent' })).toBe(true);
    expect(engine.calls.filter((c) => c.name === 'hosts.add')).toHaveLength(1);
  });

  describe('an unfiltered window is asked for, never assumed', () => {
    const windowRefusal = () =>
      fail(
        'unfiltered-window',
        'vnet1 would have no rules for about a second: its binding (clean-traffic, not ours) must be replaced',
        'Say yes to do it anyway, or remove that protection first.',
      );
    /** Refuses until the call says allowUnfilteredWindow, as the engine does. */
    const askingFor = (value: unknown) => (params: unknown) =>
      (params as { allowUnfilteredWindow?: boolean }).allowUnfilteredWindow
        ? ok(value)
        : windowRefusal();

    it('a refused cut asks, naming the port; yes sends the same request again with consent', async () => {
      const engine = labEngine({
        'inventory.get': () => ok(labInventory(3, { bindings: [labBinding(2)] })),
        'chaos.apply': askingFor(applied),
      });
      const store = await started(engine);
      store.getState().typeDuration('60');
      const l12 = linkId(LAB_SEGMENT, labGuest(1).id, labGuest(2).id);
      const done = store.getState().cutMarked([{ id: l12, direction: 'forward' }], false);
      await flush();
      const prompt = store.getState().consentPrompts[0];
      expect(prompt).toMatchObject({
        label: 'Cut lab-node1 from lab-node2',
        kind: 'apply',
        ports: ['vnet1'],
      });
      expect(prompt?.message).toMatch(/^vnet1 would have no rules/);
      // While the user decides, the link stays in progress and nothing else is sent.
      expect(selectPendingLinkIds(store.getState()).has(l12)).toBe(true);
      expect(engine.calls.filter((c) => c.name === 'chaos.apply')).toHaveLength(1);
      store.getState().answerConsent(prompt?.id ?? 0, true);
      await done;
      const [first, second] = engine.calls.filter((c) => c.name === 'chaos.apply');
      expect(first?.params).not.toHaveProperty('allowUnfilteredWindow');
      expect(second?.params).toEqual({ ...(first?.params as object), allowUnfilteredWindow: true });
      expect(second?.params).toMatchObject({ durationSeconds: 60 });
      expect(store.getState().consentPrompts).toEqual([]);
      expect(selectPendingLinkIds(store.getState()).size).toBe(0);
      expect(store.getState().notices.at(-1)?.message).toBe(
        'Cut lab-node1 from lab-node2: 0 libvirt operations on 1 port; heals itself in 60 s.',
      );
    });

    it('no sends nothing more and logs the declined attempt with the engine’s words', async () => {
      const engine = labEngine({ 'chaos.heal': askingFor({ ...applied, cutIds: ['c'] }) });
      const store = await started(engine);
      const done = store.getState().healAll();
      await flush();
      const prompt = store.getState().consentPrompts[0];
      expect(prompt).toMatchObject({ label: 'Heal all', kind: 'heal' });
      store.getState().answerConsent(prompt?.id ?? 0, false);
      await done;
      expect(engine.calls.filter((c) => c.name === 'chaos.heal').map((c) => c.params)).toEqual([
        { all: true },
      ]);
      expect(
        store.getState().activity.map((a) => [a.kind, a.outcome, a.summary, a.error?.code]),
      ).toEqual([
        [
          'heal',
          'refused',
          'Heal all: not done, the unfiltered window was declined',
          'unfiltered-window',
        ],
      ]);
      expect(store.getState().notices.at(-1)).toMatchObject({
        tone: 'info',
        message: 'Heal all: not done, nothing changed.',
      });
    });

    it('protection and repair ask the same way; other errors are reported, never asked', async () => {
      const engine = labEngine({
        'protection.set': askingFor(applied),
        'chaos.repair': askingFor(applied),
        'protection.clear': () => fail('libvirt', 'Requested operation is not valid'),
      });
      const store = await started(engine);
      const guest = labGuest(2).id;
      const protecting = store.getState().setProtection(guest, labMac(2), 'clean-traffic', []);
      await flush();
      store.getState().answerConsent(store.getState().consentPrompts[0]?.id ?? 0, true);
      expect(await protecting).toBe(true);
      const repairing = store.getState().repair(LAB_HOST);
      await flush();
      expect(store.getState().consentPrompts[0]).toMatchObject({
        label: 'Repair lab',
        kind: 'repair',
      });
      store.getState().answerConsent(store.getState().consentPrompts[0]?.id ?? 0, true);
      await repairing;
      expect(await store.getState().clearProtection(guest, labMac(2))).toBe(false);
      expect(store.getState().consentPrompts).toEqual([]);
      const sent = engine.calls
        .filter((c) => ['protection.set', 'chaos.repair', 'protection.clear'].includes(c.name))
        .map((c) => [
          c.name,
          (c.params as { allowUnfilteredWindow?: boolean }).allowUnfilteredWindow,
        ]);
      expect(sent).toEqual([
        ['protection.set', undefined],
        ['protection.set', true],
        ['chaos.repair', undefined],
        ['chaos.repair', true],
        ['protection.clear', undefined],
      ]);
      expect(engine.calls.find((c) => c.name === 'chaos.repair')?.params).toEqual({
        hostId: LAB_HOST,
      });
      expect(store.getState().notices.at(-1)).toMatchObject({
        tone: 'error',
        message: 'Requested operation is not valid',
      });
    });

    it('two refusals at once are asked one after the other, each answered on its own', async () => {
      const engine = labEngine({ 'chaos.heal': askingFor({ ...applied, cutIds: ['c'] }) });
      const store = await started(engine);
      const one = store.getState().healGuest(labGuest(1).id);
      const two = store.getState().healGuest(labGuest(2).id);
      await flush();
      const [p1, p2] = store.getState().consentPrompts;
      store.getState().answerConsent(p2?.id ?? 0, true);
      await two;
      expect(store.getState().consentPrompts).toEqual([p1]);
      store.getState().answerConsent(p1?.id ?? 0, false);
      await one;
      expect(engine.calls.filter((c) => c.name === 'chaos.heal').map((c) => c.params)).toEqual([
        { guestId: labGuest(1).id },
        { guestId: labGuest(2).id },
        { guestId: labGuest(2).id, allowUnfilteredWindow: true },
      ]);
    });
  });

  it('heals one cut by its id, with its link shown in progress', async () => {
    const cut = labCut(2, 1);
    const engine = labEngine({ 'inventory.get': () => ok(labInventory(3, { cuts: [cut] })) });
    const store = await started(engine);
    engine.hold('chaos.heal');
    const done = store.getState().healCut(cut.id);
    await flush();
    expect([...selectPendingLinkIds(store.getState())]).toEqual([
      linkId(LAB_SEGMENT, labGuest(1).id, labGuest(2).id),
    ]);
    engine.release('chaos.heal');
    await done;
    expect(engine.calls.find((c) => c.name === 'chaos.heal')?.params).toEqual({ cutIds: [cut.id] });
  });

  it('counts down only the cuts whose expiry is ahead: an expired one waits for its heal', async () => {
    const cuts = [
      labCut(1, 2, { expiresAt: 9_000 }),
      labCut(1, 3, { id: 'cut:e' as never, expiresAt: 1_000, state: 'expired' }),
      labCut(2, 3, { id: 'cut:n' as never }),
    ];
    const engine = labEngine({ 'inventory.get': () => ok(labInventory(3, { cuts })) });
    const store = await started(engine);
    expect(selectTimedCuts(store.getState()).map((c) => c.expiresAt)).toEqual([9_000]);
  });
});
