// Wrong input never reaches a host: a -5 duration, port "abc" with UDP and addresses that are not
// hosts are said beside their fields in Chromium, the actions they feed are disabled with the
// reason, an attempt anyway (a Shift stroke) is refused and logged, and the host's bindings, read
// with virsh, are exactly what they were. The engine refuses the same input from any other face.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindingXmls, ourFilters } from '../electron/engine/lab-support';
import { fullyConnected, waitForMatrix } from '../lab/lab-client';
import { dispatchCall, type Guest, unwrap } from '../shared/api';
import { type Harness, startHarness } from './harness';
import { add, GraphPage, type Point } from './pages/GraphPage';
import { SidePanelPage } from './pages/SidePanelPage';

const [N1, N2, N3] = ['lab-node1', 'lab-node2', 'lab-node3'] as const;
const DURATION_PROBLEM =
  "'-5' is not a duration: a duration is whole seconds from 1 to 604800 (a week); leave it empty for no limit";
const PORT_PROBLEM =
  "'abc' is not a port: a port is a whole number from 1 to 65535; leave it empty for every port";

let h: Harness;
let graph: GraphPage;
let side: SidePanelPage;
let original: Map<string, string>;

async function guest(name: string): Promise<Guest> {
  const inventory = unwrap(await h.engine['inventory.get']({ hostId: h.hostId }));
  const g = inventory.guests.find((x) => x.name === name);
  if (!g) throw new Error(`no guest ${name}`);
  return g;
}

/** The host holds what it held before: every binding byte for byte, none of our filters, no cut. */
async function expectHostUnchanged(): Promise<void> {
  expect(await bindingXmls()).toEqual(original);
  expect(await ourFilters()).toEqual([]);
  expect(unwrap(await h.engine['inventory.get']({ hostId: h.hostId })).cuts).toEqual([]);
}

beforeAll(async () => {
  h = await startHarness();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: h.lab, what: 'a healthy lab' });
  original = await bindingXmls();
  graph = new GraphPage(h.page);
  side = new SidePanelPage(h.page);
  await graph.open(h.server.url, [N1, N2, N3]);
});
afterAll(async () => {
  await h?.close();
});

