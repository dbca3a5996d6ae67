// The app across two real libvirt hosts (`lab up --hosts 2`): Debian's Chromium on `kvm-chaos
// serve`'s page, the engine connected to each host through its own sshd, and the guests' own
// traffic (the lab's matrix) deciding what was cut. The knife across a link between guests of
// different hosts, a selection of guests of both hosts isolated, and the "Split by host" preset
// applied; each healed from the page and judged on both hosts with virsh, byte for byte.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { labHostsEngine } from '../electron/engine/lab-support';
import type { Engine } from '../electron/engine/types';
import {
  bindingsOfEveryHost,
  expectHostsAsBefore,
  flowsBetween,
  hostsChangedSince,
  waitAllFlowing,
  waitExactlyCut,
} from '../lab/hosts-support';
import { type LabState, type Protocol, readLabState } from '../lab/lab-client';
import { type Browser, openBrowser } from './harness';
import { GraphPage } from './pages/GraphPage';

const P: readonly Protocol[] = ['icmp', 'tcp'];

let lab: LabState;
let engine: Engine;
let browser: Browser;
let graph: GraphPage;
let original: Map<string, Map<string, string>>;
let h1: string[];
let h2: string[];

/** Exactly these flows cut, every other flow between the lab's guests passing. */
async function expectExactlyCut(cut: ReturnType<typeof flowsBetween>, what: string) {
  const r = await waitExactlyCut(lab, P, cut, what);
  console.log(`hosts e2e: ${what}: seen ${(r.elapsedMs / 1000).toFixed(2)} s after asking`);
}

/** Heal all from the page; then both hosts as before, byte for byte, and every flow back. */
async function healAllFromThePage(what: string) {
  await graph.healAll();
  // The page's heal is asynchronous: the check is retried until it holds, reading each host once
  // a try.
  await vi.waitFor(() => expectHostsAsBefore(lab, original, what), { timeout: 20_000 });
  await waitAllFlowing(lab, what);
}

beforeAll(async () => {
  lab = await readLabState();
  const hosts = lab.hosts.slice(0, 2);
  if (hosts.length < 2) throw new Error('this suite needs the lab of two hosts: lab up --hosts 2');
  [h1, h2] = hosts.map((h) => h.guests.map((g) => g.name)) as [string[], string[]];
  engine = (await labHostsEngine(lab, hosts, { bindingPollMs: 1000 })).engine;
  original = await bindingsOfEveryHost(lab);
  await waitAllFlowing(lab, 'a fully connected lab', 60_000);
  browser = await openBrowser(engine);
  graph = new GraphPage(browser.page);
  await graph.open(browser.server.url, [...h1, ...h2]);
  await browser.shot('hosts-01-two-hosts');
});
afterEach(async () => {
  await engine?.['chaos.heal']({ all: true });
});
afterAll(async () => {
  await browser?.close();
  await engine?.close();
});

describe('the app on two real libvirt hosts', () => {
  it('the knife across a link between guests of two hosts cuts exactly that pair, held on one host', async () => {
    const [a, b] = [h1[0] as string, h2[0] as string];
    const points = await graph.pointsAcrossOnly(a, b);
    await graph.pickKnife();
    await graph.stroke(points, async () => {
      await expect.poll(() => graph.link(a, b).getAttribute('data-marked')).toBe('true');
      expect(await browser.page.locator('[data-testid="link"][data-marked="true"]').count()).toBe(
        1,
      );
    });
    await expectExactlyCut(flowsBetween([a], [b], P), `${a} cut from ${b} by the knife`);
    await expect.poll(() => graph.link(a, b).getAttribute('data-status')).toBe('severed');
    // A cut both ways is enforced on one end's port: one host changes, the other keeps its bytes.
    expect(await hostsChangedSince(lab, original)).toHaveLength(1);
    await browser.shot('hosts-02-knife-across-hosts');
    await healAllFromThePage('the knife cut healed');
    await expect.poll(() => graph.link(a, b).getAttribute('data-status')).toBe('intact');
  });

  it('Isolate on a selection of guests of both hosts cuts each from every other guest', async () => {
    const chosen = [h1[1] as string, h2[1] as string];
    await graph.pickSelect();
    await graph
      .guest(chosen[0] as string)
      .locator('.guest__name')
      .click();
    await graph
      .guest(chosen[1] as string)
      .locator('.guest__name')
      .click({ modifiers: ['Control'] });
    await graph.partitionButton('isolate').click();
    const sides = browser.page.getByTestId('preview-side');
    await expect.poll(() => sides.count()).toBeGreaterThan(1);
    await browser.page.getByTestId('preview-apply').click();
    const rest = [...h1, ...h2].filter((n) => !chosen.includes(n));
    await expectExactlyCut(
      [
        ...flowsBetween(chosen, rest, P),
        ...flowsBetween([chosen[0] as string], [chosen[1] as string], P),
      ],
      `${chosen.join(' and ')} isolated`,
    );
    await browser.shot('hosts-03-isolated-across-hosts');
    await healAllFromThePage('the isolation healed');
  });

  it('the Split by host preset cuts every pair across the hosts and none within one', async () => {
    await browser.page.keyboard.press('Escape');
    await browser.page.getByTestId('partition-split-by-host').click();
    const sides = browser.page.getByTestId('preview-side');
    await expect.poll(() => sides.count()).toBe(2);
    await browser.page.getByTestId('preview-apply').click();
    await expectExactlyCut(flowsBetween(h1, h2, P), 'split by host');
    await expect
      .poll(() => graph.link(h1[0] as string, h1[1] as string).getAttribute('data-status'))
      .toBe('intact');
    await expect
      .poll(() => graph.link(h1[0] as string, h2[0] as string).getAttribute('data-status'))
      .toBe('severed');
    await browser.shot('hosts-04-split-by-host');
    await healAllFromThePage('the split healed');
  });
});
