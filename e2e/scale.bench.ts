// `npm run bench -- scale` (issue 6.10): the graph and the knife with 500 guests, served by
// libvirt's test driver through the running libvirtd, against a 12-guest graph measured in the
// same run as the baseline. Prints figures and ratios; asserts nothing (not a timed test).
//   (a) navigation -> every guest node drawn, in Debian's Chromium (target: under 2 s);
//   (b) a real knife drag (page.mouse.move, 200 steps): per-move handling in the page and the
//       round trip of each move, and the pure hit-test (KnifeTool) in Node over the same graph.
// BENCH_ROUNDS (default 3) page loads per graph; BENCH_GUESTS (default 500) the large graph.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createEngine, type Engine, memoryProfiles } from '../electron/engine';
import { createServer } from '../electron/server/server';
import { testDriverNodeXml as nodeXml } from '../lab/test-driver-node';
import { layoutGraph } from '../renderer/src/graph/layout';
import { buildGraphModel } from '../renderer/src/graph/model';
import { center, type Point, type Rect } from '../renderer/src/tools/knife/geometry';
import { type KnifeTarget, KnifeTool } from '../renderer/src/tools/knife/knife-tool';
import { knifeTargets } from '../renderer/src/tools/knife/targets';
import { type HostInventory, type HostSummary, unwrap } from '../shared/api';
import { CHROMIUM_ARGS, ensureRendererBuilt } from './harness';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LARGE = Number(process.env.BENCH_GUESTS ?? 500);
const BASELINE = 12;
const STEPS = 200;
const TARGET_MS = 2000;
const VIEWPORT = { width: 1600, height: 1000 };

const pct = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const median = (xs: readonly number[]) => pct(xs, 50);
const ms = (x: number) => (x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(1)} ms`);
const ratio = (x: number, base: number) => `${(x / base).toFixed(1)}x`;

type Scenario = {
  guests: number;
  engine: Engine;
  host: HostSummary;
  inventory: HostInventory;
  url: string;
  connectMs: number;
  close(): Promise<void>;
};

async function scenario(dir: string, staticDir: string, guests: number): Promise<Scenario> {
  const file = join(dir, `node-${guests}.xml`);
  await writeFile(file, nodeXml(guests));
  const engine = await createEngine({
    profiles: memoryProfiles(),
    knownHostsPath: join(dir, 'known_hosts'),
  });
  const t0 = performance.now();
  const host = unwrap(
    await engine['hosts.add']({ uri: `test://${file}`, auth: { method: 'local' }, label: 'scale' }),
  );
  // hosts.add connects in the background; calling hosts.connect while that connect is still
  // under way races it (two subscriptions on one connection), so wait for its first read instead.
  let read = await engine['inventory.get']({ hostId: host.id });
  while (!read.ok && performance.now() - t0 < 120_000) {
    await new Promise((r) => setTimeout(r, 10));
    read = await engine['inventory.get']({ hostId: host.id });
  }
  const inventory = unwrap(read);
  const connectMs = performance.now() - t0;
  const summary = unwrap(await engine['hosts.list']({})).find((h) => h.id === host.id) ?? host;
  if (inventory.guests.length !== guests)
    throw new Error(`the test driver shows ${inventory.guests.length} guests, not ${guests}`);
  const server = await createServer({ api: engine, staticDir });
  return {
    guests,
    engine,
    host: summary,
    inventory,
    url: server.url,
    connectMs,
    async close() {
      await server.close();
      await engine.close();
    },
  };
}

// ---- (b, Node) the pure hit-test over the laid-out graph ------------------------------------

/**
 * The knife's targets as KnifeLayer's sampleTargets builds them, with the computed layout's boxes
 * in place of React Flow's measured ones (its loop, repeated: it lives inside the component).
 */
function knifeScene(
  host: HostSummary,
  inventory: HostInventory,
): { targets: KnifeTarget[]; bounds: Rect } {
  const model = buildGraphModel([host], { [inventory.hostId]: inventory });
  const { positions, sizes } = layoutGraph(model);
  const rect = (id: string): Rect | null => {
    const p = positions[id];
    const s = sizes[id];
    return p && s ? { ...p, ...s } : null;
  };
  const targets = knifeTargets(model, rect);
  const xs = Object.keys(positions).flatMap((id) => {
    const r = rect(id);
    return r ? [r] : [];
  });
  const minX = Math.min(...xs.map((r) => r.x));
  const minY = Math.min(...xs.map((r) => r.y));
  const maxX = Math.max(...xs.map((r) => r.x + r.width));
  const maxY = Math.max(...xs.map((r) => r.y + r.height));
  return { targets, bounds: { x: minX, y: minY, width: maxX - minX, height: maxY - minY } };
}

/** The stroke of both measurements: left to right, a quarter of the way below the middle. */
function strokeAcross(bounds: Rect, steps: number): Point[] {
  const y = bounds.y + bounds.height * 0.625;
  return Array.from({ length: steps + 1 }, (_, i) => ({
    x: bounds.x + (bounds.width * i) / steps,
    y,
  }));
}

