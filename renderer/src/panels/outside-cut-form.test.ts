import { describe, expect, it } from 'vitest';
import { type Guest, Ipv4 } from '../../../shared/api';
import { labCut, labGuest, labHost, labInventory, labSegment } from '../../../shared/api/fixtures';
import { buildGraphModel } from '../graph/model';
import {
  cuttableInterfaces,
  gatewayChoice,
  type OutsideForm,
  readOutsideCut,
  readOutsideScope,
} from './outside-cut-form';

const onNetwork = labInventory(2, {
  segments: [{ ...labSegment, gateways: [Ipv4.parse('192.168.77.1')] }],
});
const onBridge = labInventory(2);
const node1 = onNetwork.guests[0] as Guest;
const own = { guestId: node1.id, mac: node1.interfaces[0]?.mac };

const form = (patch: Partial<OutsideForm> = {}): OutsideForm => ({
  target: '',
  direction: 'both',
  scopeKind: 'all',
  port: '',
  mac: null,
  ...patch,
});

const problemOf = (r: ReturnType<typeof readOutsideCut>) => (r.ok ? null : r.problem);

describe('the cut from outside form, read before anything is sent', () => {
  it('reads gateway as the guest network address, named so, and says the cut in words', () => {
    const r = readOutsideCut(onNetwork, node1, form({ target: ' Gateway ' }));
    expect(r).toEqual({
      ok: true,
      cut: {
        from: own,
        to: { address: '192.168.77.1', name: 'gateway' },
        direction: 'both',
        scope: { kind: 'all' },
      },
      label: 'Cut lab-node1 from gateway (192.168.77.1)',
    });
  });

  it('puts the outside end first for only incoming, the guest first for only outgoing', () => {
    const incoming = readOutsideCut(
      onNetwork,
      node1,
      form({ target: '10.1.2.3/8', direction: 'incoming' }),
    );
    expect(incoming).toMatchObject({
      ok: true,
      cut: { from: { address: '10.0.0.0/8' }, to: own, direction: 'one-way' },
      label: 'Cut traffic from 10.0.0.0/8 to lab-node1',
    });
    const outgoing = readOutsideCut(
      onNetwork,
      node1,
      form({ target: '192.168.77.53', direction: 'outgoing', scopeKind: 'udp', port: '53' }),
    );
    expect(outgoing).toMatchObject({
      ok: true,
      cut: {
        from: own,
        to: { address: '192.168.77.53' },
        direction: 'one-way',
        scope: { kind: 'udp', port: 53 },
      },
    });
    expect(outgoing.ok && outgoing.label).toMatch(
      /^Cut traffic from lab-node1 to 192\.168\.77\.53 \(.*53.* only\)$/,
    );
  });

  it('passes a DNS name on as typed: only the engine can resolve it', () => {
    expect(readOutsideCut(onNetwork, node1, form({ target: 'db.example.com' }))).toMatchObject({
      ok: true,
      cut: { to: { address: 'db.example.com' } },
      label: 'Cut lab-node1 from db.example.com',
    });
  });

  it("refuses IPv6, a bad prefix and what is no address or name, in the engine's words", () => {
    expect(problemOf(readOutsideCut(onNetwork, node1, form({ target: 'fe80::1' })))).toBe(
      "'fe80::1' is IPv6: cuts to addresses match IPv4 only",
    );
    expect(problemOf(readOutsideCut(onNetwork, node1, form({ target: '10.0.0.0/40' })))).toBe(
      "'10.0.0.0/40': the prefix length must be 0 to 32",
    );
    expect(problemOf(readOutsideCut(onNetwork, node1, form({ target: '300.1.1.1' })))).toMatch(
      /is not an IPv4 address or network/,
    );
    expect(problemOf(readOutsideCut(onNetwork, node1, form({ target: 'not a host!' })))).toBe(
      "'not a host!' is not an address, a.b.c.d/n network or DNS name",
    );
  });

  it('asks quietly for a target before one is typed, and says why the gateway is unknown', () => {
    expect(readOutsideCut(onNetwork, node1, form())).toMatchObject({
      ok: false,
      field: 'target',
      quiet: true,
    });
    const bridged = onBridge.guests[0] as Guest;
    expect(gatewayChoice(onBridge, bridged)).toBeNull();
    expect(gatewayChoice(onNetwork, node1)).toBe('Gateway (192.168.77.1)');
    expect(problemOf(readOutsideCut(onBridge, bridged, form({ target: 'gateway' })))).toMatch(
      /lab-node1 is on no libvirt network .* give the address/,
    );
  });

  it('keeps the port as typed and says what is wrong with it, beside the port', () => {
    const bad = form({ target: 'gateway', scopeKind: 'tcp', port: '0x50' });
    expect(readOutsideCut(onNetwork, node1, bad)).toMatchObject({ ok: false, field: 'port' });
    expect(readOutsideScope(bad)).toEqual({
      ok: false,
      problem:
        "'0x50' is not a port: a port is a whole number from 1 to 65535; leave it empty for every port",
    });
    // The port is not read for a scope without one.
    expect(readOutsideScope({ scopeKind: 'icmp', port: '0x50' })).toEqual({
      ok: true,
      value: { kind: 'icmp' },
    });
  });

  it('cuts on the interface chosen, and refuses a guest whose interfaces cannot be cut', () => {
    const second = {
      ...(node1.interfaces[0] as Guest['interfaces'][number]),
      mac: '52:54:00:00:01:99',
      portdev: 'vnet9',
    };
    const twoNics = { ...node1, interfaces: [...node1.interfaces, second] };
    expect(cuttableInterfaces(twoNics)).toHaveLength(2);
    expect(
      readOutsideCut(onNetwork, twoNics, form({ target: 'gateway', mac: second.mac })),
    ).toMatchObject({ ok: true, cut: { from: { mac: second.mac } } });
    const down = labGuest(1, {
      state: 'shutoff',
      interfaces: node1.interfaces.map((i) => ({
        ...i,
        portdev: null,
        uncuttable: { reason: 'not-running', explanation: 'lab-node1 is not running' },
      })),
    });
    expect(readOutsideCut(onNetwork, down, form({ target: 'gateway' }))).toEqual({
      ok: false,
      problem: 'lab-node1 is not running',
      field: 'interface',
    });
  });
});

describe("a guest's card", () => {
  it('counts its cuts to the outside, in words, and leaves them out of the links', () => {
    const outside = labCut(1, 2, {
      id: 'cut:lab:outside' as never,
      to: { address: '192.168.77.1/32', name: 'gateway' },
    });
    const inbound = labCut(1, 2, {
      id: 'cut:lab:inbound' as never,
      from: { address: '10.0.0.0/8' },
      to: own as never,
      direction: 'one-way',
    });
    const model = buildGraphModel([labHost], {
      lab: labInventory(2, { cuts: [outside, inbound, labCut(1, 2)] }),
    });
    const [g1, g2] = model.guests;
    expect(g1?.outsideCuts).toEqual(['gateway (192.168.77.1)', '10.0.0.0/8']);
    expect(g1?.cutCount).toBe(3);
    expect(g2?.outsideCuts).toEqual([]);
    expect(model.links[0]?.cuts).toHaveLength(1);
  });
});
