import { describe, expect, it, vi } from 'vitest';
import {
  type ApplyResult,
  type ChaosEvent,
  callNames,
  createRemoteApi,
  fail,
  ipcChannel,
  ok,
  type Result,
} from '../../shared/api';
import { engineTestDouble, LAB_HOST, labGuest, labMac } from '../../shared/api/fixtures';
import { ApplyId, PromptId } from '../../shared/api/values';
import { createBridge } from '../preload/index';
import { appSender, EventRelay, registerCallHandlers } from './ipc';
import { APP_ORIGIN } from './security';

// The preload module exposes itself on import; here it only needs to be importable.
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: () => {} },
  ipcRenderer: {},
}));

type Handler = (event: unknown, params: unknown) => Promise<Result<unknown>>;

/** ipcMain's handle/removeHandler, and an invoke that plays the page's side. */
function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  return {
    handlers,
    handle: (channel: string, handler: Handler) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, handler);
    },
    removeHandler: (channel: string) => handlers.delete(channel),
    async invoke(channel: string, params: unknown, event: unknown = { trusted: true }) {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      return handler(event, params);
    },
  };
}

const trustedOnly = (event: unknown) => (event as { trusted?: boolean }).trusted === true;

const oneCut = {
  cuts: [
    {
      from: { guestId: labGuest(1).id, mac: labMac(1) },
      to: { guestId: labGuest(2).id, mac: labMac(2) },
      direction: 'both',
      scope: { kind: 'udp' },
    },
  ],
};

describe('IPC call handlers', () => {
  it('handle every call of the contract on its channel, and only those', () => {
    const ipc = fakeIpcMain();
    const unregister = registerCallHandlers(ipc as never, engineTestDouble().api, trustedOnly);
    expect([...ipc.handlers.keys()].sort()).toEqual(callNames.map(ipcChannel).sort());
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });

  it('reject invalid payloads as data, before the engine sees them', async () => {
    const ipc = fakeIpcMain();
    const { api, calls: received } = engineTestDouble();
    registerCallHandlers(ipc as never, api, trustedOnly);
    const invalid: Array<[string, unknown]> = [
      ['chaos.apply', { cuts: [{ from: 'lab-node1' }] }],
      ['chaos.apply', { cuts: [] }],
      ['chaos.apply', { ...oneCut, durationSeconds: -5 }],
      ['chaos.apply', { ...oneCut, rm: '-rf /' }],
      ['chaos.heal', { all: false }],
      ['hosts.add', { uri: '', auth: { method: 'agent' } }],
      ['hosts.add', { uri: 'ssh://root@kvm1', auth: { method: 'password', password: 'x' } }],
      ['hosts.remove', { hostId: 'has space' }],
      ['passphrase.answer', { promptId: 'p', passphrase: 'x'.repeat(2000) }],
      ['inventory.get', null],
      ['inventory.get', 'lab'],
      ['activity.list', { limit: 0 }],
      [
        'protection.set',
        { guestId: labGuest(1).id, mac: 'not-a-mac', presetId: 'x', parameters: [] },
      ],
    ];
    for (const [name, params] of invalid) {
      const answer = await ipc.invoke(`chaos:${name}`, params);
      expect(answer, `${name} ${JSON.stringify(params)}`).toMatchObject({
        ok: false,
        error: { code: 'invalid-request' },
      });
      if (!answer.ok) expect(answer.error.message.startsWith(`${name}:`)).toBe(true);
    }
    expect(received).toEqual([]);
  });

  it('pass valid payloads to the engine as parsed, and its answer back', async () => {
    const ipc = fakeIpcMain();
    const applied: ApplyResult = {
      applyId: ApplyId.parse('apply-7'),
      dryRun: true,
      plan: { operations: [], cuts: [], portsTouched: [], unfilteredWindows: [] },
      cutIds: [],
    };
    const { api, calls: received } = engineTestDouble({ 'chaos.apply': () => ok(applied) });
    registerCallHandlers(ipc as never, api, trustedOnly);
    const answer = await ipc.invoke('chaos:chaos.apply', { ...oneCut, dryRun: true });
    expect(received).toEqual([{ name: 'chaos.apply', params: { ...oneCut, dryRun: true } }]);
    expect(answer).toEqual(ok(applied));
    const missing = fail('not-found', 'lab is not configured');
    const { api: other } = engineTestDouble({ 'inventory.get': () => missing });
    const ipc2 = fakeIpcMain();
    registerCallHandlers(ipc2 as never, other, trustedOnly);
    await expect(ipc2.invoke('chaos:inventory.get', { hostId: LAB_HOST })).resolves.toEqual(
      missing,
    );
  });

  it('turn an engine that throws into an error as data', async () => {
    const ipc = fakeIpcMain();
    const { api } = engineTestDouble({
      'presets.list': () => {
        throw new Error('boom');
      },
    });
    registerCallHandlers(ipc as never, api, trustedOnly);
    await expect(ipc.invoke('chaos:presets.list', {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'internal', message: 'presets.list threw: boom' },
    });
  });

  it('refuse callers other than the app page', async () => {
    const ipc = fakeIpcMain();
    const { api, calls: received } = engineTestDouble({ 'hosts.list': () => ok([]) });
    registerCallHandlers(ipc as never, api, trustedOnly);
    const answer = await ipc.invoke('chaos:hosts.list', {}, { trusted: false });
    expect(answer).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(received).toEqual([]);
    await expect(ipc.invoke('chaos:hosts.list', {})).resolves.toEqual(ok([]));
  });

  it('carry a typed call from the preload to the engine and back', async () => {
    const ipc = fakeIpcMain();
    const { api: engine, calls: received } = engineTestDouble({ 'hosts.list': () => ok([]) });
    registerCallHandlers(ipc as never, engine, trustedOnly);
    const bridge = createBridge({
      invoke: (channel: string, params: unknown) => ipc.invoke(channel, params),
      on: () => {},
      removeListener: () => {},
      send: () => {},
    } as never);
    const page = createRemoteApi(bridge.invoke, bridge.onEvent);
    await expect(page['hosts.list']({})).resolves.toEqual(ok([]));
    const invalid = await page['hosts.connect']({ hostId: '' as never });
    expect(invalid.ok ? 'ok' : invalid.error.code).toBe('invalid-request');
    expect(received.map((r) => r.name)).toEqual(['hosts.list']);
  });
});

