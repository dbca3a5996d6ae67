// Cuts to addresses outside the guests (issue 16 item 6) against the lab through its real sshd.
// The lab's bridge address 192.168.77.1 (the guests' gateway, where the lab's dnsmasq answers
// DHCP and DNS) stands in for the outside; the test pings from it, in the lab's namespace. Judged
// by what a user would check: the gateway's pings to the cut guest die while they still reach the
// other guests, the guests still reach each other (the lab's matrix), which way a one-way cut
// drops is seen by tcpdump on the guest's tap, and heal leaves the bindings byte-identical.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_IP } from '../../lab/config';
import { pingsFromGateway } from '../../lab/gateway-ping';
import { fullyConnected, virsh, waitForMatrix } from '../../lab/lab-client';
import { type ActiveCut, type CutId, type Guest, unwrap } from '../../shared/api';
import { outsideEndFor } from '../../shared/inventory/gateway';
import { bindingXmls, capture, type LabEngine, labEngine, ourFilters } from './lab-support';

let lab: LabEngine;
let original: Map<string, string>;

function ipOf(name: string): string {
  const g = lab.lab.guests.find((x) => x.name === name);
  if (!g) throw new Error(`no ${name} in the lab`);
  return g.ip;
}

async function cutFromOutside(
  guest: Guest,
  typed: string,
  how: { direction: 'both' | 'one-way'; inbound?: boolean; scope?: ActiveCut['scope'] },
  /** The network the host holds: the address as /32 unless told. */
  held = `${typed === 'gateway' ? GATEWAY_IP : typed}/32`,
): Promise<CutId[]> {
  const inv = await lab.inventory();
  const outside = outsideEndFor(inv, guest, typed);
  const own = { guestId: guest.id, mac: guest.interfaces[0]?.mac as string };
  const [from, to] = how.inbound ? [outside, own] : [own, outside];
  const r = unwrap(
    await lab.engine['chaos.apply']({
      cuts: [{ from, to, direction: how.direction, scope: how.scope ?? { kind: 'all' } }],
    }),
  );
  // The plan lists the cut as the host will hold it: the address, named as it was asked.
  expect(r.plan.cuts.map((c) => (how.inbound ? c.from : c.to))).toEqual([
    { address: held, ...(outside.name ? { name: outside.name } : {}) },
  ]);
  return r.cutIds;
}

async function healAndCheck(cutIds: CutId[]): Promise<void> {
  unwrap(await lab.engine['chaos.heal']({ cutIds }));
  expect(await bindingXmls()).toEqual(original);
  expect(await ourFilters()).toEqual([]);
}

beforeAll(async () => {
  lab = await labEngine();
  unwrap(await lab.engine['chaos.heal']({ all: true }));
  original = await bindingXmls();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: lab.lab, what: 'lab up' });
}, 90_000);

afterAll(async () => {
  await lab?.engine['chaos.heal']({ all: true });
  await lab?.close();
});