describe('invalid input is never applied', () => {
  it('a -5 duration and port "abc" with UDP: said beside the fields, knife and partitions disabled, a stroke anyway refused and logged, the host untouched', async () => {
    await graph.setScope('UDP');
    await graph.typePort('abc');
    await graph.typeDuration('-5');

    await expect.poll(() => graph.problem('port-problem').textContent()).toBe(PORT_PROBLEM);
    await expect.poll(() => graph.problem('duration-problem').textContent()).toBe(DURATION_PROBLEM);
    expect(await graph.portField().getAttribute('aria-invalid')).toBe('true');
    expect(await graph.portField().getAttribute('aria-describedby')).toBe('port-problem');
    expect(await graph.durationField().getAttribute('aria-invalid')).toBe('true');

    const knife = graph.button('tool-knife');
    expect(await knife.isDisabled()).toBe(true);
    expect(await knife.getAttribute('aria-describedby')).toBe('port-problem duration-problem');
    expect(await knife.getAttribute('title')).toContain(
      `Not now: ${PORT_PROBLEM}; ${DURATION_PROBLEM}`,
    );

    // Partitions cut everything whatever the scope: only the duration blocks them.
    await graph.guest(N1).locator('.guest__name').click();
    const isolate = graph.partitionButton('isolate');
    await isolate.waitFor({ state: 'visible' });
    expect(await isolate.isDisabled()).toBe(true);
    expect(await isolate.getAttribute('aria-describedby')).toBe('duration-problem');
    expect(await isolate.getAttribute('title')).toContain(DURATION_PROBLEM);
    await h.shot('validation-01-field-errors');

    // The knife held with Shift still draws; what it would cut is refused, not sent.
    const g = await graph.linkGeometry(N1, N2);
    const start = add(g.middle, g.normal, -40);
    const points: Point[] = [];
    for (let i = 0; i <= 8; i++) points.push(add(start, g.normal, (80 * i) / 8));
    await graph.shiftStroke(points);

    await side.tab('activity');
    const refused = side.activityEntries('refused').first();
    await refused.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await refused.getAttribute('data-kind')).toBe('apply');
    expect(await refused.textContent()).toMatch(
      new RegExp(`Cut (${N1} from ${N2}|${N2} from ${N1}): refused by the UI, nothing sent`),
    );
    expect(await refused.textContent()).toContain(`${PORT_PROBLEM}; ${DURATION_PROBLEM}`);
    await h.shot('validation-02-refused-in-activity-log');

    // Give a wrong apply time to have landed, then ask the host itself.
    await new Promise((r) => setTimeout(r, 2000));
    await expectHostUnchanged();
    expect(await graph.link(N1, N2).getAttribute('data-status')).toBe('intact');
    await waitForMatrix(fullyConnected, { timeoutMs: 15_000, state: h.lab, what: 'nothing cut' });

    await graph.typePort('');
    await graph.typeDuration('');
    await expect.poll(() => graph.problem('port-problem').count()).toBe(0);
    await expect.poll(() => graph.problem('duration-problem').count()).toBe(0);
    expect(await knife.isDisabled()).toBe(false);
    expect(await isolate.isDisabled()).toBe(false);
    await graph.setScope('All');
  });

  it('the contract refuses the same values from any face (serve, Electron IPC) before the engine runs', async () => {
    const [a, b] = [await guest(N1), await guest(N2)];
    const cut = (scope: unknown) => ({
      from: { guestId: a.id, mac: a.interfaces[0]?.mac },
      to: { guestId: b.id, mac: b.interfaces[0]?.mac },
      direction: 'one-way',
      scope,
    });
    const timed = await dispatchCall(h.engine, 'chaos.apply', {
      cuts: [cut({ kind: 'udp' })],
      durationSeconds: -5,
    });
    expect(timed).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    if (!timed.ok)
      expect(timed.error.message).toContain('a duration is whole seconds from 1 to 604800');
    const ported = await dispatchCall(h.engine, 'chaos.apply', {
      cuts: [cut({ kind: 'udp', port: 'abc' })],
    });
    expect(ported).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    await expectHostUnchanged();
  });

  it('an address that is not a host, or the same host again, is said beside the field and Add host is disabled; the engine refuses them too and logs it', async () => {
    await side.tab('connections');
    const field = side.hostAddress();
    const button = side.addHostButton();

    await field.fill('!!! not a host ###');
    await expect
      .poll(() => side.hostAddressProblem().textContent())
      .toBe(
        "'!!! not a host ###' is not a host: give the host as ssh://user@host[:port], qemu+ssh://user@host/system or an ~/.ssh/config alias",
      );
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await button.isDisabled()).toBe(true);
    const describedBy = await button.getAttribute('aria-describedby');
    expect(describedBy).toBe(await field.getAttribute('aria-describedby'));
    expect(await button.getAttribute('title')).toContain('is not a host');

    await field.fill('ssh://root@127.0.0.1:abc');
    await expect
      .poll(() => side.hostAddressProblem().textContent())
      .toBe(
        "'abc' is not a port in ssh://root@127.0.0.1:abc: a port is a whole number from 1 to 65535",
      );
    expect(await button.isDisabled()).toBe(true);
    await h.shot('validation-03-host-address');

    // The lab is already added as qemu:///system through the local socket.
    await side.chooseLogin('Local socket');
    await field.fill('qemu+unix:///system');
    await expect
      .poll(() => side.hostAddressProblem().textContent())
      .toBe('qemu+unix:///system is already added as lab (local): its guests would show twice');
    expect(await button.isDisabled()).toBe(true);
    await h.shot('validation-04-same-host-again');

    // What the CLI does: call hosts.add itself. Refused with the same words, and logged.
    const added = await h.engine['hosts.add']({
      uri: '!!! not a host ###',
      auth: { method: 'agent' },
    });
    expect(added.ok).toBe(false);
    const again = await h.engine['hosts.add']({ uri: 'qemu:///system', auth: { method: 'local' } });
    expect(again.ok).toBe(false);
    expect(unwrap(await h.engine['hosts.list']({})).map((x) => x.uri)).toEqual(['qemu:///system']);
    await side.tab('activity');
    await expect.poll(() => side.activityEntries('refused').count()).toBeGreaterThanOrEqual(3);
    const hostRefusals = side.page.locator(
      '[data-testid="activity-entry"][data-outcome="refused"][data-kind="add-host"]',
    );
    expect(await hostRefusals.count()).toBe(2);
    expect(await hostRefusals.first().textContent()).toContain(
      'qemu:///system is already added as lab (local)',
    );
    expect(await graph.guest(N1).count()).toBe(1);
    await expectHostUnchanged();
  });

  it("a cut's badge names its exact scope and direction", async () => {
    const [from, to] = [await guest(N2), await guest(N1)];
    const mac = (g: Guest) => g.interfaces[0]?.mac as string;
    unwrap(
      await h.engine['chaos.apply']({
        cuts: [
          {
            from: { guestId: from.id, mac: mac(from) },
            to: { guestId: to.id, mac: mac(to) },
            direction: 'one-way',
            scope: { kind: 'udp', port: 53 },
          },
        ],
      }),
    );
    await expect.poll(() => graph.cutBadge(N1, N2).textContent()).toBe('UDP:53, one way');
    // The title starts with the exact scope and way; who made it and when it heals follow.
    expect(await graph.cutBadge(N1, N2).getAttribute('title')).toMatch(
      new RegExp(`^UDP:53, one way: from ${N2} to ${N1} · by `),
    );
    await h.shot('validation-05-badge');
    unwrap(await h.engine['chaos.heal']({ all: true }));
    await expect.poll(() => graph.cutBadge(N1, N2).count()).toBe(0);
    await expectHostUnchanged();
  });
});
