import { beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  type ChaosApi,
  type ChaosEvent,
  callNames,
  createRemoteApi,
  type Invoke,
  IPC_EVENT_CHANNEL,
  ipcChannel,
  ok,
} from '../../shared/api';
import {
  BRIDGE_CALL_NAMES,
  BRIDGE_EVENT_CHANNEL,
  bridgeChannel,
  IPC_MENU_CHANNEL,
  IPC_READY_CHANNEL,
  type KvmChaosBridge,
  MENU_COMMANDS,
} from '../../shared/api/bridge';
import { HostId } from '../../shared/api/values';

// The preload loaded as Electron would load it, with stand-ins for contextBridge and ipcRenderer:
// what it exposes, on which channels, and that nothing else leaks to the page.

type Handler = (event: unknown, payload: unknown) => void;

const electron = vi.hoisted(() => {
  const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  return {
    listeners,
    exposed: new Map<string, unknown>(),
    invoke: vi.fn(
      async (_channel: string, _params: unknown): Promise<unknown> => ({
        ok: true,
        value: null,
      }),
    ),
    send: vi.fn(),
  };
});

vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, api: unknown) => electron.exposed.set(key, api),
  },
  ipcRenderer: {
    invoke: electron.invoke,
    send: electron.send,
    on: (channel: string, handler: Handler) => {
      const set = electron.listeners.get(channel) ?? new Set();
      set.add(handler);
      electron.listeners.set(channel, set);
    },
    removeListener: (channel: string, handler: Handler) => {
      electron.listeners.get(channel)?.delete(handler);
    },
  },
}));

/** What the main process would send on a channel. */
function emit(channel: string, payload: unknown) {
  const ipcEvent = { sender: 'the IpcRendererEvent, which must not reach the page' };
  for (const handler of electron.listeners.get(channel) ?? []) handler(ipcEvent, payload);
}

async function loadPreload(): Promise<KvmChaosBridge> {
  vi.resetModules();
  electron.exposed.clear();
  electron.listeners.clear();
  await import('./index');
  const bridge = electron.exposed.get('kvmChaos');
  if (!bridge) throw new Error('the preload exposed no kvmChaos');
  return bridge as KvmChaosBridge;
}

beforeEach(() => {
  electron.invoke.mockClear();
  electron.send.mockClear();
});

describe('preload', () => {
  it('exposes window.kvmChaos and nothing else', async () => {
    const bridge = await loadPreload();
    expect([...electron.exposed.keys()]).toEqual(['kvmChaos']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'onEvent', 'onMenuCommand']);
    expect(Object.values(bridge).every((v) => typeof v === 'function')).toBe(true);
  });

  it('knows every call of the contract, on the same channels as the main process', () => {
    expect([...BRIDGE_CALL_NAMES].sort()).toEqual([...callNames].sort());
    for (const name of callNames) expect(bridgeChannel(name)).toBe(ipcChannel(name));
    expect(BRIDGE_EVENT_CHANNEL).toBe(IPC_EVENT_CHANNEL);
    const channels = new Set([
      ...callNames.map(ipcChannel),
      IPC_EVENT_CHANNEL,
      IPC_READY_CHANNEL,
      IPC_MENU_CHANNEL,
    ]);
    expect(channels.size).toBe(callNames.length + 3);
  });

  it('invokes each call on its own channel with the params as given', async () => {
    const bridge = await loadPreload();
    for (const name of callNames) {
      const params = { probe: name };
      electron.invoke.mockResolvedValueOnce({ ok: true, value: name });
      await expect(bridge.invoke(name, params)).resolves.toEqual({ ok: true, value: name });
      expect(electron.invoke).toHaveBeenLastCalledWith(`chaos:${name}`, params);
    }
    expect(electron.invoke).toHaveBeenCalledTimes(callNames.length);
  });

  it('answers a name outside the contract with an error, without touching IPC', async () => {
    const bridge = await loadPreload();
    const invoke = bridge.invoke as (name: unknown, params: unknown) => Promise<unknown>;
    for (const name of ['chaos.nuke', '__proto__', 'constructor', 'ready', 'event', 42, null]) {
      await expect(invoke(name, {})).resolves.toMatchObject({
        ok: false,
        error: { code: 'unknown-call' },
      });
    }
    expect(electron.invoke).not.toHaveBeenCalled();
  });

  it('tells the main process it is ready on the first subscription, once', async () => {
    const bridge = await loadPreload();
    expect(electron.send).not.toHaveBeenCalled();
    const first = bridge.onEvent(() => {});
    bridge.onEvent(() => {});
    expect(electron.send).toHaveBeenCalledTimes(1);
    expect(electron.send).toHaveBeenCalledWith(IPC_READY_CHANNEL);
    first();
  });

  it('hands listeners the event alone, in order, until unsubscribed', async () => {
    const bridge = await loadPreload();
    const seen: unknown[][] = [];
    const unsubscribe = bridge.onEvent((...args) => seen.push(args));
    const a = { type: 'hosts.changed', hosts: [] };
    const b = { type: 'prompt.closed', promptId: 'p1', reason: 'answered' };
    emit(IPC_EVENT_CHANNEL, a);
    emit(IPC_EVENT_CHANNEL, b);
    unsubscribe();
    emit(IPC_EVENT_CHANNEL, a);
    expect(seen).toEqual([[a], [b]]);
    expect(electron.listeners.get(IPC_EVENT_CHANNEL)?.size).toBe(0);
  });

  it('passes on menu commands it knows and nothing else', async () => {
    const bridge = await loadPreload();
    const seen: unknown[] = [];
    const unsubscribe = bridge.onMenuCommand((command) => seen.push(command));
    for (const command of Object.keys(MENU_COMMANDS)) emit(IPC_MENU_CHANNEL, command);
    emit(IPC_MENU_CHANNEL, 'shell.exec');
    emit(IPC_MENU_CHANNEL, { command: 'tool.knife' });
    unsubscribe();
    emit(IPC_MENU_CHANNEL, 'tool.knife');
    expect(seen).toEqual(Object.keys(MENU_COMMANDS));
  });

  it('refuses a listener that is not a function', async () => {
    const bridge = await loadPreload();
    expect(() => bridge.onEvent('alert(1)' as never)).toThrow(TypeError);
  });

  it('is, with createRemoteApi, the whole ChaosApi (types)', async () => {
    const bridge = await loadPreload();
    expectTypeOf(bridge.invoke).toEqualTypeOf<Invoke>();
    const api = createRemoteApi(bridge.invoke, bridge.onEvent);
    expectTypeOf(api).toEqualTypeOf<ChaosApi>();
    expectTypeOf<Parameters<KvmChaosBridge['onEvent']>[0]>()
      .parameter(0)
      .toEqualTypeOf<ChaosEvent>();
    // And at run time, typed calls go through the bridge and come back validated.
    electron.invoke.mockResolvedValueOnce(ok([]));
    await expect(api['hosts.list']({})).resolves.toEqual({ ok: true, value: [] });
    electron.invoke.mockResolvedValueOnce(ok([{ id: HostId.parse('lab') }]));
    const outside = await api['hosts.list']({});
    expect(outside.ok ? 'ok' : outside.error.code).toBe('internal');
  });
});
