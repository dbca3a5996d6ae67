import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CallName, callNames, IPC_EVENT_CHANNEL, ipcChannel, ok } from '../../shared/api';
import { IPC_MENU_CHANNEL, IPC_READY_CHANNEL } from '../../shared/api/bridge';
import { engineTestDouble, LAB_HOST } from '../../shared/api/fixtures';
import type { EngineOptions } from '../engine/types';
import { appPaths } from './paths';
import { APP_ORIGIN } from './security';

// The composition root, run as Electron would run it but with a stand-in for Electron's modules
// and the engine's test double: is every part built and wired to the others?

type Listener = (...args: unknown[]) => unknown;

const h = vi.hoisted(() => {
  const state = {
    userData: '',
    lock: true,
    order: [] as string[],
    appListeners: new Map<string, Listener[]>(),
    ipcHandlers: new Map<string, Listener>(),
    ipcListeners: new Map<string, Listener>(),
    windows: [] as Array<Record<string, unknown>>,
    menu: null as unknown,
    engineOptions: null as unknown,
    engine: null as unknown,
    session: {} as Record<string, unknown>,
    protocols: new Map<string, Listener>(),
  };
  return state;
});

vi.mock('electron', () => {
  const on = (map: Map<string, Listener[]>) => (event: string, listener: Listener) => {
    map.set(event, [...(map.get(event) ?? []), listener]);
  };
  class BrowserWindow {
    readonly listeners = new Map<string, Listener[]>();
    readonly contentsListeners = new Map<string, Listener[]>();
    title = '';
    loaded: string | null = null;
    readonly sent: Array<[string, unknown]> = [];
    focused = 0;
    webContents = {
      id: 41,
      on: on(this.contentsListeners),
      send: (channel: string, payload: unknown) => this.sent.push([channel, payload]),
      isDestroyed: () => false,
      setWindowOpenHandler: vi.fn(),
    };
    constructor(readonly options: unknown) {
      h.order.push('window');
      h.windows.push(this as unknown as Record<string, unknown>);
    }
    on = on(this.listeners);
    once = on(this.listeners);
    isDestroyed = () => false;
    isMinimized = () => false;
    restore = () => {};
    show = () => {};
    focus = () => {
      this.focused++;
    };
    setTitle = (title: string) => {
      this.title = title;
    };
    loadURL = async (url: string) => {
      this.loaded = url;
    };
  }
  return {
    app: {
      isPackaged: false,
      setName: (name: string) => h.order.push(`name:${name}`),
      setPath: (name: string, path: string) => {
        if (name === 'userData') h.userData = path;
      },
      getPath: (name: string) => (name === 'userData' ? h.userData : `/home/tester/.config`),
      getVersion: () => '0.0.0-test',
      requestSingleInstanceLock: () => h.lock,
      whenReady: async () => {
        h.order.push('ready');
      },
      on: on(h.appListeners),
      quit: vi.fn(() => h.order.push('quit')),
      exit: vi.fn(),
      relaunch: vi.fn(),
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) =>
        h.order.push(`privileged:${JSON.stringify(schemes)}`),
      handle: (scheme: string, handler: Listener) => h.protocols.set(scheme, handler),
    },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (l: Listener) => (h.session.headers = l) },
        setPermissionRequestHandler: (l: Listener) => (h.session.request = l),
        setPermissionCheckHandler: (l: Listener) => (h.session.check = l),
      },
    },
    ipcMain: {
      handle: (channel: string, l: Listener) => h.ipcHandlers.set(channel, l),
      removeHandler: (channel: string) => h.ipcHandlers.delete(channel),
      on: (channel: string, l: Listener) => h.ipcListeners.set(channel, l),
      removeListener: (channel: string) => h.ipcListeners.delete(channel),
    },
    Menu: {
      buildFromTemplate: (template: unknown) => template,
      setApplicationMenu: (menu: unknown) => (h.menu = menu),
    },
    dialog: { showMessageBox: vi.fn(async () => ({ response: 1 })), showErrorBox: vi.fn() },
    shell: { openExternal: vi.fn() },
    BrowserWindow,
  };
});

