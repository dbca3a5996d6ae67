// `npm run bench -- scale` (issues 6.10, 14.3): the graph and the knife with 500 and 2000 guests,
// served by libvirt's test driver through the running libvirtd, beside a 12-guest graph measured
// in the same run as the baseline. Prints figures, ratios and the issue's goals; asserts nothing
// about speed (not a timed test).
//   (a) paint: from the inventory's arrival in the page (its WebSocket message) to the frame
//       after every guest node is visible with its spoke, in Debian's Chromium (goal: 2 s);
//   (b) a real knife drag (page.mouse.move, 200 steps): long tasks (goal: none, i.e. no task
//       over 50 ms) and pointer move -> next frame (goal: p95 within 16 ms), with the pure
//       hit-test (KnifeTool) in Node over the same graph.
// BENCH_ROUNDS (default 3) page loads per graph; BENCH_SIZES (default 500,2000) the large graphs.
// BENCH_COMPARE=DIR also measures another build of the UI (e.g. an older commit's vite build) in
// the same run, for before/after ratios; it must speak the engine's protocol of today (a build
// older than an event the engine now sends may fail, and is reported as failed). `--smoke`: 50 guests, one round, a short drag; it fails
// (exit 1) only if the graph is not drawn or the drag marks nothing, never on a timing.
import { spawnSync } from 'node:child_process';
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
import type { Point, Rect } from '../renderer/src/tools/knife/geometry';
import { type KnifeTarget, KnifeTool } from '../renderer/src/tools/knife/knife-tool';
import { knifeTargets } from '../renderer/src/tools/knife/targets';
import { type HostInventory, type HostSummary, unwrap } from '../shared/api';
import { CHROMIUM_ARGS, ensureRendererBuilt } from './harness';

const SMOKE = process.argv.includes('--smoke');
const ROUNDS = SMOKE ? 1 : Number(process.env.BENCH_ROUNDS ?? 3);
const SIZES = SMOKE
  ? [50]
  : (process.env.BENCH_SIZES ?? process.env.BENCH_GUESTS ?? '500,2000').split(',').map(Number);
const BASELINE = 12;
const STEPS = SMOKE ? 60 : Number(process.env.BENCH_STEPS ?? 200);
const TARGET_MS = 2000;
const FRAME_GOAL_MS = 16;
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
      /** Inventory-sized WebSocket messages: when each arrived, and its length. */
      data: Array<{ at: number; length: number }>;
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
  const s = { want: ${want}, inDomAt: null, drawnAt: null, data: [], moves: [], toFrame: [], longTasks: [] };
  window.__kcScale = s;
  // The data's arrival: a message carrying guests, noted before the app's own listener runs.
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        const at = performance.now();
        if (typeof e.data === 'string' && e.data.length > 1000 && e.data.includes('"guests":['))
          s.data.push({ at, length: e.data.length });
      });
    }
  };
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
    // Zoomed out, crowded segments' guests are one drawing that says how many (GuestBundle).
    const boxed = [...document.querySelectorAll('[data-testid="guest-bundle"]')]
      .reduce((n, el) => n + Number(el.getAttribute('data-count') ?? 0), 0);
    if (guests.length + boxed >= s.want) {
      if (s.inDomAt === null) s.inDomAt = performance.now();
      // Spokes are edges, or zoomed out one drawing that says how many it holds (SpokeBundle).
      const bundled = [...document.querySelectorAll('[data-testid="spoke-bundle"]')]
        .reduce((n, el) => n + Number(el.getAttribute('data-count') ?? 0), 0);
      const spokes = document.querySelectorAll('[data-testid="spoke"]').length + bundled;
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

/**
 * BENCH_PROFILE=1: a CPU profile of `run` in the page (Chrome's sampling profiler), printed as
 * the functions with the most self time, to find where a slow figure goes.
 */
async function profiled<T>(page: Page, label: string, run: () => Promise<T>): Promise<T> {
  if (process.env.BENCH_TRACE) return traced(page, label, run);
  if (!process.env.BENCH_PROFILE) return run();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  const result = await run();
  const { profile } = await cdp.send('Profiler.stop');
  const self = new Map<string, number>();
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => {
    const f = nodes.get(id)?.callFrame;
    const key = f
      ? `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}`
      : '?';
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 20);
  console.error(
    `profile ${label}:\n${top.map(([k, v]) => `  ${v.toFixed(0).padStart(6)} ms  ${k}`).join('\n')}`,
  );
  await cdp.detach();
  return result;
}

/** BENCH_TRACE=1: Chrome's timeline events of `run` summed by name (style, layout, paint...). */
async function traced<T>(page: Page, label: string, run: () => Promise<T>): Promise<T> {
  const browser = page.context().browser();
  if (!browser) return run();
  await browser.startTracing(page, {
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'],
  });
  const result = await run();
  const buffer = await browser.stopTracing();
  const events = (
    JSON.parse(buffer.toString()) as {
      traceEvents: Array<{ name: string; ph: string; dur?: number; tid: number }>;
    }
  ).traceEvents;
  const byName = new Map<string, number>();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur) continue;
    byName.set(e.name, (byName.get(e.name) ?? 0) + e.dur / 1000);
  }
  const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 16);
  console.error(
    `trace ${label}:\n${top.map(([k, v]) => `  ${v.toFixed(0).padStart(6)} ms  ${k}`).join('\n')}`,
  );
  return result;
}

