// The scenes of the visual checks: an engine with the hosts a case needs (the lab's libvirtd on
// its local socket, libvirt's test driver for many guests or a second host, opened through the
// same libvirtd), `kvm-chaos serve`'s server, and a page in a given theme and mode.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createEngine } from '../../electron/engine';
import { memoryProfiles } from '../../electron/engine/profiles';
import type { Engine } from '../../electron/engine/types';
import { type ChaosServer, createServer } from '../../electron/server/server';
import { type HostId, type HostSummary, unwrap } from '../../shared/api';

export type Look = { theme: 'light' | 'dark'; projector: boolean };

/** A host of a scene: the lab's libvirtd, or a test-driver node file of `guests` guests. */
export type SceneHost =
  | { kind: 'lab' }
  | { kind: 'test-driver'; label: string; xml: string; guests: number };

export type Scene = {
  engine: Engine;
  server: ChaosServer;
  hosts: HostSummary[];
  /** Every guest's name the graph must show. */
  guestNames: string[];
  close(): Promise<void>;
};

/** Waits until the host's first inventory is in (hosts.add connects in the background). */
async function firstRead(engine: Engine, hostId: HostId, timeoutMs = 60_000) {
  const t0 = Date.now();
  for (;;) {
    const read = await engine['inventory.get']({ hostId });
    if (read.ok) return read.value;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`no inventory of ${hostId}: ${read.error.message}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startScene(opts: {
  dir: string;
  staticDir: string;
  knownHostsPath: string;
  hosts: readonly SceneHost[];
}): Promise<Scene> {
  const engine = await createEngine({
    profiles: memoryProfiles(),
    knownHostsPath: opts.knownHostsPath,
  });
  try {
    const hosts: HostSummary[] = [];
    const guestNames: string[] = [];
    for (const host of opts.hosts) {
      let added: HostSummary;
      if (host.kind === 'lab') {
        added = unwrap(
          await engine['hosts.add']({
            uri: 'qemu:///system',
            auth: { method: 'local' },
            label: 'lab',
          }),
        );
      } else {
        const file = join(opts.dir, `${host.label}.xml`);
        await writeFile(file, host.xml);
        added = unwrap(
          await engine['hosts.add']({
            uri: `test://${file}`,
            auth: { method: 'local' },
            label: host.label,
          }),
        );
      }
      const inventory = await firstRead(engine, added.id);
      guestNames.push(...inventory.guests.map((g) => g.name));
      hosts.push(added);
    }
    const server = await createServer({ api: engine, staticDir: opts.staticDir, port: 0 });
    return {
      engine,
      server,
      hosts,
      guestNames,
      async close() {
        await server.close();
        await engine.close();
      },
    };
  } catch (error) {
    await engine.close();
    throw error;
  }
}

/** A page of its own (fresh storage) with the look set before the app reads it. */
export async function openLook(
  browser: Browser,
  url: string,
  look: Look,
  viewport: { width: number; height: number },
): Promise<Page> {
  const context = await browser.newContext({ viewport, colorScheme: look.theme });
  await context.addInitScript(
    ({ theme, projector }) => {
      localStorage.setItem('kvm-chaos:theme', theme);
      localStorage.setItem('kvm-chaos:projector', projector ? 'on' : 'off');
    },
    { theme: look.theme, projector: look.projector },
  );
  const page = await context.newPage();
  await page.goto(url);
  return page;
}