vi.mock('../engine', async (importActual) => {
  const actual = await importActual<typeof import('../engine')>();
  return {
    ...actual,
    createEngine: async (options: EngineOptions) => {
      h.order.push('engine');
      h.engineOptions = options;
      return h.engine;
    },
  };
});

type Double = ReturnType<typeof engineTestDouble>;
let double: Double;
let close: ReturnType<typeof vi.fn>;

const connected = {
  id: LAB_HOST,
  uri: 'ssh://root@127.0.0.1:2222',
  label: 'lab',
  auth: { method: 'agent' },
  status: { hostId: LAB_HOST, state: 'connected', since: 1 },
  libvirtVersion: '9.0.0',
};

beforeEach(async () => {
  h.userData = await mkdtemp(join(tmpdir(), 'kvm-chaos-main-'));
  process.env.KVM_CHAOS_USER_DATA = h.userData;
  h.lock = true;
  h.order = [];
  h.appListeners.clear();
  h.ipcHandlers.clear();
  h.ipcListeners.clear();
  h.windows = [];
  h.menu = null;
  h.engineOptions = null;
  double = engineTestDouble({ 'hosts.list': () => ok([connected]) });
  close = vi.fn(async () => {});
  h.engine = { ...double.api, close };
  vi.resetModules();
});
afterEach(async () => {
  delete process.env.KVM_CHAOS_USER_DATA;
  await rm(h.userData, { recursive: true, force: true });
});

async function start() {
  await import('./index');
  await vi.waitFor(() => {
    if (!h.windows[0]?.loaded) throw new Error('the window has not loaded its page yet');
  });
  return h.windows[0] as unknown as {
    options: { webPreferences: Record<string, unknown> };
    title: string;
    loaded: string;
    sent: Array<[string, unknown]>;
    focused: number;
    contentsListeners: Map<string, Listener[]>;
  };
}

const fromPage = {
  sender: { id: 41 },
  senderFrame: { url: `${APP_ORIGIN}/index.html`, parent: null },
};