async function openGraph(browser: Browser, sc: Scenario) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  await page.addInitScript(instrument(sc.guests));
  const t0 = Date.now();
  await profiled(page, `open ${sc.guests}`, async () => {
    await page.goto(sc.url);
    await page.waitForFunction(() => window.__kcScale?.drawnAt != null, null, {
      timeout: 120_000,
      polling: 100,
    });
  });
  const wallMs = Date.now() - t0;
  // BENCH_SHOTS=DIR: what was measured, as the bench saw it.
  if (process.env.BENCH_SHOTS)
    await page.screenshot({ path: join(process.env.BENCH_SHOTS, `scale-${sc.guests}.png`) });
  const { inDomAt, drawnAt, data } = await page.evaluate(() => ({
    inDomAt: window.__kcScale?.inDomAt as number,
    drawnAt: window.__kcScale?.drawnAt as number,
    data: window.__kcScale?.data ?? [],
  }));
  // The first message of the whole inventory (patches that follow are much smaller).
  const largest = Math.max(0, ...data.map((d) => d.length));
  const dataAt = data.find((d) => d.length >= largest / 2)?.at ?? Number.NaN;
  return { context, page, wallMs, inDomAt, drawnAt, dataAt };
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
  await profiled(page, 'drag', async () => {
    for (const p of stroke.slice(1)) {
      const t = performance.now();
      await page.mouse.move(p.x, p.y);
      roundTrips.push(performance.now() - t);
    }
  });
  const dragMs = performance.now() - t0;
  // Let the last preview render before counting what the stroke marked.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  // Marked edges, or the marked spokes of the zoomed-out drawing (one path: count its moves).
  const marked = await page.evaluate(() => {
    const edges = document.querySelectorAll('.react-flow__edge .is-marked').length;
    const bundle = document.querySelector('.spoke-bundle .is-marked')?.getAttribute('d') ?? '';
    return edges + (bundle.match(/M/g)?.length ?? 0);
  });
  await page.keyboard.press('Escape');
  await page.mouse.up();
  const inPage = await page.evaluate(() => window.__kcScale);
  return { zoom: flow, roundTrips, dragMs, marked, inPage };
}

// ---- run ------------------------------------------------------------------------------------

