// Several hosts on one screen (issues 14.3, 16.4): three libvirt test-driver hosts of 8 guests
// each, read through the running libvirtd by the real engine and served to Debian's Chromium at
// 1600x1000. The overview must be readable at the default zoom (every label at least 12 px on
// screen), hosts are groups that collapse to one card with their counts, and the host list zooms
// to a host. Screenshots go to e2e/output/hosts-*.png.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, memoryProfiles } from '../electron/engine';
import { type ChaosServer, createServer } from '../electron/server/server';
import { testDriverNodeXml } from '../lab/test-driver-node';
import { unwrap } from '../shared/api';
import { CHROMIUM_ARGS, ensureRendererBuilt, OUTPUT } from './harness';
import { GraphPage } from './pages/GraphPage';
import { ScenariosPage } from './pages/ScenariosPage';

const HOSTS = 3;
const GUESTS = 8;

/** Every label in the graph that is drawn, and its height on screen: font size times zoom. */
async function labelSizes(page: Page) {
  return page.evaluate(() => {
    const viewport = document.querySelector('.react-flow__viewport') as HTMLElement;
    const zoom = new DOMMatrixReadOnly(getComputedStyle(viewport).transform).a;
    const graph = document.querySelector('[data-testid="graph"]')?.getBoundingClientRect();
    const out: Array<{ text: string; px: number }> = [];
    const walker = document.createTreeWalker(viewport, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent?.trim();
      const el = node.parentElement;
      if (!text || !el) continue;
      const box = el.getBoundingClientRect();
      const shown =
        el.checkVisibility({ visibilityProperty: true, opacityProperty: true }) &&
        box.width > 0 &&
        graph !== undefined &&
        box.right > graph.left &&
        box.left < graph.right &&
        box.bottom > graph.top &&
        box.top < graph.bottom;
      if (shown) out.push({ text, px: Number.parseFloat(getComputedStyle(el).fontSize) * zoom });
    }
    return { zoom, labels: out };
  });
}

