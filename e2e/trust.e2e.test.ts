// Cuts every instance can trust, seen in Chromium: a cut made by another engine instance shows
// who made it and when it heals; rules no intent wants (an interrupted heal) are drawn orphaned,
// badged on the guest and listed in the inspector, and one Repair removes them; a cut that must
// replace a hand-written binding asks first: Cancel leaves the host byte-identical and is logged,
// "Do it anyway" cuts. Judged on the host: virsh's bindings and the guests' own traffic.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bindingXmls, labEngine, ourFilters } from '../electron/engine/lab-support';
import {
  exactlyCut,
  fullyConnected,
  holds,
  type Protocol,
  virsh,
  waitForMatrix,
} from '../lab/lab-client';
import { type CutRequest, type Guest, unwrap } from '../shared/api';
import { INTENT_NS } from '../shared/chaos/intent';
import { type Harness, startHarness } from './harness';
import { GraphPage } from './pages/GraphPage';
import { SidePanelPage } from './pages/SidePanelPage';
import { UnfilteredWindowDialog } from './pages/UnfilteredWindowDialog';

const P: Protocol[] = ['icmp', 'tcp', 'udp'];
const [N1, N2, N3] = ['lab-node1', 'lab-node2', 'lab-node3'] as const;

let h: Harness;
let graph: GraphPage;
let side: SidePanelPage;
let dialog: UnfilteredWindowDialog;
let original: Map<string, string>;
/** Ports given a binding by hand in a test, deleted after it. */
let handMade: string[] = [];

/** The notice of one link healed, its guests named in either order. */
const healedOne = (x: string, y: string) =>
  new RegExp(`^Heal (${x} – ${y}|${y} – ${x}): 1 cut healed\\.$`);
/**
 * The wall-clock moment `ms` as the UI must show it: HH:MM:SS of the local time, after the date
 * when the moment is not on the day the UI reads it (a run near midnight sees both), so the
 * pattern takes the date as optional and pins the time itself.
 */
const clockOf = (ms: number) => {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `(\\d{4}-\\d\\d-\\d\\d )?${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
};
const bothWays = (x: string, y: string) =>
  P.flatMap((protocol) => [
    { from: x, to: y, protocol },
    { from: y, to: x, protocol },
  ]);

async function expectCut(flows: ReturnType<typeof bothWays>, what: string) {
  await waitForMatrix((m) => holds(m, exactlyCut(h.lab, P, flows)), {
    timeoutMs: 30_000,
    state: h.lab,
    what,
  });
}

async function expectHostAsBefore(before: Map<string, string>, what: string) {
  await waitForMatrix(fullyConnected, { timeoutMs: 30_000, state: h.lab, what });
  // Traffic flows again as soon as our binding goes; a replaced binding comes back just after.
  await expect.poll(() => bindingXmls(), { timeout: 20_000 }).toEqual(before);
  expect(await ourFilters()).toEqual([]);
}

/** A guest's first port and MAC, as virsh lists them. */
async function portOf(name: string): Promise<{ portdev: string; mac: string }> {
  const row = (await virsh(['domiflist', name])).stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((cols) => cols[0]?.startsWith('vnet'));
  if (!row?.[0] || !row[4]) throw new Error(`no vnet for ${name}`);
  return { portdev: row[0], mac: row[4] };
}

/** clean-traffic bound to a guest's port by hand, as an admin would: a binding not ours. */
async function bindByHand(name: string): Promise<string> {
  const { portdev, mac } = await portOf(name);
  const uuid = (await virsh(['domuuid', name])).stdout.trim();
  const ip = h.lab.guests.find((g) => g.name === name)?.ip;
  const dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-e2e-'));
  try {
    const file = join(dir, 'binding.xml');
    await writeFile(
      file,
      `<filterbinding>\n  <owner>\n    <name>${name}</name>\n    <uuid>${uuid}</uuid>\n  </owner>\n  <portdev name='${portdev}'/>\n  <mac address='${mac}'/>\n  <filterref filter='clean-traffic'>\n    <parameter name='IP' value='${ip}'/>\n  </filterref>\n</filterbinding>\n`,
    );
    await virsh(['nwfilter-binding-create', file]);
    handMade.push(portdev);
    return portdev;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Removes every cut intent kept in a guest's metadata, as an interrupted heal would leave it. */
async function dropIntents(name: string): Promise<number> {
  const xml = (await virsh(['dumpxml', name])).stdout;
  const escaped = INTENT_NS.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const uris = [
    ...new Set([...xml.matchAll(new RegExp(`"(${escaped}[^"]*)"`, 'g'))].map((m) => m[1] ?? '')),
  ];
  for (const uri of uris) await virsh(['metadata', name, uri, '--remove', '--live', '--config']);
  return uris.length;
}

