import { describe, expect, it } from 'vitest';
import type { Interruption, Preset } from '../../../shared/api';
import {
  cleanTrafficPreset,
  labBinding,
  labCut,
  labGuest,
  labHost,
  labInventory,
} from '../../../shared/api/fixtures';
import { cutRows } from './cut-rows';
import { filterRows, hostInterruptions, portRows } from './inspector-rows';
import { initialTexts, parsePresetParameters } from './protection-form';

describe('inspector rows', () => {
  const inventory = labInventory(3, {
    bindings: [labBinding(1), { ...labBinding(2, 'kvm-chaos-cut-vnet1'), class: 'ours' }],
  });
  const rows = portRows([labHost], { lab: inventory });

  it('lists every port per vnet, with its binding or none', () => {
    expect(rows.map((r) => [r.portdev, r.guestName, r.class])).toEqual([
      ['vnet0', 'lab-node1', 'protection'],
      ['vnet1', 'lab-node2', 'ours'],
      ['vnet2', 'lab-node3', 'none'],
    ]);
  });

  it('searches every word across port, guest, MAC, filter and parameters', () => {
    const all = ['ours', 'protection', 'foreign'] as const;
    expect(filterRows(rows, 'clean', [...all]).map((r) => r.portdev)).toEqual(['vnet0']);
    expect(filterRows(rows, '192.168.77.12', [...all]).map((r) => r.portdev)).toEqual(['vnet1']);
    expect(filterRows(rows, 'node3 no binding', [...all]).map((r) => r.portdev)).toEqual(['vnet2']);
    expect(filterRows(rows, 'node1 ours', [...all])).toEqual([]);
  });

  it('filters by class, always keeping unfiltered ports in view', () => {
    expect(filterRows(rows, '', ['ours']).map((r) => r.portdev)).toEqual(['vnet1', 'vnet2']);
  });
});

describe('interruptions in the inspector', () => {
  const orphaned: Interruption = {
    kind: 'orphaned-rules',
    portdev: 'vnet1',
    guestId: null,
    message: 'vnet1 holds rules no cut wants: a heal was interrupted',
    repair: 'Repair the host (kvm-chaos heal --all)',
  };
  const leftover: Interruption = {
    kind: 'leftover-binding',
    portdev: 'vnet9',
    guestId: null,
    message: 'vnet9 is bound for a guest that is gone',
    repair: 'Repair the host',
  };
  const downGuest: Interruption = {
    kind: 'pending-cut',
    portdev: null,
    guestId: labGuest(3).id,
    message: 'a cut into lab-node3 waits for it to start',
    repair: 'Repair the host',
  };
  const inventory = labInventory(3, {
    bindings: [{ ...labBinding(2, 'kvm-chaos-cut-vnet1'), class: 'ours' }],
    interruptions: [orphaned, leftover, downGuest],
  });

  it('puts each on the row of its port, with a row for a port only the interruption knows', () => {
    const rows = portRows([labHost], { lab: inventory });
    expect(rows.map((r) => [r.portdev, r.interruptions.map((x) => x.kind)])).toEqual([
      ['vnet0', []],
      ['vnet1', ['orphaned-rules']],
      ['vnet2', []],
      ['vnet9', ['leftover-binding']],
    ]);
    expect(hostInterruptions([labHost], { lab: inventory })).toEqual([
      { ...downGuest, key: 'lab|0', hostId: labHost.id, hostLabel: 'lab' },
    ]);
  });

  it('never hides an interrupted port behind a class filter, and finds it by its words', () => {
    const rows = portRows([labHost], { lab: inventory });
    expect(filterRows(rows, '', ['protection']).map((r) => r.portdev)).toEqual([
      'vnet0',
      'vnet1',
      'vnet2',
      'vnet9',
    ]);
    expect(filterRows(rows, 'interrupted', ['ours']).map((r) => r.portdev)).toEqual(['vnet1']);
  });
});

describe("a guest's cuts", () => {
  it('names the other guest and the way traffic is dropped, seen from this guest', () => {
    const cuts = [
      labCut(2, 1, { direction: 'one-way', scope: { kind: 'udp', port: 53 } }),
      labCut(1, 3, { id: 'cut:b' as never, direction: 'one-way' }),
      labCut(2, 3, { id: 'cut:c' as never }),
      labCut(2, 10, { id: 'cut:d' as never }),
    ];
    const inventory = labInventory(3, { cuts });
    expect(cutRows(inventory, labGuest(2).id).map((r) => [r.peer, r.what])).toEqual([
      ['to lab-node1', 'UDP:53, one way'],
      [`with ${labGuest(10).id}`, 'All, both ways'],
      ['with lab-node3', 'All, both ways'],
    ]);
    expect(cutRows(inventory, labGuest(3).id).map((r) => r.peer)).toEqual([
      'from lab-node1',
      'with lab-node2',
    ]);
    expect(cutRows(undefined, labGuest(3).id)).toEqual([]);
  });
});

describe('protection form', () => {
  const iface = labGuest(2).interfaces[0];
  if (!iface) throw new Error('fixture has an interface');

  it('pins the IP the host knows for the guest', () => {
    expect(initialTexts(cleanTrafficPreset, iface)).toEqual({ IP: '192.168.77.12' });
  });

  it('prefers the values the interface already has for the same preset', () => {
    const current = {
      ...iface,
      protection: {
        kind: 'preset' as const,
        presetId: 'clean-traffic',
        parameters: [
          { name: 'IP', value: '10.0.0.5' },
          { name: 'IP', value: '10.0.0.6' },
        ],
      },
    };
    expect(initialTexts(cleanTrafficPreset, current)).toEqual({ IP: '10.0.0.5, 10.0.0.6' });
  });

  it('validates with the contract schemas, one parameter per value', () => {
    expect(parsePresetParameters(cleanTrafficPreset, { IP: '192.168.77.12, fd00::12' })).toEqual({
      parameters: [
        { name: 'IP', value: '192.168.77.12' },
        { name: 'IP', value: 'fd00::12' },
      ],
      errors: {},
    });
    expect(parsePresetParameters(cleanTrafficPreset, { IP: '192.168.77.300' }).errors.IP).toBe(
      '192.168.77.300 is not valid: expected e.g. 192.168.77.11.',
    );
    expect(parsePresetParameters(cleanTrafficPreset, { IP: '' }).errors.IP).toBe(
      'IP address is required.',
    );
  });

  it('refuses several values for a single-valued parameter', () => {
    const gateway: Preset = {
      ...cleanTrafficPreset,
      id: 'clean-traffic-gateway',
      parameters: [
        {
          name: 'GATEWAY_MAC',
          label: 'Gateway MAC',
          kind: 'mac',
          required: true,
          multiple: false,
          description: '',
        },
      ],
    };
    expect(
      parsePresetParameters(gateway, { GATEWAY_MAC: '52:54:00:00:00:01 52:54:00:00:00:02' }).errors,
    ).toEqual({
      GATEWAY_MAC: 'Gateway MAC takes one value.',
    });
    expect(parsePresetParameters(gateway, { GATEWAY_MAC: '52:54:00:AA:00:01' }).parameters).toEqual(
      [{ name: 'GATEWAY_MAC', value: '52:54:00:aa:00:01' }],
    );
  });
});
