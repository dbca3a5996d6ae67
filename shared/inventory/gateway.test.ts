import { describe, expect, it } from 'vitest';
import { type Guest, Ipv4 } from '../api';
import { labInventory, labSegment } from '../api/fixtures';
import { gatewayOf, outsideEndFor } from './gateway';

const onNetwork = labInventory(2, {
  segments: [{ ...labSegment, gateways: [Ipv4.parse('192.168.77.1')] }],
});
const onBridge = labInventory(2); // a segment without addresses libvirt knows of
const guest = onNetwork.guests[0] as Guest;

describe("a guest's gateway", () => {
  it('is the address of the libvirt network its interface is on, named gateway', () => {
    expect(outsideEndFor(onNetwork, guest, ' Gateway ')).toEqual({
      address: '192.168.77.1',
      name: 'gateway',
    });
  });

  it('passes anything else on as typed, for the engine to read or resolve', () => {
    expect(outsideEndFor(onNetwork, guest, ' 10.0.0.0/8 ')).toEqual({ address: '10.0.0.0/8' });
    expect(outsideEndFor(onNetwork, guest, 'db.example')).toEqual({ address: 'db.example' });
  });

  it('is not known without a network address: the user is asked for it', () => {
    expect(gatewayOf(onBridge, guest)).toEqual({
      address: null,
      why: expect.stringContaining(`${guest.name} is on no libvirt network`),
    });
    expect(() => outsideEndFor(onBridge, guest, 'gateway')).toThrow(/give the address/);
  });
});
