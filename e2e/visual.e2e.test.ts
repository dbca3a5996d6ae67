// Visual checks (issue 15.6), in Debian's Chromium at 1280x720: light, dark and projector, each
// with the lab (3 guests on one host, one link cut, a host whose key was rejected), 12 guests
// (libvirt's test driver through the lab's libvirtd), 2 hosts (the lab with a cut and a
// test-driver host) and 4 hosts in a 2x2 grid (the lab with a cut and three test-driver hosts). Measured in the page (e2e/pages/VisualAudit.ts): no element spills out of its box or
// is cut short, no badge lies on another card, label or badge, all text at least 4.5:1 against
// what is behind it, no sideways scroll; in projector no text under 14 px on screen. Also: a
// topology's preview colours the guests by side and sends nothing until Apply; an info notice
// goes by itself, an error stays. Screenshots: e2e/output/visual-<look>-<case>[-<tab>].png.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type LabState, readLabState } from '../lab/lab-client';
import { testDriverNodeXml } from '../lab/test-driver-node';
import { type HostId, unwrap } from '../shared/api';
import { CHROMIUM_ARGS, ensureRendererBuilt, OUTPUT } from './harness';
import { type Audit, audit, findingsText } from './pages/VisualAudit';
import { type Look, openLook, type Scene, type SceneHost, startScene } from './pages/VisualStage';

const VIEWPORT = { width: 1280, height: 720 };
const PROJECTOR_MIN_PX = 14;
const LOOKS: Array<{ name: string; look: Look }> = [
  { name: 'light', look: { theme: 'light', projector: false } },
  { name: 'dark', look: { theme: 'dark', projector: false } },
  { name: 'projector', look: { theme: 'dark', projector: true } },
  { name: 'projector-light', look: { theme: 'light', projector: true } },
];
/** The side panel's tabs judged in light and dark (projector hides the panel). */
const TABS = ['inspector', 'activity', 'connections', 'guest'] as const;

/** Another host of the test driver, its guests' names and UUIDs its own. */
const rack = (name: string, tag: string, n: number) =>
  testDriverNodeXml(n).replaceAll('scale-', `${name}-`).replaceAll('5ca1e000-', `5ca1e0${tag}-`);
const rackB = (n: number) => rack('rack-b', 'b0', n);

let browser: Browser;
let staticDir: string;
let dir: string;
let lab: LabState;

beforeAll(async () => {
  staticDir = await ensureRendererBuilt();
  lab = await readLabState();
  dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-visual-'));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every guest drawn, and the graph fitted and still (two reads of every box agree). */
async function graphSettled(page: Page, guests: readonly string[]): Promise<void> {
  for (const name of guests)
    await page
      .locator(`[data-testid="guest-node"][data-guest-name="${name}"]`)
      .waitFor({ state: 'visible', timeout: 30_000 });
  let before = '';
  for (let i = 0; i < 40; i++) {
    await page.waitForTimeout(250);
    const now = await page.evaluate(() =>
      [...document.querySelectorAll('.react-flow__node, .react-flow__viewport')]
        .map((n) => {
          const r = n.getBoundingClientRect();
          return `${Math.round(r.x)},${Math.round(r.y)},${Math.round(r.width)}`;
        })
        .join('|'),
    );
    if (now === before) return;
    before = now;
  }
  throw new Error('the graph never settled');
}

/** Soft: one run lists every finding of every look, not only the first. */
function expectClean(a: Audit, where: string, look: Look): void {
  expect.soft(a.textsJudged, `${where}: text judged`).toBeGreaterThan(10);
  expect.soft(a.badgesJudged, `${where}: badges judged`).toBeGreaterThan(0);
  expect.soft(a.overflow, `${where}: overflow\n${findingsText(a.overflow)}`).toEqual([]);
  expect.soft(a.overlap, `${where}: overlap\n${findingsText(a.overlap)}`).toEqual([]);
  expect.soft(a.contrast, `${where}: contrast\n${findingsText(a.contrast)}`).toEqual([]);
  expect.soft(a.horizontalScroll, `${where}: sideways scroll`).toBe(0);
  if (look.projector)
    expect
      .soft(a.smallestText?.px ?? 0, `${where}: smallest text ${a.smallestText?.where}`)
      .toBeGreaterThanOrEqual(PROJECTOR_MIN_PX);
}

/** Selects the first guest, previews Halves, checks the sides, cancels: nothing is sent. */
async function previewHalves(page: Page, guests: readonly string[], shot: () => Promise<void>) {
  const first = page.locator(`[data-testid="guest-node"][data-guest-name="${guests[0]}"]`);
  await first.locator('.guest__name').click();
  await page.getByTestId('partition-halves').click();
  const preview = page.getByTestId('partition-preview');
  await preview.waitFor({ state: 'visible' });
  const sides = await page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-testid="guest-node"][data-preview-side]')].map((n) => [
        n.getAttribute('data-guest-name'),
        Number(n.getAttribute('data-preview-side')),
      ]),
    ),
  );
  // Halves of the first guest's segment, in ring order: the first floor(n/2) against the rest.
  const onSide = (s: number) => Object.values(sides).filter((v) => v === s).length;
  const n = Object.keys(sides).length;
  expect(n).toBeGreaterThanOrEqual(3);
  expect([onSide(0), onSide(1), onSide(0) + onSide(1)]).toEqual([
    Math.floor(n / 2),
    n - Math.floor(n / 2),
    n,
  ]);
  expect(await page.getByTestId('preview-side').count()).toBe(2);
  await shot();
  const a = await audit(page);
  await page.getByTestId('preview-cancel').click();
  await preview.waitFor({ state: 'detached' });
  expect(await page.locator('[data-preview-side]').count()).toBe(0);
  return a;
}

