// Segments joined by the user, in the browser (issue 16.2): two libvirt test-driver hosts whose
// networks no lease joins, read by the real engine through the running libvirtd and served to
// Debian's Chromium. A segment's menu says "Same L2 as…" the other host's segment; the engine
// saves it and the graph draws one segment across both hosts, its tooltip saying "joined by you";
// "Not joined" takes it back. Screenshot: e2e/output/segments-joined.png.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, memoryProfiles } from '../electron/engine';
import { type ChaosServer, createServer } from '../electron/server/server';
import { testDriverNodeXml } from '../lab/test-driver-node';
import { type HostId, unwrap } from '../shared/api';
import { CHROMIUM_ARGS, ensureRendererBuilt, OUTPUT } from './harness';

const GUESTS = 3;

async function until(what: string, read: () => Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await read())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('segments joined by the user, on the canvas', () => {
  let dir: string;
  let engine: Engine;
  let server: ChaosServer;
  let browser: Browser;
  let page: Page;
  const hostIds: HostId[] = [];
  const segments = () => page.locator('[data-testid="segment-node"]');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kc-segments-'));
    await mkdir(OUTPUT, { recursive: true });
    engine = await createEngine({
      profiles: memoryProfiles(),
      knownHostsPath: join(dir, 'known_hosts'),
    });
    for (let h = 1; h <= 2; h++) {
      const file = join(dir, `h${h}.xml`);
      await writeFile(
        file,
        testDriverNodeXml(GUESTS, { guestPrefix: `h${h}-node`, network: `h${h}-net`, tag: h }),
      );
      const host = unwrap(
        await engine['hosts.add']({
          uri: `test://${file}`,
          auth: { method: 'local' },
          label: `h${h}`,
        }),
      );
      hostIds.push(host.id);
      await until(
        `h${h}'s first read`,
        async () => (await engine['inventory.get']({ hostId: host.id })).ok,
      );
    }
    server = await createServer({ api: engine, staticDir: await ensureRendererBuilt() });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(server.url);
    await until(
      'every guest drawn',
      async () => (await page.locator('[data-testid="guest-node"]').count()) === 2 * GUESTS,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("draws the two hosts' networks apart: no lease joins them", async () => {
    await expect.poll(() => segments().count()).toBe(2);
    expect(await segments().first().getAttribute('data-joined')).toBeNull();
  });

  it('"Same L2 as…" the other host\'s segment: saved by the engine, drawn once across both hosts', async () => {
    await page.locator('[data-segment-name="h1-net"]').click({ button: 'right' });
    const menu = page.getByTestId('segment-menu');
    await expect.poll(() => menu.isVisible()).toBe(true);
    const target = menu.getByRole('menuitem', { name: 'h2: h2-net (kch2-net0)' });
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual(['h2: h2-net (kch2-net0)']);
    await target.click();
    await expect.poll(() => segments().count()).toBe(1);
    const joined = segments().first();
    expect(await joined.getAttribute('data-joined')).toBe('user');
    // The joined name lists the networks in the order of their segment ids.
    const title = await joined.getAttribute('title');
    expect(title?.split('\n')).toEqual([
      expect.stringMatching(/^libvirt network (h1-net \+ h2-net|h2-net \+ h1-net): /),
      '• joined by you',
    ]);
    expect(title).toContain(
      `one L2 segment across ${hostIds[0]}:kch1-net0, ${hostIds[1]}:kch2-net0`,
    );
    expect(unwrap(await engine['segments.list']({}))).toEqual([
      {
        segments: [
          { host: hostIds[0], bridge: 'kch1-net0' },
          { host: hostIds[1], bridge: 'kch2-net0' },
        ],
      },
    ]);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(OUTPUT, 'segments-joined.png') });
  });

  it('"Not joined" takes it back: two segments again, nothing saved', async () => {
    await segments()
      .first()
      .getByRole('button', { name: /same L2 as another host/ })
      .click();
    const menu = page.getByTestId('segment-menu');
    await expect.poll(() => menu.isVisible()).toBe(true);
    const notJoined = menu.getByRole('group', { name: 'Not joined' }).getByRole('menuitem');
    expect(await notJoined.allTextContents()).toEqual([
      'h1: h1-net (kch1-net0)',
      'h2: h2-net (kch2-net0)',
    ]);
    await notJoined.first().click();
    await expect.poll(() => segments().count()).toBe(2);
    expect(unwrap(await engine['segments.list']({}))).toEqual([]);
  });
});