const dir = await mkdtemp(join(tmpdir(), 'kc-scale-'));
const builds = [
  { label: 'this build', dir: process.env.BENCH_UI_DIR ?? (await ensureRendererBuilt()) },
  ...(process.env.BENCH_COMPARE ? [{ label: 'compared', dir: process.env.BENCH_COMPARE }] : []),
];
// A fresh temporary profile per launch (playwright's default), the e2e suite's flags.
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

type Figures = {
  guests: number;
  build: string;
  connectMs: number;
  wallMs: number[];
  inDomMs: number[];
  drawnMs: number[];
  /** From the inventory's arrival in the page to painted. */
  paintMs: number[];
  drag?: Awaited<ReturnType<typeof knifeDrag>>;
  node?: ReturnType<typeof nodeHitTest>;
  failed?: string;
};
const figures: Figures[] = [];
try {
  for (const guests of [BASELINE, ...SIZES]) {
    const sc = await scenario(dir, builds[0]?.dir as string, guests);
    try {
      for (const build of builds) {
        const f: Figures = {
          guests,
          build: build.label,
          connectMs: sc.connectMs,
          wallMs: [],
          inDomMs: [],
          drawnMs: [],
          paintMs: [],
        };
        const server = await createServer({ api: sc.engine, staticDir: build.dir });
        try {
          for (let round = 0; round < ROUNDS; round++) {
            const opened = await openGraph(browser, { ...sc, url: server.url });
            f.wallMs.push(opened.wallMs);
            f.inDomMs.push(opened.inDomAt);
            f.drawnMs.push(opened.drawnAt);
            f.paintMs.push(opened.drawnAt - opened.dataAt);
            if (round === ROUNDS - 1) f.drag = await knifeDrag(opened.page);
            await opened.context.close();
          }
        } catch (error) {
          // A page that crashes or times out is a figure too (an older build at 2000 guests can
          // exhaust a loaded machine); the other builds and sizes still run.
          console.error(`${guests} guests, ${build.label}: failed: ${(error as Error).message}`);
          f.failed = (error as Error).message.split('\n')[0];
        } finally {
          await server.close();
        }
        f.node = nodeHitTest(sc.host, sc.inventory, f.drag?.zoom ?? 1);
        figures.push(f);
        console.error(
          `${guests} guests, ${build.label}: painted ${f.paintMs.map(ms).join(', ')} after the data`,
        );
      }
    } finally {
      await sc.close();
    }
  }
} finally {
  await browser.close();
  await rm(dir, { recursive: true, force: true });
}

const longTasks = (f: Figures) => f.drag?.inPage?.longTasks ?? [];
const metrics: Array<{
  label: string;
  pick: (f: Figures) => number;
  fmt?: (x: number) => string;
  goal?: { text: string; met: (x: number) => boolean };
}> = [
  { label: 'engine connect + first read (test driver)', pick: (f) => f.connectMs },
  {
    label: `(a) data in the page -> painted, median of ${ROUNDS}`,
    pick: (f) => median(f.paintMs),
    goal: { text: `<= ${TARGET_MS} ms`, met: (x) => x <= TARGET_MS },
  },
  { label: '(a) navigation -> every guest node in the DOM', pick: (f) => median(f.inDomMs) },
  { label: '(a) navigation -> painted', pick: (f) => median(f.drawnMs) },
  { label: '(b) knife targets (links/spokes)', pick: (f) => f.node?.targets ?? 0, fmt: String },
  {
    label: '(b) links marked by the drag (browser)',
    pick: (f) => f.drag?.marked ?? 0,
    fmt: String,
  },
  {
    label: '(b) links marked by the same stroke in Node',
    pick: (f) => f.node?.marked ?? 0,
    fmt: String,
  },
  { label: '(b) Node: sample targets + index at pointer-down', pick: (f) => f.node?.sampleMs ?? 0 },
  { label: '(b) Node: hit-test per move p95', pick: (f) => pct(f.node?.moveMs ?? [], 95) },
  {
    label: '(b) page: pointermove handling p95',
    pick: (f) => pct(f.drag?.inPage?.moves ?? [], 95),
  },
  {
    label: '(b) page: pointermove -> next frame p50',
    pick: (f) => pct(f.drag?.inPage?.toFrame ?? [], 50),
  },
  {
    label: '(b) page: pointermove -> next frame p95',
    pick: (f) => pct(f.drag?.inPage?.toFrame ?? [], 95),
    goal: { text: `<= ${FRAME_GOAL_MS} ms`, met: (x) => x <= FRAME_GOAL_MS },
  },
  {
    label: '(b) long tasks (> 50 ms) during the drag',
    pick: (f) => longTasks(f).length,
    fmt: String,
    goal: { text: 'none', met: (x) => x === 0 },
  },
  {
    label: '(b) longest task during the drag',
    pick: (f) => Math.max(0, ...longTasks(f)),
  },
  { label: `(b) whole ${STEPS}-step drag`, pick: (f) => f.drag?.dragMs ?? 0 },
];