function nodeHitTest(host: HostSummary, inventory: HostInventory, zoom: number) {
  const { targets, bounds } = knifeScene(host, inventory);
  const stroke = strokeAcross(bounds, STEPS);
  const sampleMs: number[] = [];
  const moveMs: number[] = [];
  let marked = 0;
  for (let round = 0; round < 30; round++) {
    const tool = new KnifeTool({
      sampleTargets: () => targets,
      zoom: () => zoom,
      preview: () => {},
      commit: (s) => {
        marked = s.marks.length;
      },
      click: () => {},
      cancel: () => {},
    });
    const none = { oneWay: false };
    let t = performance.now();
    tool.pointerDown(stroke[0] as Point, none);
    sampleMs.push(performance.now() - t);
    for (const p of stroke.slice(1)) {
      t = performance.now();
      tool.pointerMove(p, none);
      moveMs.push(performance.now() - t);
    }
    tool.pointerUp(stroke[stroke.length - 1] as Point, none);
  }
  return { targets: targets.length, marked, sampleMs: median(sampleMs), moveMs };
}

// ---- (a, b) in the browser ------------------------------------------------------------------

declare global {
  interface Window {
    __kcScale?: {
      want: number;
      inDomAt: number | null;
      drawnAt: number | null;
      moves: number[];
      toFrame: number[];
      longTasks: number[];
    };
  }
}

/**
 * Runs in the page before its scripts: notes when `want` guest nodes exist, and times pointer
 * moves from the first listener (window, capture) to the last (window, bubble) and to the next
 * frame. A string, not a function: tsx's name helpers do not exist in the page.
 */
function instrument(want: number): string {
  return `(() => {
  const s = { want: ${want}, inDomAt: null, drawnAt: null, moves: [], toFrame: [], longTasks: [] };
  window.__kcScale = s;
  // React Flow renders a node hidden until it has measured it, and an edge once both of its ends
  // are measured: drawn means every guest visible with its spoke, and the frame after painted.
  const visible = (el) => el.closest('.react-flow__node')?.style.visibility === 'visible';
  const painted = () => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { s.drawnAt = performance.now(); };
    requestAnimationFrame(() => channel.port2.postMessage(null));
  };
  const tick = () => {
    const guests = document.querySelectorAll('[data-testid="guest-node"]');
    if (guests.length >= s.want) {
      if (s.inDomAt === null) s.inDomAt = performance.now();
      const spokes = document.querySelectorAll('[data-testid="spoke"]').length;
      if (spokes >= s.want && [...guests].every(visible)) return painted();
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  let start = 0;
  window.addEventListener('pointermove', () => { start = performance.now(); }, { capture: true });
  window.addEventListener('pointermove', () => {
    const t0 = start;
    s.moves.push(performance.now() - t0);
    requestAnimationFrame(() => s.toFrame.push(performance.now() - t0));
  });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) s.longTasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: true });
})();`;
}

async function openGraph(browser: Browser, sc: Scenario) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  await page.addInitScript(instrument(sc.guests));
  const t0 = Date.now();
  await page.goto(sc.url);
  await page.waitForFunction(() => window.__kcScale?.drawnAt != null, null, {
    timeout: 120_000,
    polling: 100,
  });
  const wallMs = Date.now() - t0;
  const { inDomAt, drawnAt } = await page.evaluate(() => ({
    inDomAt: window.__kcScale?.inDomAt as number,
    drawnAt: window.__kcScale?.drawnAt as number,
  }));
  return { context, page, wallMs, inDomAt, drawnAt };
}

/** A real knife drag across the graph, cancelled with Esc before release (nothing is cut). */
async function knifeDrag(page: Page) {
  await page.getByTestId('tool-knife').click();
  const box = await page.getByTestId('graph').boundingBox();
  if (!box) throw new Error('no graph on the page');
  const flow = await page.locator('.react-flow__viewport').evaluate((el) => {
    const m = new DOMMatrixReadOnly(getComputedStyle(el).transform);
    return m.a;
  });
  // The drawn nodes' extent on screen, the same relative stroke as the Node measurement.
  const nodes = await page
    .locator('.react-flow__node')
    .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
  const bounds = {
    x: Math.max(box.x + 2, Math.min(...nodes.map((r) => r.left))),
    y: Math.min(...nodes.map((r) => r.top)),
    width: 0,
    height: 0,
  };
  bounds.width = Math.min(box.x + box.width - 2, Math.max(...nodes.map((r) => r.right))) - bounds.x;
  bounds.height = Math.max(...nodes.map((r) => r.bottom)) - bounds.y;
  const stroke = strokeAcross(bounds, STEPS);
  await page.evaluate(() => {
    const s = window.__kcScale;
    if (s) {
      s.moves = [];
      s.toFrame = [];
      s.longTasks = [];
    }
  });
  const roundTrips: number[] = [];
  const first = stroke[0] as Point;
  await page.mouse.move(first.x, first.y);
  await page.mouse.down();
  const t0 = performance.now();
  for (const p of stroke.slice(1)) {
    const t = performance.now();
    await page.mouse.move(p.x, p.y);
    roundTrips.push(performance.now() - t);
  }
  const dragMs = performance.now() - t0;
  // Let the last preview render before counting what the stroke marked.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  const marked = await page.locator('.is-marked').count();
  await page.keyboard.press('Escape');
  await page.mouse.up();
  const inPage = await page.evaluate(() => window.__kcScale);
  return { zoom: flow, roundTrips, dragMs, marked, inPage };
}

