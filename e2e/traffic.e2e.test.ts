// Live traffic end to end (issue 15, item 1): Debian's Chromium on `kvm-chaos serve`'s page, the
// engine on the lab's local socket as root (so it reads the rules' counters itself). Intact links
// move with the guests' traffic; a cut link's label counts the packets its rules dropped: once
// both guests are paused and the host's count (`ebtables -t nat -L --Lc`, read by the test itself)
// has settled, exactly that count, and the screenshot shows the two side by side
// (e2e/output/traffic-cut-drops.png).
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutBetween } from '../electron/engine/lab-support';
import {
  exactlyCut,
  fullyConnected,
  holds,
  runInNs,
  virsh,
  waitForMatrix,
} from '../lab/lab-client';
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

/** The screenshot: the page's count, with the host's own count written beside it. */
async function shotWithHostCount(label: Locator, text: string): Promise<void> {
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
  }, text);
  await h.shot('traffic-cut-drops');
}

/** How long the host's count must stay put to call it settled. */
const SETTLE_MS = 3000;

/** The host's count once it has not moved for SETTLE_MS (read every half second; 20 s at most). */
async function settledDrops(port: string): Promise<{ at: number; packets: number }> {
  const end = Date.now() + 20_000;
  let since = await ebtablesDrops(port);
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await ebtablesDrops(port);
    if (now.packets !== since.packets) since = now;
    else if (now.at - since.at >= SETTLE_MS) return now;
  }
  throw new Error(`the drops on ${port} did not settle in 20 s (last ${since.packets})`);
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
    // While the guests talk, the page shows the engine's last sample (one a second): the host's
    // count when that sample was read, so it trails the host by up to a second of drops. More
    // than nothing, never more than the host counts right after.
    await expect
      .poll(async () => Number(await drops.getAttribute('data-packets')), { timeout: 15_000 })
      .toBeGreaterThan(0);
    const live = Number(await drops.getAttribute('data-packets'));
    const hostAfterLive = await ebtablesDrops(port);
    expect(live).toBeLessThanOrEqual(hostAfterLive.packets);

    // A settled moment: with both guests paused nothing more meets the cut's rules (no other
    // guest sends with their MACs), so the host's count stays put and the page must show exactly
    // that count, not a sample it kept from before.
    await virsh(['suspend', N1]);
    try {
      await virsh(['suspend', N2]);
      const settled = await settledDrops(port);
      await expect
        .poll(async () => Number(await drops.getAttribute('data-packets')), { timeout: 10_000 })
        .toBe(settled.packets);
      const shown = Number(await drops.getAttribute('data-packets'));
      const afterShown = await ebtablesDrops(port);
      console.log(
        `e2e drops: live, the page showed ${live} and the host ${hostAfterLive.packets} right after; settled (guests paused), the host counts ${settled.packets}, the page shows ${shown}, the host ${afterShown.packets} after`,
      );
      // Counters only grow while the rules stay (a re-instantiated rule would start again at 0).
      expect(settled.packets).toBeGreaterThanOrEqual(hostAfterLive.packets);
      expect(shown).toBe(settled.packets);
      expect(afterShown.packets).toBe(settled.packets);
      expect(await drops.textContent()).toBe(`${shown} dropped`);
      await shotWithHostCount(
        label,
        `independent count (test's own ebtables -t nat -L --Lc on ${port}, both guests paused):\n${settled.packets}, unchanged for ${SETTLE_MS / 1000} s before the page showed ${shown} and after`,
      );
    } finally {
      await virsh(['resume', N1]).catch(() => {});
      await virsh(['resume', N2]).catch(() => {});
    }
  });
});
