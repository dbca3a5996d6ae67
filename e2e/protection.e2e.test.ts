// Protection and the inspector end to end: clean-traffic turned on for one guest in the Guest
// panel must show up on the host as a binding on that guest's vnet (read with virsh, not with our
// client); the inspector must show that binding's XML as libvirt returns it; removing the
// protection must leave the guest's definition and the host's bindings as they were.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindingXmls, ourFilters } from '../electron/engine/lab-support';
import { fullyConnected, holds, virsh, waitForMatrix } from '../lab/lab-client';
import { type Harness, startHarness } from './harness';
import { GraphPage } from './pages/GraphPage';
import { SidePanelPage } from './pages/SidePanelPage';

const GUEST = 'lab-node3';
const CLEAN_TRAFFIC = /^Clean traffic \(IP pinned\)/;

let h: Harness;
let graph: GraphPage;
let side: SidePanelPage;
let mac: string;
let portdev: string;
let originalBindings: Map<string, string>;
let originalInactive: string;
let originalLive: string;
let protectedNow = false;

/** The filter bound to `port` as `virsh nwfilter-binding-list` prints it, or null. */
async function boundFilter(port: string): Promise<string | null> {
  const { stdout } = await virsh(['nwfilter-binding-list']);
  for (const line of stdout.split('\n')) {
    const [p, filter] = line.trim().split(/\s+/);
    if (p === port) return filter ?? null;
  }
  return null;
}

const withoutPortIds = (xml: string) => xml.replace(/ portid='[^']*'/g, " portid='…'");

/** `virsh define` from a string (the guest's original persistent definition). */
async function defineFrom(xml: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-e2e-'));
  try {
    await writeFile(join(dir, 'domain.xml'), xml);
    await virsh(['define', join(dir, 'domain.xml')]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${v})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  h = await startHarness();
  const guest = h.lab.guests.find((g) => g.name === GUEST);
  if (!guest) throw new Error(`no ${GUEST} in the lab`);
  const iflist = (await virsh(['domiflist', GUEST])).stdout;
  const row = iflist
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((cols) => cols[0]?.startsWith('vnet'));
  if (!row?.[0] || !row[4]) throw new Error(`no vnet for ${GUEST}:\n${iflist}`);
  [portdev, mac] = [row[0], row[4]];
  originalBindings = await bindingXmls();
  originalInactive = (await virsh(['dumpxml', '--inactive', GUEST])).stdout;
  originalLive = (await virsh(['dumpxml', GUEST])).stdout;
  expect(await boundFilter(portdev)).toBeNull(); // the lab starts unprotected
  graph = new GraphPage(h.page);
  side = new SidePanelPage(h.page);
  await graph.open(
    h.server.url,
    h.lab.guests.map((g) => g.name),
  );
});
afterAll(async () => {
  // Whatever failed, leave the lab as it was: protection off, the guest's definition restored.
  if (h && protectedNow) {
    const inv = await h.engine['inventory.get']({ hostId: h.hostId });
    const guest = inv.ok ? inv.value.guests.find((g) => g.name === GUEST) : undefined;
    if (guest) await h.engine['protection.clear']({ guestId: guest.id, mac });
  }
  if (
    originalInactive &&
    (await virsh(['dumpxml', '--inactive', GUEST])).stdout !== originalInactive
  )
    await defineFrom(originalInactive);
  await h?.close();
});

