// The desktop app's IPC path with the real engine against the lab: the preload's bridge, a
// stand-in for Electron's IPC that copies every payload as Electron does (structured clone), the
// IPC host and event relay of the main process, and createEngine with the app's own files.
// What only Electron's binary can add (the window, the sandboxed page) is e2e/electron.e2e.test.ts.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fullyConnected, readLabState, waitForMatrix } from '../../lab/lab-client';
import { type ChaosEvent, createRemoteApi, IPC_EVENT_CHANNEL, type Result } from '../../shared/api';
import { IPC_READY_CHANNEL } from '../../shared/api/bridge';
import { createEngine, type Engine, fileProfiles } from '../engine';
import { createBridge } from '../preload/index';
import { EventRelay, registerCallHandlers } from './ipc';
import { appFiles } from './settings';
import { connectLab, cutAndHealOneLink } from './smoke-flow';

vi.mock('electron', () => ({ contextBridge: { exposeInMainWorld: () => {} }, ipcRenderer: {} }));

type Handler = (event: unknown, params: unknown) => Promise<Result<unknown>>;

let engine: Engine | undefined;
let userData: string;
afterAll(async () => {
  await engine?.close();
  await rm(userData, { recursive: true, force: true });
});

describe('desktop IPC path, real engine, real lab', () => {
  const handlers = new Map<string, Handler>();
  const pageListeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  const events: ChaosEvent[] = [];
  let relay: EventRelay;

  beforeAll(async () => {
    const lab = await readLabState();
    await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: lab, what: 'a healthy lab' });
    userData = await mkdtemp(join(tmpdir(), 'kvm-chaos-ipc-lab-'));
    const files = appFiles(userData);
    await copyFile(lab.ssh.knownHosts, files.knownHosts);
    engine = await createEngine({
      profiles: fileProfiles(files.hosts),
      knownHostsPath: files.knownHosts,
    });
    // main -> page, as webContents.send would: a structured clone per message.
    relay = new EventRelay((event) => {
      for (const l of pageListeners.get(IPC_EVENT_CHANNEL) ?? []) l({}, structuredClone(event));
    });
    engine.subscribe((event) => relay.push(event));
    registerCallHandlers(
      { handle: (c: string, h: Handler) => handlers.set(c, h), removeHandler: () => {} } as never,
      engine,
      () => true,
    );
  });

  it('connects to the lab, cuts one link and heals it, with progress events on the way', async () => {
    const bridge = createBridge({
      invoke: async (channel: string, params: unknown) => {
        const handler = handlers.get(channel);
        if (!handler) throw new Error(`No handler registered for '${channel}'`);
        return structuredClone(await handler({}, structuredClone(params)));
      },
      on: (channel: string, l: (event: unknown, payload: unknown) => void) => {
        pageListeners.set(channel, (pageListeners.get(channel) ?? new Set()).add(l));
      },
      removeListener: (channel: string, l: (event: unknown, payload: unknown) => void) =>
        pageListeners.get(channel)?.delete(l),
      send: (channel: string) => {
        if (channel === IPC_READY_CHANNEL) relay.markReady();
      },
    } as never);
    const api = createRemoteApi(bridge.invoke, bridge.onEvent);
    api.subscribe((event) => events.push(event));

    const lab = await readLabState();
    const host = await connectLab(bridge.invoke, lab);
    expect(host.status.state).toBe('connected');
    const { cutIds } = await cutAndHealOneLink(bridge.invoke, lab, host);
    expect(cutIds.length).toBeGreaterThan(0);

    const progress = events.filter((e) => e.type === 'apply.progress');
    expect(progress.some((e) => e.status === 'done')).toBe(true);
    expect(events.some((e) => e.type === 'host.state' && e.status.state === 'connected')).toBe(
      true,
    );
    // The profile the page added is on disk, without secrets.
    const saved = await fileProfiles(appFiles(userData).hosts).load();
    expect(saved.map((p) => p.auth)).toEqual([{ method: 'key', keyPath: lab.ssh.key }]);
  });
});