describe('the main process', () => {
  it('quits at once when another instance holds the lock', async () => {
    h.lock = false;
    await import('./index');
    await new Promise((r) => setTimeout(r, 20));
    expect(h.order).toContain('quit');
    expect(h.order).not.toContain('engine');
    expect(h.windows).toEqual([]);
  });

  it('privileges its scheme before ready, then starts the engine, then the window', async () => {
    const win = await start();
    const privileged = h.order.findIndex((o) => o.startsWith('privileged:'));
    expect(h.order[0]).toBe('name:kvm-chaos');
    expect(privileged).toBeLessThan(h.order.indexOf('ready'));
    expect(h.order[privileged]).toContain('"standard":true');
    expect(h.order.indexOf('engine')).toBeLessThan(h.order.indexOf('window'));
    expect(win.loaded).toBe(`${APP_ORIGIN}/index.html`);
    expect(h.protocols.has('kvm-chaos')).toBe(true);
  });

  it('keeps its data in <appData>/kvm-chaos unless told otherwise', async () => {
    delete process.env.KVM_CHAOS_USER_DATA;
    const temp = h.userData;
    await start();
    expect(h.userData).toBe('/home/tester/.config/kvm-chaos');
    expect((h.engineOptions as EngineOptions).knownHostsPath).toBe(
      '/home/tester/.config/kvm-chaos/known_hosts',
    );
    h.userData = temp;
  });

  it('gives the engine the app’s own files', async () => {
    await start();
    const options = h.engineOptions as EngineOptions;
    expect(options.knownHostsPath).toBe(join(h.userData, 'known_hosts'));
    expect(options.autoLocal).toBe(true);
    await options.profiles.save([
      { id: LAB_HOST, uri: 'ssh://root@kvm1', label: 'kvm1', auth: { method: 'agent' } },
    ]);
    const saved = JSON.parse(await readFile(join(h.userData, 'hosts.json'), 'utf8'));
    expect(saved.hosts).toEqual([
      { id: 'lab', uri: 'ssh://root@kvm1', label: 'kvm1', auth: { method: 'agent' } },
    ]);
  });

  it('opens a locked-down window and guards the session', async () => {
    const win = await start();
    expect(win.options.webPreferences).toMatchObject({
      preload: appPaths(import.meta.dirname).preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    expect(typeof h.session.headers).toBe('function');
    const callback = vi.fn();
    (h.session.request as Listener)({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
    expect(h.appListeners.get('web-contents-created')).toHaveLength(1);
  });

  it('hosts every call over IPC, validated, for its own page only', async () => {
    await start();
    expect([...h.ipcHandlers.keys()].sort()).toEqual(callNames.map(ipcChannel).sort());
    const call = (name: CallName, params: unknown, event: unknown = fromPage) =>
      h.ipcHandlers.get(ipcChannel(name))?.(event, params);
    await expect(call('hosts.list', {})).resolves.toEqual(ok([connected]));
    await expect(call('hosts.connect', { hostId: '' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid-request' },
    });
    await expect(
      call(
        'hosts.list',
        {},
        { ...fromPage, senderFrame: { url: 'https://x.example/', parent: null } },
      ),
    ).resolves.toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('holds engine events until the page is ready, then forwards them', async () => {
    const win = await start();
    const event = { type: 'prompt.closed', promptId: 'p1', reason: 'timeout' };
    double.emit(event);
    expect(win.sent.filter(([c]) => c === IPC_EVENT_CHANNEL)).toEqual([]);
    h.ipcListeners.get(IPC_READY_CHANNEL)?.(fromPage);
    double.emit({ type: 'not.in.the.contract' });
    expect(win.sent.filter(([c]) => c === IPC_EVENT_CHANNEL)).toEqual([[IPC_EVENT_CHANNEL, event]]);
  });

  it('titles the window with the connected host and follows host events', async () => {
    const win = await start();
    await vi.waitFor(() => expect(win.title).toBe('kvm-chaos — lab'));
    const before = double.calls.filter((c) => c.name === 'hosts.list').length;
    double.emit({ type: 'host.state', status: connected.status });
    await vi.waitFor(() =>
      expect(double.calls.filter((c) => c.name === 'hosts.list').length).toBe(before + 1),
    );
  });

  it('sends menu commands to the page once it is ready', async () => {
    const win = await start();
    const all = (items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] =>
      items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? all(i.submenu) : [])]);
    const knife = all(h.menu as MenuItemConstructorOptions[]).find((i) => i.id === 'tool.knife');
    knife?.click?.({} as never, undefined, {} as never);
    h.ipcListeners.get(IPC_READY_CHANNEL)?.(fromPage);
    knife?.click?.({} as never, undefined, {} as never);
    expect(win.sent.filter(([c]) => c === IPC_MENU_CHANNEL)).toEqual([
      [IPC_MENU_CHANNEL, 'tool.knife'],
    ]);
  });

  it('focuses its window when a second instance starts', async () => {
    const win = await start();
    for (const l of h.appListeners.get('second-instance') ?? []) l();
    expect(win.focused).toBe(1);
  });

  it('closes the engine before quitting, leaving the cuts on the hosts', async () => {
    await start();
    const preventDefault = vi.fn();
    for (const l of h.appListeners.get('will-quit') ?? []) l({ preventDefault });
    expect(preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(h.order.at(-1)).toBe('quit'));
    expect(close).toHaveBeenCalledTimes(1);
    expect(h.ipcHandlers.size).toBe(0);
    expect(double.calls.some((c) => c.name === 'chaos.heal')).toBe(false);
  });
});