type Case = {
  name: string;
  hosts: SceneHost[];
  /** Makes what the case shows beyond the bare graph (healed by the test's heal of all). */
  prepare?: (scene: Scene) => Promise<void>;
  /** What the case's panels must say, checked on each tab before it is judged. */
  inPanels?: (page: Page, tab: (typeof TABS)[number]) => Promise<void>;
};

/** The cut in plain words in the status bar and the log; a port with no binding explained. */
async function cutInWords(page: Page, tab: (typeof TABS)[number]): Promise<void> {
  const words = /cut lab-node[12] from lab-node[12]/;
  if (tab === 'inspector') {
    expect(await page.getByTestId('last-operation').textContent()).toMatch(words);
    expect(await page.getByTestId('libvirt-time').textContent()).toMatch(
      /libvirt took \d+(\.\d)? (ms|s) for [1-9]\d* operations?/,
    );
    const unbound = page.locator('[data-testid="port-row"][data-guest-name="lab-node3"]');
    await unbound.locator('.port-row__head').click();
    expect(await unbound.getByTestId('no-binding').textContent()).toContain(
      'No filter: all traffic passes',
    );
  }
  if (tab === 'activity') {
    const applied = page.locator('[data-testid="activity-entry"][data-kind="apply"]').first();
    expect(await applied.locator('.activity__summary').textContent()).toMatch(words);
  }
}

/** One link of the lab cut: a cut badge on it, scissors on two cards, rows in the log. */
async function cutOne(scene: Scene): Promise<void> {
  const { engine } = scene;
  const labId = scene.hosts[0]?.id as HostId;
  const inventory = unwrap(await engine['inventory.get']({ hostId: labId }));
  const end = (name: string) => {
    const g = inventory.guests.find((x) => x.name === name);
    const mac = g?.interfaces[0]?.mac;
    if (!g || !mac) throw new Error(`no ${name} in the lab`);
    return { guestId: g.id, mac };
  };
  unwrap(
    await engine['chaos.apply']({
      cuts: [
        { from: end('lab-node1'), to: end('lab-node2'), direction: 'both', scope: { kind: 'all' } },
      ],
    }),
  );
}

