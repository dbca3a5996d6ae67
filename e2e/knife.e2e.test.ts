// The knife end to end: Debian's Chromium on `kvm-chaos serve`'s page, a real mouse stroke over
// the graph, the engine writing nwfilter bindings into the lab's libvirtd, and the guests' own
// traffic (the lab's matrix) deciding whether the cut happened. Heal all is judged on the host:
// every binding byte-identical to before and none of our filters left.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bindingXmls, ourFilters } from '../electron/engine/lab-support';
import { exactlyCut, fullyConnected, holds, type Protocol, waitForMatrix } from '../lab/lab-client';
import { type Harness, startHarness } from './harness';
import { add, GraphPage, type Point } from './pages/GraphPage';

const P: Protocol[] = ['icmp', 'tcp', 'udp'];
const [N1, N2, N3] = ['lab-node1', 'lab-node2', 'lab-node3'] as const;

let h: Harness;
let graph: GraphPage;
let original: Map<string, string>;

/** Both directions of every probed protocol between two guests. */
const bothWays = (x: string, y: string) =>
  P.flatMap((protocol) => [
    { from: x, to: y, protocol },
    { from: y, to: x, protocol },
  ]);

async function expectHealedOnHost(what: string): Promise<void> {
  await waitForMatrix(fullyConnected, { timeoutMs: 30_000, state: h.lab, what });
  expect(await bindingXmls()).toEqual(original);
  // Traffic flows again once the binding is gone; the heal then still undefines its drop filters
  // and releases the lock, so the filters are judged when it has finished.
  await expect.poll(() => ourFilters()).toEqual([]);
}

beforeAll(async () => {
  h = await startHarness();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: h.lab, what: 'a healthy lab' });
  original = await bindingXmls();
  graph = new GraphPage(h.page);
  await graph.open(h.server.url, [N1, N2, N3]);
  await h.shot('01-graph-intact');
});
afterEach(async () => {
  await h?.engine['chaos.heal']({ all: true });
});
afterAll(async () => {
  await h?.close();
});

describe('the knife, driven by the mouse, on the real lab', () => {
  it('a stroke across the links of lab-node1 isolates it; Heal all restores every flow and binding', async () => {
    // A straight stroke through the middles of node1's two links, overshooting both ends.
    const m12 = (await graph.linkGeometry(N1, N2)).middle;
    const m13 = (await graph.linkGeometry(N1, N3)).middle;
    const d = { x: m13.x - m12.x, y: m13.y - m12.y };
    const len = Math.hypot(d.x, d.y);
    const u = { x: d.x / len, y: d.y / len };
    const points: Point[] = [];
    const start = add(m12, u, -40);
    const steps = 10;
    for (let i = 0; i <= steps; i++) points.push(add(start, u, ((len + 80) * i) / steps));

    await graph.pickKnife();
    await graph.stroke(points, async () => {
      // While the button is down, the crossed links are marked (the preview), nothing is cut.
      await expect.poll(() => graph.link(N1, N2).getAttribute('data-marked')).toBe('true');
      await expect.poll(() => graph.link(N1, N3).getAttribute('data-marked')).toBe('true');
      expect(await graph.link(N2, N3).getAttribute('data-marked')).toBeNull();
      await h.shot('02-knife-stroke-preview');
    });

    const cut = await waitForMatrix(
      (m) => holds(m, exactlyCut(h.lab, P, [...bothWays(N1, N2), ...bothWays(N1, N3)])),
      { timeoutMs: 30_000, state: h.lab, what: 'lab-node1 isolated, node2<->node3 flowing' },
    );
    process.stderr.write(
      `knife isolate: matrix showed the cut after ${Math.round(cut.elapsedMs)} ms\n`,
    );
    await expect.poll(() => graph.link(N1, N2).getAttribute('data-status')).toBe('severed');
    await expect.poll(() => graph.link(N1, N3).getAttribute('data-status')).toBe('severed');
    expect(await graph.link(N2, N3).getAttribute('data-status')).toBe('intact');
    expect((await bindingXmls()).size).toBeGreaterThan(original.size);
    await h.shot('03-node1-isolated');

    await graph.healAll();
    await expectHealedOnHost('every flow back after Heal all');
    await expect.poll(() => graph.link(N1, N2).getAttribute('data-status')).toBe('intact');
    await expect.poll(() => graph.link(N1, N3).getAttribute('data-status')).toBe('intact');
    await h.shot('04-healed');
  });

  it("the seed's cut: UDP only, one way, a stroke along lab-node2 -> lab-node1 drops only UDP 2->1", async () => {
    await graph.setScope('UDP');
    await graph.setOneWay(true);
    const g = await graph.linkGeometry(N1, N2);
    // The path runs from data-a to data-b; the stroke must travel from node2 towards node1
    // while crossing the link, so it goes diagonally: along (2->1) plus across.
    const towardsN1 = g.a === N2 ? g.along : { x: -g.along.x, y: -g.along.y };
    const dir = add(towardsN1, g.normal);
    const start = add(g.middle, dir, -30);
    const points: Point[] = [];
    for (let i = 0; i <= 8; i++) points.push(add(start, dir, (60 * i) / 8));

    await graph.pickKnife();
    await graph.stroke(points, async () => {
      await expect.poll(() => graph.link(N1, N2).getAttribute('data-marked')).toBe('true');
      expect(await graph.link(N1, N3).getAttribute('data-marked')).toBeNull();
      expect(await graph.link(N2, N3).getAttribute('data-marked')).toBeNull();
    });

    const cut = await waitForMatrix(
      (m) => holds(m, exactlyCut(h.lab, P, [{ from: N2, to: N1, protocol: 'udp' }])),
      { timeoutMs: 30_000, state: h.lab, what: 'exactly UDP lab-node2 -> lab-node1 dropped' },
    );
    process.stderr.write(
      `knife UDP one-way: matrix showed the cut after ${Math.round(cut.elapsedMs)} ms\n`,
    );
    await expect.poll(() => graph.link(N1, N2).getAttribute('data-status')).toBe('severed');
    // The drawn direction: the arrow points the dropped way, 2 -> 1.
    expect(await graph.link(N1, N2).getAttribute('data-blocked')).toBe(
      g.a === N2 ? 'a->b' : 'b->a',
    );
    await h.shot('05-udp-one-way-2-to-1');

    await graph.healAll();
    await expectHealedOnHost('UDP 2->1 back after Heal all');
    await graph.setOneWay(false);
    await graph.setScope('All');
  });
});