/** Polls `read` until it gives true (expect.poll is for tests, not hooks). */
async function until(what: string, read: () => Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await read())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('several hosts on one screen', () => {
  let dir: string;
  let engine: Engine;
  let server: ChaosServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kc-hosts-view-'));
    await mkdir(OUTPUT, { recursive: true });
    engine = await createEngine({
      profiles: memoryProfiles(),
      knownHostsPath: join(dir, 'known_hosts'),
    });
    for (let h = 1; h <= HOSTS; h++) {
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
      // hosts.add connects in the background: wait for its first read.
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
      async () => (await page.locator('[data-testid="guest-node"]').count()) === HOSTS * GUESTS,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows every host as a group, and every label at least 12 px high at the default zoom', async () => {
    // The first fit happens once every node is in; give it its frame.
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(OUTPUT, 'hosts-overview.png') });
    const hosts = page.locator('[data-testid="host-node"]');
    await expect.poll(() => hosts.count()).toBe(HOSTS);
    for (let h = 1; h <= HOSTS; h++) {
      await expect
        .poll(() =>
          page
            .locator('[data-testid="host-counts"]')
            .nth(h - 1)
            .textContent(),
        )
        .toContain(`${GUESTS} guests`);
    }
    const { zoom, labels } = await labelSizes(page);
    // Every guest's name is among the labels drawn, and nothing drawn is under 12 px.
    const names = new Set(labels.map((l) => l.text));
    for (let h = 1; h <= HOSTS; h++)
      for (let g = 1; g <= GUESTS; g++) expect(names).toContain(`h${h}-node${g}`);
    const small = labels.filter((l) => l.px < 12);
    expect(small, `zoom ${zoom.toFixed(3)}: ${JSON.stringify(small)}`).toEqual([]);
    expect(zoom).toBeGreaterThan(0.2);
  });

  it('collapses a host to one card with its counts, and expands it again', async () => {
    const h2 = page.locator('[data-testid="host-node"][data-host-id]').nth(1);
    await h2.getByTestId('host-collapse').click();
    await expect.poll(() => h2.getAttribute('data-collapsed')).toBe('true');
    await expect
      .poll(() => page.locator('[data-testid="guest-node"]').count())
      .toBe((HOSTS - 1) * GUESTS);
    expect(await h2.locator('.host__summary').textContent()).toContain(`${GUESTS} guests`);
    await page.screenshot({ path: join(OUTPUT, 'hosts-collapsed.png') });
    await h2.getByTestId('host-collapse').click();
    await expect
      .poll(() => page.locator('[data-testid="guest-node"]').count())
      .toBe(HOSTS * GUESTS);
  });

  it('offers partitions by host: split by host previews one side per host', async () => {
    await expect.poll(() => page.getByTestId('host-presets').isVisible()).toBe(true);
    await page.getByTestId('partition-split-by-host').click();
    const sides = page.getByTestId('preview-side');
    await expect.poll(() => sides.count()).toBe(HOSTS);
    for (let h = 1; h <= HOSTS; h++)
      expect(await sides.nth(h - 1).textContent()).toContain(`h${h}-node1`);
    await page.getByTestId('preview-cancel').click();
    await page.getByTestId('partition-host').selectOption({ label: 'h2' });
    await page.getByTestId('partition-isolate-host').click();
    await expect.poll(() => sides.count()).toBe(2);
    expect(await sides.nth(0).textContent()).toContain('h2-node1');
    expect(await sides.nth(0).textContent()).not.toContain('h1-node1');
    await page.screenshot({ path: join(OUTPUT, 'hosts-isolate-preview.png') });
    await page.getByTestId('preview-cancel').click();
    await expect.poll(() => sides.count()).toBe(0);
  });

  it('plans a scenario over every host by default, and over the one host picked', async () => {
    const scenarios = new ScenariosPage(page);
    await scenarios.open();
    const picker = page.getByTestId('scenario-host');
    expect(await picker.locator('option:checked').textContent()).toBe(`All ${HOSTS} hosts`);
    await scenarios.openFile(
      'across.yaml',
      'name: across\nsteps:\n  - partition: isolate\n    guests: [h1-node1]\n  - partition: isolate\n    guests: [h3-node2]\n',
    );
    await scenarios.button('plan').click();
    await expect.poll(() => scenarios.steps().count()).toBe(2);
    expect(await scenarios.steps().nth(0).textContent()).toContain('h1-node1');
    expect(await scenarios.steps().nth(1).textContent()).toContain('h3-node2');
    // On h1 alone, h3's guest is not there to name.
    await picker.selectOption({ label: 'h1' });
    await scenarios.button('plan').click();
    await expect.poll(() => scenarios.problems().count()).toBe(1);
    expect(await scenarios.problems().getAttribute('data-line')).toBe('6');
    expect(await page.getByTestId('scenario-problems').textContent()).toContain('h3-node2');
    await picker.selectOption({ label: `All ${HOSTS} hosts` });
    await page.getByTestId('tab-inspector').click();
  });

  it('zooms to a host from the host list, and back to all hosts', async () => {
    const zoomOf = () =>
      page
        .locator('.react-flow__viewport')
        .evaluate((el) => new DOMMatrixReadOnly(getComputedStyle(el).transform).a);
    const overview = await zoomOf();
    await page.getByTestId('host-list-item').nth(2).click();
    await expect.poll(zoomOf).toBeGreaterThan(overview * 1.3);
    // The host's guests are on screen. Selecting the host can also list its ports in the
    // inspector, rows that carry the same data-guest-name, so the card is asked for by test id.
    const onScreen = (name: string) =>
      new GraphPage(page).guest(name).evaluate((el) => {
        const r = el.getBoundingClientRect();
        return r.right > 0 && r.left < innerWidth && r.bottom > 0 && r.top < innerHeight;
      });
    await expect.poll(() => onScreen('h3-node1')).toBe(true);
    await page.screenshot({ path: join(OUTPUT, 'hosts-zoomed.png') });
    await page.getByTestId('host-list-all').click();
    await expect.poll(zoomOf).toBeLessThan(overview * 1.05);
  });
});