/** The cut, and an ssh host whose key the user rejected (its fingerprint in the panel). */
async function cutAndRejectedHost(scene: Scene): Promise<void> {
  const { engine } = scene;
  await cutOne(scene);
  const prompted = new Promise<string>((resolve) => {
    const off = engine.subscribe((e) => {
      if (e.type === 'hostKey.prompt') {
        off();
        resolve(e.prompt.promptId);
      }
    });
  });
  const ssh = unwrap(
    await engine['hosts.add']({
      uri: `qemu+ssh://root@${lab.ssh.host}:${lab.ssh.port}/system`,
      auth: { method: 'key', keyPath: lab.ssh.key },
      label: 'lab over ssh',
    }),
  );
  unwrap(await engine['hostKey.answer']({ promptId: (await prompted) as never, accept: false }));
  // The refusal lands on the host's status, with the key's fingerprint in its words.
  for (let i = 0; i < 100; i++) {
    const host = unwrap(await engine['hosts.list']({})).find((h) => h.id === ssh.id);
    if (host?.status.error) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const CASES: Case[] = [
  {
    name: '3-guests',
    hosts: [{ kind: 'lab' }],
    prepare: cutAndRejectedHost,
    inPanels: cutInWords,
  },
  {
    name: '12-guests',
    hosts: [{ kind: 'test-driver', label: 'rack-a', xml: testDriverNodeXml(12), guests: 12 }],
  },
  {
    name: '2-hosts',
    hosts: [{ kind: 'lab' }, { kind: 'test-driver', label: 'rack-b', xml: rackB(4), guests: 4 }],
    prepare: cutOne,
  },
  {
    // Hosts in a 2x2 grid, a cut on the lab: where a scissors badge once hid under a card.
    name: '4-hosts',
    hosts: [
      { kind: 'lab' },
      { kind: 'test-driver', label: 'rack-b', xml: rack('rack-b', 'b0', 3), guests: 3 },
      { kind: 'test-driver', label: 'rack-c', xml: rack('rack-c', 'c0', 3), guests: 3 },
      { kind: 'test-driver', label: 'rack-d', xml: rack('rack-d', 'd0', 3), guests: 3 },
    ],
    prepare: cutOne,
  },
];

describe('visual checks: light, dark and projector at 1280x720', () => {
  for (const c of CASES) {
    it(`${c.name}: nothing overflows or overlaps, text is 4.5:1, no sideways scroll`, async () => {
      const knownHosts = join(dir, `known_hosts-${c.name}`);
      await writeFile(knownHosts, '');
      const scene = await startScene({
        dir,
        staticDir,
        knownHostsPath: knownHosts,
        hosts: c.hosts,
      });
      try {
        // Its heal is the engine's heal of everything, below, whatever failed half-way.
        if (c.prepare) await c.prepare(scene);
        const firstHostGuests = scene.guestNames.filter((n) =>
          c.hosts[0]?.kind === 'lab' ? n.startsWith('lab-') : true,
        );
        for (const { name, look } of LOOKS) {
          const page = await openLook(browser, scene.server.url, look, VIEWPORT);
          try {
            await graphSettled(page, scene.guestNames);
            const shot = (suffix: string) => () =>
              page
                .screenshot({ path: join(OUTPUT, `visual-${name}-${c.name}${suffix}.png`) })
                .then(() => {});
            if (look.projector) {
              expect(await page.locator('.side').count()).toBe(0);
              await shot('')();
              expectClean(await audit(page), `${name} ${c.name}`, look);
            } else {
              for (const tab of TABS) {
                if (tab === 'guest')
                  await page
                    .locator(
                      `[data-testid="guest-node"][data-guest-name="${firstHostGuests[0]}"] .guest__name`,
                    )
                    .click();
                await page.getByTestId(`tab-${tab}`).click();
                await page.waitForTimeout(300);
                if (c.inPanels) await c.inPanels(page, tab);
                await shot(`-${tab}`)();
                expectClean(await audit(page), `${name} ${c.name} ${tab}`, look);
              }
              await page.keyboard.press('Escape');
            }
            const applies = unwrap(await scene.engine['activity.list']({ limit: 500 })).length;
            const previewed = await previewHalves(page, firstHostGuests, shot('-preview'));
            expectClean(previewed, `${name} ${c.name} preview`, look);
            expect(unwrap(await scene.engine['activity.list']({ limit: 500 })).length).toBe(
              applies,
            );
          } finally {
            await page.context().close();
          }
        }
      } finally {
        // Never leave a cut on the lab; test-driver hosts hold none.
        const healed = await scene.engine['chaos.heal']({ all: true });
        await scene.close();
        if (c.hosts.some((h) => h.kind === 'lab')) unwrap(healed);
      }
    });
  }

  it('an info notice goes by itself within its lifetime and repeats collapse; an error stays until dismissed', async () => {
    const knownHosts = join(dir, 'known_hosts-notices');
    await writeFile(knownHosts, '');
    const scene = await startScene({
      dir,
      staticDir,
      knownHostsPath: knownHosts,
      hosts: [{ kind: 'test-driver', label: 'pair', xml: testDriverNodeXml(2), guests: 2 }],
    });
    const page = await openLook(
      browser,
      scene.server.url,
      { theme: 'dark', projector: false },
      VIEWPORT,
    );
    try {
      await graphSettled(page, scene.guestNames);
      const notices = page.getByTestId('notice');
      const info = page.locator('[data-testid="notice"][data-tone="info"]');
      const error = page.locator('[data-testid="notice"][data-tone="error"]');
      // Undo with nothing to undo says so (info); said twice, it is one notice with a count.
      await page.getByTestId('undo').click();
      await info.waitFor({ state: 'visible' });
      await page.getByTestId('undo').click();
      const renewedAt = Date.now();
      await expect.poll(() => info.getAttribute('data-count')).toBe('2');
      expect(await notices.count()).toBe(1);
      // A ring of two guests is refused by the UI: an error notice.
      await page
        .locator(
          `[data-testid="guest-node"][data-guest-name="${scene.guestNames[0]}"] .guest__name`,
        )
        .click();
      await page.getByTestId('partition-majorities-ring').click();
      await error.waitFor({ state: 'visible' });
      expect(await error.textContent()).toContain('needs at least 3 guests');
      await info.waitFor({ state: 'detached', timeout: 12_000 });
      const goneAfter = Date.now() - renewedAt;
      // An info lives 6 s from its last repeat: gone after 5 s (a slow runner may add some).
      expect(goneAfter).toBeGreaterThan(5000);
      expect(goneAfter).toBeLessThan(9000);
      await page.waitForTimeout(3000);
      expect(await error.count()).toBe(1);
      await error.getByRole('button', { name: 'Dismiss' }).click();
      await error.waitFor({ state: 'detached' });
      await page.screenshot({ path: join(OUTPUT, 'visual-notices-after.png') });
    } finally {
      await page.context().close();
      await scene.close();
    }
  });
});