for (const build of builds) {
  const mine = figures.filter((f) => f.build === build.label);
  const base = mine[0] as Figures;
  const large = mine.slice(1);
  const table = new Table({
    head: [
      build.label,
      `${BASELINE} guests (baseline)`,
      ...large.flatMap((f) => [`${f.guests} guests`, 'ratio']),
      'goal (largest)',
    ],
  });
  for (const m of metrics) {
    const fmt = m.fmt ?? ms;
    const last = large[large.length - 1];
    table.push([
      m.label,
      fmt(m.pick(base)),
      ...large.flatMap((f) => [fmt(m.pick(f)), ratio(m.pick(f), m.pick(base))]),
      m.goal && last ? `${m.goal.text}: ${m.goal.met(m.pick(last)) ? 'met' : 'NOT met'}` : '',
    ]);
  }
  console.log(table.toString());
}
if (builds.length > 1) {
  const table = new Table({ head: ['this build / compared', ...SIZES.map((n) => `${n} guests`)] });
  for (const m of metrics.filter((x) => x.goal)) {
    table.push([
      m.label,
      ...SIZES.map((n) => {
        const [a, b] = builds.map((x) =>
          figures.find((f) => f.guests === n && f.build === x.label),
        );
        const fmt = m.fmt ?? ms;
        return a && b ? `${fmt(m.pick(a))} / ${fmt(m.pick(b))}` : '';
      }),
    ]);
  }
  console.log(table.toString());
}
for (const f of figures)
  console.log(
    `${f.guests} guests (${f.build})${f.failed ? `, FAILED: ${f.failed}` : ''}, every round: painted after the data ${f.paintMs.map(ms).join(', ')}; ` +
      `wall ${f.wallMs.map(ms).join(', ')}; zoom after fit ${f.drag?.zoom.toFixed(3)}; ` +
      `long tasks ${longTasks(f).map(ms).join(', ') || 'none'}; ` +
      `pointermoves seen ${f.drag?.inPage?.moves.length} of ${STEPS}`,
  );
if (SMOKE) {
  // The smoke run proves the bench and the graph work, not a speed: drawn, and the drag cut.
  const broken = figures.filter(
    (f) => f.failed || !(f.paintMs.every(Number.isFinite) && (f.drag?.marked ?? 0) > 0),
  );
  if (broken.length) {
    console.error(
      `smoke: not drawn or nothing marked for ${broken.map((f) => f.guests).join(', ')} guests`,
    );
    process.exit(1);
  }
}

// The inventory behind the largest graph, read beside one virsh session doing list + dumpxml
// (reads.bench.ts), so one `bench -- scale` prints every figure of issue 14 for that size.
if (!SMOKE) {
  const largest = Math.max(...SIZES);
  console.log(`\nthe inventory of ${largest} guests, read beside virsh (reads.bench.ts):`);
  spawnSync('npx', ['tsx', 'electron/engine/reads.bench.ts'], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_GUESTS: String(largest) },
  });
}