const endOf = (g: Guest) => {
  const mac = g.interfaces[0]?.mac;
  if (!mac) throw new Error(`${g.name} has no interface`);
  return { guestId: g.id, mac };
};

async function inventory() {
  return unwrap(await h.engine['inventory.get']({ hostId: h.hostId }));
}

/** A knife stroke straight across the middle of the link between two guests. */
async function strokeAcross(x: string, y: string) {
  await graph.pickKnife();
  await graph.stroke(await graph.pointsAcross(x, y));
}

beforeAll(async () => {
  h = await startHarness();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: h.lab, what: 'a healthy lab' });
  original = await bindingXmls();
  graph = new GraphPage(h.page);
  side = new SidePanelPage(h.page);
  dialog = new UnfilteredWindowDialog(h.page);
  await graph.open(h.server.url, [N1, N2, N3]);
});
afterEach(async () => {
  // Never leave a question open, a cut or a hand-made binding behind, whatever failed.
  if (await dialog.root().isVisible()) await dialog.cancel();
  await h?.engine['chaos.heal']({ all: true, allowUnfilteredWindow: true });
  for (const port of handMade) await virsh(['nwfilter-binding-delete', port]).catch(() => {});
  handMade = [];
});
afterAll(async () => {
  await h?.close();
});

describe('cuts every instance can trust, in the browser, on the real lab', () => {
  it('a cut made by another instance shows who made it and when it heals; Heal removes it', async () => {
    const other = await labEngine();
    try {
      const cut: CutRequest = {
        from: endOf(await other.guest(N1)),
        to: endOf(await other.guest(N2)),
        direction: 'both',
        scope: { kind: 'all' },
      };
      unwrap(await other.engine['chaos.apply']({ cuts: [cut], durationSeconds: 600 }));
    } finally {
      // Its process gone, the cut and its expiry stay on the host for everyone.
      await other.close();
    }
    await expectCut(bothWays(N1, N2), 'lab-node1 <-> lab-node2 cut by the other instance');
    await expect.poll(() => graph.link(N1, N2).getAttribute('data-status')).toBe('severed');
    const held = (await inventory()).cuts;
    expect(held).toHaveLength(1);
    const author = held[0]?.author?.user ?? '';
    expect(author).toMatch(/^[^@\s]+@[^@\s]+$/);
    expect(held[0]?.expiresAt).toBeGreaterThan(Date.now() + 500_000);
    await expect.poll(() => graph.cutAuthor(N1, N2).textContent()).toBe(author);
    expect(await graph.countdown(N1, N2).textContent()).toMatch(/^(9:[0-5]\d|10:00)$/);
    const expiresAt = held[0]?.expiresAt ?? 0;
    expect(await graph.countdown(N1, N2).getAttribute('title')).toMatch(
      new RegExp(`^Heals at ${clockOf(expiresAt)}:`),
    );

    await graph.guest(N1).locator('.guest__name').click();
    await side.tab('guest');
    const row = side.cutRows().first();
    await expect.poll(() => row.textContent()).toContain(`with ${N2}`);
    expect(await row.getByTestId('cut-made').textContent()).toMatch(
      new RegExp(`^by ${author} at ${clockOf(held[0]?.createdAt ?? 0)}$`),
    );
    expect(await row.getByTestId('cut-expiry').textContent()).toMatch(
      new RegExp(`heals at ${clockOf(expiresAt)}$`),
    );
    await h.shot('trust-01-another-instance-cut');

    await h.page.getByRole('button', { name: /^Heal link / }).click();
    // One click, one heal: no second call finding the cut already gone. Read while it shows: a
    // success notice goes by itself after a few seconds.
    await expect
      .poll(() => h.page.getByTestId('notice').allTextContents())
      .toEqual([expect.stringMatching(healedOne(N1, N2))]);
    await expectHostAsBefore(original, 'every flow back after Heal');
    await expect.poll(() => graph.link(N1, N2).getAttribute('data-status')).toBe('intact');
  });

  it('rules no intent wants are drawn orphaned, badged on the guest, listed with Repair; Repair removes them', async () => {
    const guests = (await inventory()).guests;
    const [g2, g3] = [N2, N3].map((n) => guests.find((g) => g.name === n));
    if (!g2 || !g3) throw new Error('no lab-node2 or lab-node3');
    const cut: CutRequest = {
      from: endOf(g2),
      to: endOf(g3),
      direction: 'both',
      scope: { kind: 'all' },
    };
    unwrap(await h.engine['chaos.apply']({ cuts: [cut] }));
    await expectCut(bothWays(N2, N3), 'lab-node2 <-> lab-node3 cut');
    // A heal interrupted after it removed the intent, before it removed the rules.
    const dropped = (await dropIntents(N2)) + (await dropIntents(N3));
    expect(dropped).toBe(1);

    // The engine re-reads intents (which change without any binding) on its full read.
    await expect
      .poll(() => graph.link(N2, N3).getAttribute('data-cut-state'), { timeout: 60_000 })
      .toBe('orphaned');
    const { interruptions, cuts } = await inventory();
    expect(cuts.map((c) => [c.state, c.author])).toEqual([['orphaned', null]]);
    const orphaned = interruptions.find((x) => x.kind === 'orphaned-rules');
    const port = orphaned?.portdev;
    if (!port) throw new Error(`no orphaned-rules interruption: ${JSON.stringify(interruptions)}`);
    const owner = (await inventory()).guests.find((g) =>
      g.interfaces.some((i) => i.portdev === port),
    );
    if (!owner) throw new Error(`no guest owns ${port}`);
    await expect.poll(() => graph.interruptionBadge(owner.name).count()).toBe(1);
    expect(await graph.interruptionBadge(owner.name).getAttribute('title')).toContain(
      orphaned.message,
    );
    expect(await graph.linkLabel(N2, N3).getByTestId('cut-state').textContent()).toBe('orphaned');
    await side.tab('inspector');
    const note = side.interruption(port);
    await expect
      .poll(() => note.getByTestId('interruption-message').textContent())
      .toBe(orphaned.message);
    await h.shot('trust-02-orphaned-rules');

    await note.getByTestId('repair').click();
    await expectHostAsBefore(original, 'every flow back after Repair');
    await expect.poll(() => graph.interruptionBadge(owner.name).count()).toBe(0);
    await expect.poll(() => graph.link(N2, N3).getAttribute('data-status')).toBe('intact');
    await expect.poll(() => side.portRow(port).getAttribute('data-interrupted')).toBeNull();
  });

  it('a cut that must replace hand-written bindings asks first: Cancel changes nothing and is logged, Do it anyway cuts', async () => {
    const ports = [await bindByHand(N1), await bindByHand(N2)];
    const before = await bindingXmls();
    expect(before.size).toBe(original.size + 2);
    await expect
      .poll(
        async () => (await inventory()).bindings.filter((b) => ports.includes(b.portdev)).length,
        // Bindings have no events: the engine sees them on its next poll (every 3 s).
        { timeout: 15_000 },
      )
      .toBe(2);

    await strokeAcross(N1, N2);
    await dialog.root().waitFor({ state: 'visible', timeout: 30_000 });
    const named = await dialog.ports();
    expect(named.length).toBeGreaterThan(0);
    expect(ports).toEqual(expect.arrayContaining(named));
    expect(await dialog.root().textContent()).toContain('no rules at all for about a second');
    await h.shot('trust-03-unfiltered-window-question');
    await dialog.cancel();
    await graph.pickSelect();

    await side.tab('activity');
    const refused = side.activityEntries('refused').first();
    await expect.poll(() => refused.textContent()).toContain('the unfiltered window was declined');
    expect(await refused.getAttribute('data-kind')).toBe('apply');
    await h.shot('trust-04-declined-logged');
    await expectHostAsBefore(before, 'nothing changed after Cancel');
    expect((await inventory()).cuts).toEqual([]);

    await strokeAcross(N1, N2);
    await dialog.root().waitFor({ state: 'visible', timeout: 30_000 });
    await dialog.doItAnyway();
    await graph.pickSelect();
    await expectCut(bothWays(N1, N2), 'lab-node1 <-> lab-node2 cut after Do it anyway');
    await expect.poll(() => graph.link(N1, N2).getAttribute('data-status')).toBe('severed');
    await h.shot('trust-05-cut-after-consent');

    // Healing puts the hand-written bindings back, and may have to ask again to do so.
    await h.page.getByRole('button', { name: /^Heal link / }).click();
    const asked = await dialog
      .root()
      .waitFor({ state: 'visible', timeout: 5_000 })
      .then(() => true)
      .catch(() => false);
    process.stderr.write(`heal of the replaced binding asked first: ${asked}\n`);
    if (asked) await dialog.doItAnyway();
    await expectHostAsBefore(before, 'the hand-written bindings back, byte-identical');
  });
});