// ---- run ------------------------------------------------------------------------------------

const dir = await mkdtemp(join(tmpdir(), 'kc-scale-'));
const staticDir = await ensureRendererBuilt();
// A fresh temporary profile per launch (playwright's default), the e2e suite's flags.
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

type Figures = {
  guests: number;
  connectMs: number;
  wallMs: number[];
  inDomMs: number[];
  drawnMs: number[];
  drag?: Awaited<ReturnType<typeof knifeDrag>>;
  node?: ReturnType<typeof nodeHitTest>;
};
const figures: Figures[] = [];
try {
  for (const guests of [BASELINE, LARGE]) {
    const sc = await scenario(dir, staticDir, guests);
    const f: Figures = {
      guests,
      connectMs: sc.connectMs,
      wallMs: [],
      inDomMs: [],
      drawnMs: [],
    };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const { context, page, wallMs, inDomAt, drawnAt } = await openGraph(browser, sc);
        f.wallMs.push(wallMs);
        f.inDomMs.push(inDomAt);
        f.drawnMs.push(drawnAt);
        if (round === ROUNDS - 1) f.drag = await knifeDrag(page);
        await context.close();
      }
      f.node = nodeHitTest(sc.host, sc.inventory, f.drag?.zoom ?? 1);
    } finally {
      await sc.close();
    }
    figures.push(f);
  }
} finally {
  await browser.close();
  await rm(dir, { recursive: true, force: true });
}

const [base, large] = figures as [Figures, Figures];
const row = (label: string, pick: (f: Figures) => number, fmt = ms) => [
  label,
  fmt(pick(base)),
  fmt(pick(large)),
  ratio(pick(large), pick(base)),
];
const table = new Table({
  head: ['', `${BASELINE} guests (baseline)`, `${LARGE} guests`, 'ratio'],
});
table.push(
  row('engine connect + first read (test driver)', (f) => f.connectMs),
  row(`(a) navigation -> every guest node in the DOM, median of ${ROUNDS}`, (f) =>
    median(f.inDomMs),
  ),
  row('(a) navigation -> every guest visible with its spoke, painted', (f) => median(f.drawnMs)),
  row('(a) wall clock from page.goto until the bench saw it', (f) => median(f.wallMs)),
  row('(b) knife targets (links/spokes)', (f) => f.node?.targets ?? 0, String),
  [
    '(b) links marked by the drag (browser / Node)',
    ...figures.map((f) => `${f.drag?.marked} / ${f.node?.marked}`),
    '',
  ],
  row('(b) Node: sample targets once at pointer-down', (f) => f.node?.sampleMs ?? 0),
  row('(b) Node: hit-test per move p50', (f) => pct(f.node?.moveMs ?? [], 50)),
  row('(b) Node: hit-test per move p95', (f) => pct(f.node?.moveMs ?? [], 95)),
  row('(b) page: pointermove handling p50', (f) => pct(f.drag?.inPage?.moves ?? [], 50)),
  row('(b) page: pointermove handling p95', (f) => pct(f.drag?.inPage?.moves ?? [], 95)),
  row('(b) page: pointermove -> next frame p50', (f) => pct(f.drag?.inPage?.toFrame ?? [], 50)),
  row('(b) page: pointermove -> next frame p95', (f) => pct(f.drag?.inPage?.toFrame ?? [], 95)),
  row('(b) page.mouse.move round trip p50', (f) => pct(f.drag?.roundTrips ?? [], 50)),
  row('(b) page.mouse.move round trip p95', (f) => pct(f.drag?.roundTrips ?? [], 95)),
  row(`(b) whole ${STEPS}-step drag`, (f) => f.drag?.dragMs ?? 0),
  row('(b) long tasks during the drag', (f) => f.drag?.inPage?.longTasks.length ?? 0, String),
);
console.log(table.toString());
for (const f of figures)
  console.log(
    `${f.guests} guests, every round (painted, page clock): ${f.drawnMs.map(ms).join(', ')}; ` +
      `wall: ${f.wallMs.map(ms).join(', ')}; pointermoves seen by the page ` +
      `${f.drag?.inPage?.moves.length} of ${STEPS}`,
  );
const drawn = median(large.drawnMs);
console.log(
  `${LARGE} guests drawn in ${ms(drawn)} (target ${TARGET_MS} ms: ${drawn < TARGET_MS ? 'met' : 'NOT met'}); ` +
    `zoom after fit ${large.drag?.zoom.toFixed(3)}; marked by the browser drag ${large.drag?.marked}, ` +
    `by the same stroke in Node ${large.node?.marked}.`,
);