describe('the sender check', () => {
  const frame = (url: string, parent: unknown = null) => ({ url, parent });
  const check = appSender(() => 7, APP_ORIGIN);

  it('accepts the app page in the window’s top frame', () => {
    expect(
      check({ sender: { id: 7 }, senderFrame: frame(`${APP_ORIGIN}/index.html`) } as never),
    ).toBe(true);
  });

  it('refuses other contents, subframes, other origins and destroyed frames', () => {
    const cases = [
      { sender: { id: 8 }, senderFrame: frame(`${APP_ORIGIN}/index.html`) },
      { sender: { id: 7 }, senderFrame: frame(`${APP_ORIGIN}/x`, frame(`${APP_ORIGIN}/`)) },
      { sender: { id: 7 }, senderFrame: frame('https://evil.example/') },
      { sender: { id: 7 }, senderFrame: frame('file:///tmp/x.html') },
      { sender: { id: 7 }, senderFrame: null },
    ];
    for (const event of cases) expect(check(event as never), JSON.stringify(event)).toBe(false);
    const closed = appSender(() => null, APP_ORIGIN);
    expect(closed({ sender: { id: 7 }, senderFrame: frame(`${APP_ORIGIN}/`) } as never)).toBe(
      false,
    );
  });
});

describe('event relay', () => {
  const hostState = (since: number): ChaosEvent => ({
    type: 'host.state',
    status: { hostId: LAB_HOST, state: 'connecting', since },
  });
  const prompt = (id: string): ChaosEvent => ({
    type: 'passphrase.prompt',
    prompt: {
      promptId: PromptId.parse(id),
      hostId: LAB_HOST,
      keyPath: '/home/u/.ssh/id_ed25519',
      retry: false,
    },
  });
  const closed = (id: string): ChaosEvent => ({
    type: 'prompt.closed',
    promptId: PromptId.parse(id),
    reason: 'answered',
  });

  it('holds events until the page is ready, then delivers them in order, then live', () => {
    const sent: ChaosEvent[] = [];
    const relay = new EventRelay((e) => sent.push(e));
    relay.push(hostState(1));
    relay.push(hostState(2));
    expect(sent).toEqual([]);
    relay.markReady();
    relay.push(hostState(3));
    expect(sent).toEqual([hostState(1), hostState(2), hostState(3)]);
    relay.markReady();
    expect(sent).toHaveLength(3);
  });

  it('drops events outside the contract and says so', () => {
    const sent: ChaosEvent[] = [];
    const invalid: unknown[] = [];
    const relay = new EventRelay(
      (e) => sent.push(e),
      10,
      (e) => invalid.push(e),
    );
    relay.markReady();
    relay.push({ type: 'host.state', status: { hostId: 'lab', state: 'exploded', since: 1 } });
    relay.push({ type: 'shell.exec' });
    expect(sent).toEqual([]);
    expect(invalid).toHaveLength(2);
  });

  it('asks a reloaded page again the prompts still open', () => {
    const sent: ChaosEvent[] = [];
    const relay = new EventRelay((e) => sent.push(e));
    const p1 = prompt('p1');
    const p2 = prompt('p2');
    relay.push(p1);
    relay.push(p2);
    relay.markReady();
    relay.push(closed('p1'));
    relay.markNotReady();
    relay.push(hostState(1));
    expect(sent).toHaveLength(3);
    relay.markReady();
    expect(sent.slice(3)).toEqual([p2, hostState(1)]);
  });

  it('keeps a bounded queue, dropping the oldest events but never a prompt', () => {
    const sent: ChaosEvent[] = [];
    const relay = new EventRelay((e) => sent.push(e), 3);
    relay.push(prompt('p1'));
    for (let n = 1; n <= 5; n++) relay.push(hostState(n));
    expect(relay.dropped).toBe(3);
    relay.markReady();
    expect(sent).toEqual([prompt('p1'), hostState(4), hostState(5)]);
  });
});