describe('cuts to addresses outside the guests', () => {
  it('cuts a guest from its gateway both ways: exactly that traffic goes, heal restores every byte', async () => {
    const n1 = await lab.guest('lab-node1');
    const [ip1, ip2] = [ipOf('lab-node1'), ipOf('lab-node2')];
    expect(await pingsFromGateway(ip1)).toBeGreaterThanOrEqual(5);
    expect(await pingsFromGateway(ip2)).toBeGreaterThanOrEqual(5);

    const ids = await cutFromOutside(n1, 'gateway', { direction: 'both' });
    expect(ids).toHaveLength(1);
    expect(await pingsFromGateway(ip1)).toBe(0);
    expect(await pingsFromGateway(ip2)).toBeGreaterThanOrEqual(5);
    // Between guests nothing changed: every flow of the matrix still gets through.
    await waitForMatrix(fullyConnected, {
      timeoutMs: 20_000,
      state: lab.lab,
      what: 'guests still reach each other',
    });

    // Listed as the host holds it: the address, named as it was asked; kept in the guest's
    // metadata; enforced on the guest's own port by an address rule virsh shows.
    const listed = (await lab.inventory()).cuts;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      from: { guestId: n1.id },
      to: { address: `${GATEWAY_IP}/32`, name: 'gateway' },
      direction: 'both',
      state: 'applied',
    });
    const meta = (await virsh(['dumpxml', 'lab-node1'])).stdout;
    expect(meta).toMatch(
      new RegExp(`to="${GATEWAY_IP.replaceAll('.', '\\.')}/32"[^>]*to-name="gateway"`),
    );
    const rule = (await virsh(['nwfilter-dumpxml', 'kvm-chaos-drop-in-net32-all'])).stdout;
    expect(rule).toMatch(/<ip srcipaddr='\$KC_PEER' srcipmask='32'\/>/);

    await healAndCheck(ids);
    expect(await pingsFromGateway(ip1)).toBeGreaterThanOrEqual(5);
  }, 120_000);

  it('drops one way only: which way is seen on the guest tap', async () => {
    const n2 = await lab.guest('lab-node2');
    const ip2 = ipOf('lab-node2');
    const tap = n2.interfaces[0]?.portdev as string;
    const icmpFromGateway = `icmp and src host ${GATEWAY_IP}`;

    // Outside -> guest: the gateway's echo requests never reach the guest's tap.
    let ids = await cutFromOutside(n2, GATEWAY_IP, { direction: 'one-way', inbound: true });
    let toGuest = await capture(tap, icmpFromGateway, 'out');
    expect(await pingsFromGateway(ip2)).toBe(0);
    expect((await toGuest.stop()).length).toBe(0);
    await healAndCheck(ids);

    // Guest -> outside: the requests reach the guest and it answers, but no answer gets out.
    ids = await cutFromOutside(n2, GATEWAY_IP, { direction: 'one-way' });
    toGuest = await capture(tap, icmpFromGateway, 'out');
    const fromGuest = await capture(tap, `icmp and dst host ${GATEWAY_IP}`, 'in');
    expect(await pingsFromGateway(ip2, 6)).toBe(0);
    const [requests, replies] = [(await toGuest.stop()).length, (await fromGuest.stop()).length];
    expect(requests).toBeGreaterThanOrEqual(5);
    expect(requests).toBeLessThanOrEqual(6);
    expect(replies).toBeGreaterThanOrEqual(5);
    expect(replies).toBeLessThanOrEqual(6);
    await healAndCheck(ids);
  }, 120_000);

  it('keeps other protocols when the scope is one: a UDP cut leaves the pings alone', async () => {
    const n3 = await lab.guest('lab-node3');
    const ids = await cutFromOutside(
      n3,
      `${GATEWAY_IP}/24`,
      { direction: 'both', scope: { kind: 'udp', port: 53 } },
      '192.168.77.0/24',
    );
    const listed = (await lab.inventory()).cuts;
    expect(listed.map((c) => c.to)).toEqual([{ address: '192.168.77.0/24' }]);
    expect(await pingsFromGateway(ipOf('lab-node3'))).toBeGreaterThanOrEqual(5);
    await healAndCheck(ids);
  }, 120_000);

  it('refuses what it cannot hold, with a sentence, and changes nothing', async () => {
    const n1 = await lab.guest('lab-node1');
    const own = { guestId: n1.id, mac: n1.interfaces[0]?.mac as string };
    for (const [address, words] of [
      ['fe80::1', /IPv6/],
      ['10.0.0.0/40', /prefix length/],
      ['not a host!', /address/],
    ] as const) {
      const r = await lab.engine['chaos.apply']({
        cuts: [{ from: own, to: { address }, direction: 'both', scope: { kind: 'all' } }],
      });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(words);
    }
    const twoOutside = await lab.engine['chaos.apply']({
      cuts: [
        {
          from: { address: '10.0.0.1' },
          to: { address: '10.0.0.2' },
          direction: 'both',
          scope: { kind: 'all' },
        },
      ],
    });
    expect(twoOutside.ok).toBe(false);
    expect(await bindingXmls()).toEqual(original);
    expect(await ourFilters()).toEqual([]);
  });
});
