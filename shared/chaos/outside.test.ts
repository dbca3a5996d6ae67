// Cuts to addresses outside the guests (a gateway, a DNS server, a network), planned against the
// in-memory libvirt: the rule matches by IPv4 address on the guest's own port, the cut reads back
// from host state alone, and heal restores the original bindings byte for byte.
import { describe, expect, it } from 'vitest';
import { fixture, fixtureNames } from '../libvirt/fixtures';
import { buildFilterXml, parseNwfilter } from '../libvirt/nwfilter';
import { type MacAddress, macAddress, portDev, uuid } from '../libvirt/values';
import { serializeXml } from '../libvirt/xml';
import { type Cut, CutError, describeCut, flowsOf, netTarget, normaliseCuts } from './cut';
import { dropFilter } from './enforcement';
import { intentElement, intentsFor, parseIntentElement } from './intent';
import { LibvirtSim } from './libvirt-sim';
import { isOurs } from './naming';
import { listActiveCuts, PlanError, planCuts, planHeal } from './planner';
import type { GuestPort } from './snapshot';

const GATEWAY = netTarget('192.168.77.1');

function lab(running = true) {
  const sim = new LibvirtSim({
    filters: fixtureNames('nwfilter-')
      .filter((n) => !n.includes('composite'))
      .map((n) => parseNwfilter(fixture(n))),
  });
  const ports: GuestPort[] = [1, 2].map((n) => ({
    guest: { name: `lab-node${n}`, uuid: uuid(`e3b65745-3b44-431d-8d46-7344a4a5a09${n}`) },
    mac: macAddress(`52:54:00:00:00:${(n * 0x11).toString(16)}`),
    portdev: running ? portDev(`vnet${n}`) : null,
    segment: 'bridge:kcbr0',
    uncuttable: running ? null : 'not-running',
  }));
  // lab-node1 runs with clean-traffic, as the lab's guests do.
  if (running)
    sim.createBinding(
      `<filterbinding><owner><name>lab-node1</name><uuid>${ports[0]?.guest.uuid}</uuid></owner><portdev name="vnet1"/><mac address="${ports[0]?.mac}"/><filterref filter="clean-traffic"><parameter name="IP" value="192.168.77.11"/></filterref></filterbinding>`,
    );
  return { sim, ports, n1: ports[0]?.mac as MacAddress, n2: ports[1]?.mac as MacAddress };
}