describe('per-guest protection and the binding inspector, on the real lab', () => {
  it('toggling clean-traffic in the Guest panel creates the binding on the host', async () => {
    await graph.pickSelect();
    await graph.guest(GUEST).locator('.guest__name').click();
    await side.tab('guest');
    await expect.poll(() => h.page.getByTestId('unprotected-warning').isVisible()).toBe(true);
    await h.shot('06-guest-panel-unprotected');

    await side.applyProtection(mac, CLEAN_TRAFFIC);
    protectedNow = true;
    // kvm-chaos protects through a port filter of its own that wraps clean-traffic, so later
    // cuts and heals of this port redefine that filter in place (the port never loses its rules).
    const bound = await until(
      () => boundFilter(portdev),
      (f) => f !== null,
      'a binding',
    );
    expect(bound).toMatch(/^kvm-chaos-port-lab-node3-[0-9a-f]{10}$/);
    const xml = (await virsh(['nwfilter-binding-dumpxml', portdev])).stdout;
    expect(xml).toContain(`<mac address='${mac}'/>`);
    // The wrapper holds clean-traffic with the guest's IP pinned (virsh's view of it).
    const wrapper = (await virsh(['nwfilter-dumpxml', bound as string])).stdout;
    expect(wrapper).toContain("<filterref filter='clean-traffic'>");
    expect(wrapper).toMatch(/<parameter name='IP' value='192\.168\.77\.13'\/>/);
    // Persistent too: the guest's definition names the wrapper on that interface.
    expect((await virsh(['dumpxml', '--inactive', GUEST])).stdout).toContain(
      `<filterref filter='${bound}'/>`,
    );
    // And it works: frames with a forged MAC or IP from the guest no longer arrive.
    await waitForMatrix(
      (m) =>
        holds(
          m,
          ['lab-node1', 'lab-node2'].flatMap((to) =>
            (['macspoof', 'ipspoof'] as const).map((protocol) => ({
              from: GUEST,
              to,
              protocol,
              reach: false,
            })),
          ),
        ),
      { timeoutMs: 30_000, state: h.lab, what: 'spoofed frames dropped' },
    );
    await expect.poll(() => h.page.getByTestId('unprotected-warning').count()).toBe(0);
    await expect
      .poll(() => graph.guest(GUEST).getByTestId('protection-badge').textContent())
      .toBe('clean-traffic');
    await h.shot('07-guest-clean-traffic');
  });

  it("the inspector shows the binding's XML as libvirt returns it", async () => {
    await side.tab('inspector');
    await expect.poll(() => side.portRow(portdev).getAttribute('data-guest-name')).toBe(GUEST);
    const xmlBlock = await side.openBindingXml(portdev);
    await expect.poll(() => xmlBlock.textContent()).toContain('<filterbinding>');
    const shown = (await xmlBlock.textContent()) ?? '';
    expect(shown).toContain(`<portdev name='${portdev}'/>`);
    expect(shown).toMatch(/<filterref filter='kvm-chaos-port-lab-node3-[0-9a-f]{10}'/);
    // Exactly what libvirt holds: the same text virsh prints.
    const fromVirsh = (await virsh(['nwfilter-binding-dumpxml', portdev])).stdout;
    expect(shown.trim()).toBe(fromVirsh.trim());
    await xmlBlock.scrollIntoViewIfNeeded();
    await h.shot('08-inspector-binding-xml');
  });

  it('removing the protection deletes the binding and restores the guest as it was', async () => {
    await side.tab('guest');
    await side.clearProtection(mac);
    await until(
      () => boundFilter(portdev),
      (f) => f === null,
      'the binding to go',
    );
    protectedNow = false;
    await expect.poll(() => h.page.getByTestId('unprotected-warning').isVisible()).toBe(true);
    // Live, the interface is as before; only its network port's id is new (libvirt re-creates
    // the port on update-device).
    expect(withoutPortIds((await virsh(['dumpxml', GUEST])).stdout)).toBe(
      withoutPortIds(originalLive),
    );
    expect(await bindingXmls()).toEqual(originalBindings);
    expect(await ourFilters()).toEqual([]);
    await waitForMatrix(fullyConnected, { timeoutMs: 30_000, state: h.lab, what: 'a healthy lab' });
    await h.shot('09-guest-protection-removed');
  });

  it("leaves the guest's persistent definition byte-identical after protect and unprotect", async () => {
    // update-device --config with the live interface XML can carry live-only elements (the
    // alias net0) into the persistent definition: this checks the round trip leaves none.
    expect((await virsh(['dumpxml', '--inactive', GUEST])).stdout).toBe(originalInactive);
  });
});
