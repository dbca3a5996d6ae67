// What every e2e file starts from: the built UI, an engine connected to the lab's libvirtd
// through the local socket, `kvm-chaos serve`'s server in this process, and Debian's Chromium
// driven by playwright-core with a fresh profile. Screenshots go to e2e/output/ (gitignored).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { rendererDist } from '../electron/cli/serve';
import { createEngine } from '../electron/engine';
import { memoryProfiles } from '../electron/engine/profiles';
import type { Engine } from '../electron/engine/types';
import { type ChaosServer, createServer } from '../electron/server/server';
import { type LabState, readLabState } from '../lab/lab-client';
import { type HostId, unwrap } from '../shared/api';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT = join(ROOT, 'e2e', 'output');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Builds the renderer with Vite's own API when renderer/dist has no index.html. */
export async function ensureRendererBuilt(): Promise<string> {
  const dist = rendererDist();
  if (!existsSync(join(dist, 'index.html'))) {
    const { build } = await import('vite');
    await build({ configFile: join(ROOT, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
  }
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`vite build did not produce ${dist}`);
  return dist;
}

/** Chromium on `kvm-chaos serve`'s page for an engine that is already connected. */
export interface Browser {
  server: ChaosServer;
  context: BrowserContext;
  page: Page;
  /** Saves a full-window screenshot as e2e/output/<name>.png. */
  shot(name: string): Promise<void>;
  /** Closes the browser, its profile and the server (not the engine). */
  close(): Promise<void>;
}

export interface Harness extends Browser {
  lab: LabState;
  engine: Engine;
  /** The lab's libvirtd as the engine knows it (the local socket). */
  hostId: HostId;
}

/** Serves the built UI for `engine` on a loopback port and opens it in a fresh 1600x1000 profile. */
export async function openBrowser(engine: Engine): Promise<Browser> {
  const staticDir = await ensureRendererBuilt();
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const server = await createServer({ api: engine, staticDir, port: 0 });
    closers.push(() => server.close());
    const userData = await mkdtemp(join(tmpdir(), 'kvm-chaos-e2e-'));
    closers.push(() => rm(userData, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(userData, {
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      viewport: { width: 1600, height: 1000 },
    });
    closers.push(() => context.close());
    const page = context.pages()[0] ?? (await context.newPage());
    await mkdir(OUTPUT, { recursive: true });
    return {
      server,
      context,
      page,
      shot: async (name) => {
        await page.screenshot({ path: join(OUTPUT, `${name}.png`) });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export async function startHarness(): Promise<Harness> {
  const lab = await readLabState();
  const engine = await createEngine({
    profiles: memoryProfiles(),
    knownHostsPath: lab.ssh.knownHosts,
  });
  let browser: Browser | undefined;
  const close = async () => {
    // Never leave a cut behind, whatever failed.
    await engine['chaos.heal']({ all: true }).catch(() => {});
    await browser?.close();
    await engine.close().catch(() => {});
  };
  try {
    const host = unwrap(
      await engine['hosts.add']({ uri: 'qemu:///system', auth: { method: 'local' }, label: 'lab' }),
    );
    unwrap(await engine['hosts.connect']({ hostId: host.id }));
    browser = await openBrowser(engine);
    return { ...browser, lab, engine, hostId: host.id, close };
  } catch (error) {
    await close();
    throw error;
  }
}
