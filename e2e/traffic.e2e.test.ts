// Live traffic end to end (issue 15, item 1): Debian's Chromium on `kvm-chaos serve`'s page, the
// engine on the lab's local socket as root (so it reads the rules' counters itself). Intact links
// move with the guests' traffic; a cut link's label counts the packets its rules dropped, checked
// against `ebtables -t nat -L --Lc` read by the test itself, and the screenshot shows the two side
// by side (e2e/output/traffic-cut-drops.png).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutBetween } from '../electron/engine/lab-support';
import { exactlyCut, fullyConnected, holds, runInNs, waitForMatrix } from '../lab/lab-client';
import { unwrap } from '../shared/api';
import { type Harness, startHarness } from './harness';
import { GraphPage } from './pages/GraphPage';

const [N1, N2, N3] = ['lab-node1', 'lab-node2', 'lab-node3'] as const;
let h: Harness;
let graph: GraphPage;

/** The packets counted by every DROP rule of a port's root chains, as ebtables prints them. */
async function ebtablesDrops(port: string): Promise<{ at: number; packets: number }> {
  const { stdout } = await runInNs('ebtables', ['-t', 'nat', '-L', '--Lc']);
  const at = Date.now();
  let chain = '';
  let packets = 0;
  for (const line of stdout.split('\n')) {
    const c = /^Bridge chain: (\S+),/.exec(line);
    if (c) chain = c[1] as string;
    const m = / -j DROP , pcnt = (\d+) /.exec(line);
    if (m && (chain === `libvirt-I-${port}` || chain === `libvirt-O-${port}`))
      packets += Number(m[1]);
  }
  return { at, packets };
}

beforeAll(async () => {
  h = await startHarness();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: h.lab, what: 'a healthy lab' });
  graph = new GraphPage(h.page);
  await graph.open(h.server.url, [N1, N2, N3]);
});
afterAll(async () => {
  await h?.close();
});

describe('live traffic on the canvas', () => {
  it('moves every intact link; a cut link counts its drops as the host counts them', async () => {
    // The probes talk all the time: every link moves within a few samples.
    const flows = h.page.getByTestId('link-flow');
    await expect.poll(() => flows.count(), { timeout: 15_000 }).toBe(3);
    for (const pps of await flows.evaluateAll((els) => els.map((e) => e.getAttribute('data-pps'))))
      expect(Number(pps)).toBeGreaterThan(1);
    await h.shot('traffic-intact');

    const inv = unwrap(await h.engine['inventory.get']({ hostId: h.hostId }));
    const guest = (name: string) => {
      const g = inv.guests.find((x) => x.name === name);
      if (!g) throw new Error(`no ${name}`);
      return g;
    };
    const applied = unwrap(
      await h.engine['chaos.apply']({ cuts: [cutBetween(guest(N1), guest(N2))] }),
    );
    const port = applied.plan.portsTouched[0] as string;
    const flowsCut = (['icmp', 'tcp'] as const).flatMap((protocol) => [
      { from: N1, to: N2, protocol },
      { from: N2, to: N1, protocol },
    ]);
    await waitForMatrix((m) => holds(m, exactlyCut(h.lab, ['icmp', 'tcp'], flowsCut)), {
      timeoutMs: 30_000,
      state: h.lab,
      what: 'lab-node1 cut from lab-node2',
    });

    const label = h.page.locator('.link-label', {
      // The link names its guests in their id's order, whichever that is.
      has: h.page.getByRole('button', {
        name: new RegExp(`^Heal link (${N1} – ${N2}|${N2} – ${N1})$`),
      }),
    });
    const drops = label.getByTestId('drop-count');
    await expect
      .poll(() => drops.getAttribute('data-source'), { timeout: 15_000 })
      .toBe('rule-counters');
    // Let the count grow for a few seconds, then read the page between two readings of the host.
    const earlier = await ebtablesDrops(port);
    await new Promise((r) => setTimeout(r, 4000));
    const before = await ebtablesDrops(port);
    const shown = Number(await drops.getAttribute('data-packets'));
    const after = await ebtablesDrops(port);
    const perSecond = (before.packets - earlier.packets) / ((before.at - earlier.at) / 1000);
    console.log(
      `e2e drops: the page shows ${shown}; ebtables -L --Lc on the host said ${before.packets} just before and ${after.packets} just after (about ${perSecond.toFixed(0)} dropped a second)`,
    );
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThanOrEqual(after.packets);
    // The page is at most a couple of samples (a second each) and a round trip behind the host.
    expect(before.packets - shown).toBeLessThanOrEqual(3 * perSecond + 10);
    expect(await drops.textContent()).toBe(`${shown} dropped`);

    // The screenshot: the page's live count, with the host's own count written beside it.
    await label.evaluate((el, text) => {
      const r = el.getBoundingClientRect();
      const note = document.createElement('div');
      note.textContent = text;
      note.setAttribute('data-testid', 'independent-count');
      Object.assign(note.style, {
        position: 'fixed',
        left: `${r.left}px`,
        top: `${r.bottom + 8}px`,
        padding: '4px 8px',
        background: '#fff8c5',
        color: '#1f2328',
        border: '1px solid #d4a72c',
        borderRadius: '6px',
        font: '600 13px system-ui, sans-serif',
        zIndex: '10000',
        whiteSpace: 'pre',
      });
      document.body.append(note);
    }, `independent count (test's own ebtables -t nat -L --Lc on ${port}):\n${before.packets} just before, ${after.packets} just after the page showed ${shown}`);
    await h.shot('traffic-cut-drops');
  });
});