describe('outside addresses as cut ends', () => {
  it('reads an address or a network, clears host bits and refuses what rules cannot match', () => {
    expect(netTarget('192.168.77.1')).toBe('192.168.77.1/32');
    expect(netTarget(' 10.1.2.3/8 ')).toBe('10.0.0.0/8');
    expect(netTarget('0.0.0.0/0')).toBe('0.0.0.0/0');
    for (const bad of ['192.168.77.256', '10.0.0.0/33', '10.0.0.0/-1', 'fe80::1', 'a/b/c', ''])
      expect(() => netTarget(bad)).toThrow(CutError);
    expect(() =>
      flowsOf({
        from: GATEWAY,
        to: netTarget('10.0.0.0/8'),
        direction: 'both',
        scope: { kind: 'all' },
      }),
    ).toThrow(/guest interface at one end/);
  });

  it('keeps the guest as the from end of a both-way cut, whichever way it was asked', () => {
    const { n1 } = lab();
    const [c] = normaliseCuts([
      { from: GATEWAY, to: n1, direction: 'both', scope: { kind: 'all' } },
    ]);
    expect(c).toEqual({ from: n1, to: GATEWAY, direction: 'both', scope: { kind: 'all' } });
    expect(describeCut(c as Cut)).toBe(`${n1} <-> 192.168.77.1 (all traffic)`);
  });

  it('matches the address by IPv4 source (in) or destination (out), with the prefix length', () => {
    const out = serializeXml(
      parseNwfilter(buildFilterXml(dropFilter('out', { kind: 'all' }, 32))).xml,
    );
    expect(out).toContain('name="kvm-chaos-drop-out-net32-all"');
    expect(out).toMatch(/<ip dstipaddr="\$KC_PEER" dstipmask="32"\/>/);
    const udp = serializeXml(
      parseNwfilter(buildFilterXml(dropFilter('in', { kind: 'udp', port: 53 }, 24))).xml,
    );
    expect(udp).toMatch(
      /<ip srcipaddr="\$KC_PEER" srcipmask="24" protocol="udp" dstportstart="53"\/>/,
    );
  });

  it('cuts a guest from its gateway on its own port, lists it from host state, heals exactly', () => {
    const { sim, ports, n1, n2 } = lab();
    const before = sim.allBindingXml();
    const wanted: Cut[] = [
      { from: n1, to: GATEWAY, direction: 'both', scope: { kind: 'all' } },
      { from: n1, to: n2, direction: 'both', scope: { kind: 'all' } },
    ];
    const plan = planCuts(sim.snapshot(ports), wanted);
    // Both cuts land on lab-node1's port: the gateway has no port, and one port covers the pair.
    expect(plan.portsTouched).toEqual(['vnet1']);
    const defined = plan.operations.filter((o) => o.kind === 'define-filter').map((o) => o.target);
    expect(defined).toEqual(
      expect.arrayContaining(['kvm-chaos-drop-in-net32-all', 'kvm-chaos-drop-out-net32-all']),
    );
    sim.applyAll(plan.operations);
    const composite = sim.filterXml(sim.bindingXml('vnet1')?.match(/filter="([^"]+)"/)?.[1] ?? '');
    expect(composite).toContain('<parameter name="KC_PEER" value="192.168.77.1"/>');
    expect(composite).toContain('<filterref filter="clean-traffic">');
    expect(planCuts(sim.snapshot(ports), wanted).operations).toEqual([]);
    expect(
      listActiveCuts(sim.snapshot(ports)).map(({ from, to, direction }) => [from, to, direction]),
    ).toEqual(
      expect.arrayContaining([
        [n1, GATEWAY, 'both'],
        [n1, n2, 'both'],
      ]),
    );
    // Healing only the gateway cut leaves the guest cut in place, changed in place.
    const partial = planCuts(sim.snapshot(ports), [wanted[1] as Cut]);
    expect(partial.unfilteredWindows).toEqual([]);
    sim.applyAll(partial.operations);
    expect(listActiveCuts(sim.snapshot(ports))).toHaveLength(1);
    expect(Object.keys(sim.allFilterXml()).filter((n) => n.includes('-net'))).toEqual([]);
    sim.applyAll(planHeal(sim.snapshot(ports)).operations);
    expect(sim.allBindingXml()).toEqual(before);
    expect(Object.keys(sim.allFilterXml()).filter(isOurs)).toEqual([]);
  });

  it('cuts one way only: guest to the outside is an out rule, outside to guest an in rule', () => {
    const { sim, ports, n2 } = lab();
    const net = netTarget('10.0.0.0/8');
    sim.applyAll(
      planCuts(sim.snapshot(ports), [
        { from: n2, to: net, direction: 'one-way', scope: { kind: 'tcp', port: 443 } },
        { from: GATEWAY, to: n2, direction: 'one-way', scope: { kind: 'icmp' } },
      ]).operations,
    );
    const refs = sim.filterXml(sim.bindingXml('vnet2')?.match(/filter="([^"]+)"/)?.[1] ?? '');
    expect(refs).toContain('filter="kvm-chaos-drop-out-net8-tcp-443"');
    expect(refs).toContain('<parameter name="KC_PEER" value="10.0.0.0"/>');
    expect(refs).toContain('filter="kvm-chaos-drop-in-net32-icmp"');
    const listed = listActiveCuts(sim.snapshot(ports));
    expect(listed.map(({ from, to, direction }) => `${from}>${to}|${direction}`).sort()).toEqual(
      [`${GATEWAY}>${n2}|one-way`, `${n2}>${net}|one-way`].sort(),
    );
  });

  it('defers a cut whose guest is stopped, and refuses one whose guest is unknown', () => {
    const { sim, ports, n1 } = lab(false);
    const plan = planCuts(sim.snapshot(ports), [
      { from: n1, to: GATEWAY, direction: 'both', scope: { kind: 'all' } },
    ]);
    expect(plan.operations).toEqual([]);
    expect(plan.deferred.map((d) => d.reason)).toEqual(['lab-node1 is not running']);
    expect(() =>
      planCuts(sim.snapshot(ports), [
        {
          from: macAddress('52:54:00:ff:ff:ff'),
          to: GATEWAY,
          direction: 'both',
          scope: { kind: 'all' },
        },
      ]),
    ).toThrow(PlanError);
  });

  it('keeps the name it was asked by in the intent, and reads only canonical networks back', () => {
    const { n1 } = lab();
    const [intent] = intentsFor(
      [{ from: n1, to: GATEWAY, direction: 'both', scope: { kind: 'all' } }],
      {
        nameOf: (e) => (e === GATEWAY ? 'gateway' : 'lab-node1'),
        author: { instance: 'test:1', user: 'u@m' },
        now: new Date('2026-12-02T16:00:00Z'),
        expiresAt: null,
        runId: null,
      },
    );
    const e = intentElement(intent as NonNullable<typeof intent>);
    const domain = uuid('e3b65745-3b44-431d-8d46-7344a4a5a091');
    const withNs = {
      ...e,
      attrs: { ...e.attrs, 'xmlns:kvmchaos': 'https://kvm-chaos.dev/xmlns/intent/1/x' },
    };
    const back = parseIntentElement(withNs, domain);
    expect(back?.cut).toEqual({ from: n1, to: GATEWAY, direction: 'both', scope: { kind: 'all' } });
    expect(back?.toName).toBe('gateway');
    const forged = { ...withNs, attrs: { ...withNs.attrs, to: '192.168.77.5/24' } };
    expect(parseIntentElement(forged, domain)).toBeNull();
    const twoNets = { ...withNs, attrs: { ...withNs.attrs, from: '10.0.0.0/8' } };
    expect(parseIntentElement(twoNets, domain)).toBeNull();
  });
});
