import { describe, expect, it } from 'vitest';
import { HostId } from '../api';
import { fixture } from '../libvirt/fixtures';
import { buildInventory, interfaceIndex, parseHost } from './build';
import { makeClassifier } from './classify';
import { filterTree } from './filter-tree';
import type { RawHostState } from './raw';

const DROP_IN = `<filter name='kvm-chaos-exp-drop-in-all' chain='root'>
  <rule action='drop' direction='in' priority='-1000'><mac srcmacaddr='$KC_PEER'/></rule>
</filter>`;

const noPresets = makeClassifier({ recognise: () => null, isPresetFilter: () => false });
const host = HostId.parse('lab');

function raw(): RawHostState {
  const filterNames = [
    'clean-traffic',
    'no-mac-spoofing',
    'no-ip-spoofing',
    'no-arp-spoofing',
    'allow-incoming-ipv4',
    'no-other-l2-traffic',
    'qemu-announce-self',
    'allow-arp',
    'no-arp-ip-spoofing',
    'no-arp-mac-spoofing',
    'qemu-announce-self-rarp',
    'no-other-rarp-traffic',
  ];
  return {
    hostname: 'kvm1',
    readAt: 0,
    domains: [
      {
        name: 'lab-node1',
        uuid: 'e3b65745-3b44-431d-8d46-7344a4a5a094',
        id: 1,
        state: 1,
        xml: fixture('domain-lab-node1-clean-traffic.xml'),
      },
    ],
    networks: [
      {
        name: 'kvmchaos-lab',
        uuid: '00000000-0000-0000-0000-000000000001',
        active: true,
        xml: fixture('network-kvmchaos-lab.xml'),
        leases: [
          { mac: '52:54:00:00:00:11', ipaddr: '192.168.77.11', type: 0, hostname: 'lab-node1' },
        ],
      },
    ],
    filters: [
      ...filterNames.map((n) => ({ name: n, uuid: '', xml: fixture(`nwfilter-${n}.xml`) })),
      { name: 'kvm-chaos-exp-cut', uuid: '', xml: fixture('nwfilter-composite-list-params.xml') },
      { name: 'kvm-chaos-exp-drop-in-all', uuid: '', xml: DROP_IN },
    ],
    bindings: [
      {
        portdev: 'vnet0',
        filter: 'kvm-chaos-exp-cut',
        xml: fixture('binding-vnet0-composite.xml'),
      },
    ],
  };
}

describe('inventory from a captured lab host', () => {
  const parsed = parseHost(raw());
  const inv = buildInventory(host, parsed, noPresets, [], 1, 0);

  it('places the guest on its network with its port and binding', () => {
    const g = inv.guests[0];
    expect(g?.name).toBe('lab-node1');
    expect(g?.state).toBe('running');
    const nic = g?.interfaces[0];
    expect(nic).toMatchObject({
      mac: '52:54:00:00:00:11',
      portdev: 'vnet0',
      segmentId: 'segment:lab:network:kvmchaos-lab',
      uncuttable: null,
      binding: { filter: 'kvm-chaos-exp-cut', class: 'ours', cutIds: [] },
    });
    // One address, credited to its strongest source: the IP pinned in the filter.
    expect(nic?.ips).toEqual([
      { family: 'ipv4', address: '192.168.77.11', source: 'filter-parameter' },
    ]);
    expect(nic?.protection).toEqual({
      kind: 'custom',
      filter: 'clean-traffic',
      parameters: [{ name: 'IP', value: '192.168.77.11' }],
    });
  });

  it('classes filters as ours, protection or foreign and says which ports use them', () => {
    const byName = new Map(inv.filters.map((f) => [f.name, f]));
    expect(byName.get('kvm-chaos-exp-cut')).toMatchObject({ class: 'ours', usedBy: ['vnet0'] });
    expect(byName.get('clean-traffic')).toMatchObject({ class: 'protection', usedBy: ['vnet0'] });
    expect(byName.get('no-mac-spoofing')?.usedBy).toEqual(['vnet0']);
    expect(inv.segments).toHaveLength(1);
    expect(interfaceIndex(host, parsed).get('52:54:00:00:00:11')?.guestName).toBe('lab-node1');
  });

  it('keeps what it could not parse visible instead of guessing', () => {
    const broken = raw();
    broken.filters.push({ name: 'bad', uuid: '', xml: '<filter name="bad"><rule' });
    expect(parseHost(broken).unreadable).toEqual([
      expect.objectContaining({ kind: 'nwfilter', name: 'bad' }),
    ]);
  });
});

describe('filter tree in plain words', () => {
  it("resolves the port's variables through nested filterrefs", () => {
    const { nodes, parameters } = filterTree(
      parseHost(raw()),
      'kvm-chaos-exp-cut',
      'vnet0',
      noPresets.filterClass,
    );
    expect(parameters.map((p) => p.name)).toContain('IP');
    expect(nodes[0]).toMatchObject({ filter: 'kvm-chaos-exp-cut', depth: 0, class: 'ours' });
    const drop = nodes.find((n) => n.filter === 'kvm-chaos-exp-drop-in-all');
    expect(drop?.rules.map((r) => r.text)).toEqual([
      'drop frames to this guest from 52:54:00:00:00:22 or 52:54:00:00:00:33',
    ]);
    const ipSpoof = nodes.find((n) => n.filter === 'no-ip-spoofing');
    expect(ipSpoof?.depth).toBe(2);
    expect(ipSpoof?.rules.some((r) => r.text.includes('192.168.77.11'))).toBe(true);
  });

  it('marks a referenced filter that is not defined', () => {
    const { nodes } = filterTree(parseHost(raw()), 'nope', undefined, noPresets.filterClass);
    expect(nodes).toEqual([expect.objectContaining({ filter: 'nope', missing: true })]);
  });
});
