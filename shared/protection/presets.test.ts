import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LibvirtSim } from '../chaos/libvirt-sim';
import { isOurs } from '../chaos/naming';
import { ensureFilters, planCuts, planHeal } from '../chaos/planner';
import type { GuestPort } from '../chaos/snapshot';
import { buildBindingXml } from '../libvirt/binding';
import { buildInterfaceXml, parseDomain } from '../libvirt/domain';
import { fixture, fixtureNames } from '../libvirt/fixtures';
import { buildFilterXml, filterRefs, parseNwfilter } from '../libvirt/nwfilter';
import { cidr, filterName, macAddress, portDev, uuid } from '../libvirt/values';
import {
  isPresetFilter,
  PRESETS,
  ProtectionError,
  parseParameterValue,
  presetById,
  presetFilterRef,
  presetFilters,
  recognisePreset,
  validatePresetParameters,
} from './presets';

const STOCK = fixtureNames('nwfilter-')
  .filter((n) => !n.includes('composite'))
  .map((n) => parseNwfilter(fixture(n)));

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtectionError) return e.problems.map((p) => p.name);
    throw e;
  }
  return [];
}

describe('protection presets', () => {
  it('offers the presets the issue names, clean-traffic first, each explained', () => {
    expect(PRESETS.map((p) => p.id)).toEqual([
      'clean-traffic',
      'clean-traffic-gateway',
      'no-mac-spoofing',
      'no-ip-spoofing',
      'no-arp-spoofing',
      'block-rogue-dhcp',
      'no-outbound-smtp',
    ]);
    expect(PRESETS.filter((p) => p.isDefault).map((p) => p.id)).toEqual(['clean-traffic']);
    for (const p of PRESETS) expect(p.description.length).toBeGreaterThan(40);
    expect(presetById('clean-traffic').parameters[0]?.description).toMatch(/rogue DHCP/);
    expect(presetById('clean-traffic').parameters[0]?.description).toMatch(/migration/);
  });

  it('names its own filters with the prefix and defines only those', () => {
    const ours = PRESETS.flatMap((p) => presetFilters(p.id));
    expect(ours.map((f) => f.name).sort()).toEqual([
      'kvm-chaos-protect-no-rogue-dhcp',
      'kvm-chaos-protect-no-smtp',
    ]);
    for (const f of ours) {
      expect(isOurs(f.name)).toBe(true);
      expect(isPresetFilter(f.name)).toBe(true);
    }
    expect(isPresetFilter('clean-traffic')).toBe(false);
    expect(presetFilters('clean-traffic')).toEqual([]);
  });

  it('drops outbound mail ports and keeps clean-traffic underneath', () => {
    const [smtp] = presetFilters('no-outbound-smtp');
    if (!smtp) throw new Error('no filter');
    const xml = buildFilterXml(smtp);
    for (const port of [25, 465, 587]) expect(xml).toContain(`dstportstart="${port}"`);
    expect(filterRefs(smtp).map((r) => r.filter)).toEqual(['clean-traffic']);
    expect(parseNwfilter(xml).entries).toHaveLength(4);
  });

  it('validates parameters by kind and says what is wrong', () => {
    expect(
      validatePresetParameters('clean-traffic', [{ name: 'IP', value: ' 192.168.77.11 ' }]),
    ).toEqual([{ name: 'IP', value: '192.168.77.11' }]);
    expect(problems(() => validatePresetParameters('clean-traffic', []))).toEqual(['IP']);
    expect(
      problems(() =>
        validatePresetParameters('clean-traffic', [{ name: 'IP', value: '192.168.77.300' }]),
      ),
    ).toEqual(['IP']);
    expect(
      problems(() =>
        validatePresetParameters('clean-traffic', [
          { name: 'IP', value: '1.2.3.4' },
          { name: 'CTRL_IP_LEARNING', value: 'any' },
        ]),
      ),
    ).toEqual(['CTRL_IP_LEARNING']);
    expect(
      problems(() =>
        validatePresetParameters('clean-traffic-gateway', [
          { name: 'IP', value: '1.2.3.4' },
          { name: 'GATEWAY_MAC', value: '52:54:00:zz:00:01' },
        ]),
      ),
    ).toEqual(['GATEWAY_MAC']);
    expect(
      validatePresetParameters('clean-traffic-gateway', [
        { name: 'IP', value: '1.2.3.4' },
        { name: 'GATEWAY_MAC', value: '52:54:00:AA:00:01' },
      ])[1],
    ).toEqual({
      name: 'GATEWAY_MAC',
      value: '52:54:00:aa:00:01',
    });
    expect(
      problems(() =>
        validatePresetParameters('no-mac-spoofing', [{ name: 'IP', value: '1.2.3.4' }]),
      ),
    ).toEqual(['IP']);
    expect(
      problems(() =>
        validatePresetParameters('clean-traffic', [{ name: 'IP', value: '10.0.0.5' }], {
          subnets: [cidr('192.168.77.0/24')],
        }),
      ),
    ).toEqual(['IP']);
    // Several addresses are a list; duplicates collapse.
    expect(
      validatePresetParameters(
        'no-ip-spoofing',
        ['10.0.0.1', '10.0.0.2', '10.0.0.1'].map((value) => ({ name: 'IP', value })),
      ).map((p) => p.value),
    ).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(parseParameterValue('ip', 'FE80::0:1')).toBe('fe80::1');
    expect(parseParameterValue('cidr', '192.168.77.0/24')).toBe('192.168.77.0/24');
    expect(parseParameterValue('cidr', '192.168.77.0')).toBeNull();
    expect(parseParameterValue('ipv6', '1.2.3.4')).toBeNull();
  });

  it('pins the known address when none is given', () => {
    expect(presetFilterRef('clean-traffic', [], { ips: ['192.168.77.11', 'fe80::1'] })).toEqual({
      filter: 'clean-traffic',
      parameters: [{ name: 'IP', value: '192.168.77.11' }],
    });
    expect(problems(() => presetFilterRef('clean-traffic', [], { ips: [] }))).toEqual(['IP']);
    expect(presetFilterRef('no-mac-spoofing', [], { ips: ['192.168.77.11'] })).toEqual({
      filter: 'no-mac-spoofing',
      parameters: [],
    });
    expect(
      presetFilterRef('block-rogue-dhcp', [{ name: 'DHCPSERVER', value: '192.168.77.1' }]).filter,
    ).toBe('kvm-chaos-protect-no-rogue-dhcp');
  });

  it('recognises the filterref a preset produces, and nothing looser', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PRESETS),
        fc.array(fc.ipV4(), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }),
        (preset, ips, octets) => {
          const given = preset.parameters.flatMap((p) =>
            p.name === 'GATEWAY_MAC'
              ? [{ name: p.name, value: octets.map((o) => o.toString(16)).join(':') }]
              : ips.map((value) => ({ name: p.name, value })),
          );
          const ref = presetFilterRef(preset.id, given);
          // As a binding shows it: libvirt adds MAC.
          const asBound = {
            ...ref,
            parameters: [...ref.parameters, { name: 'MAC', value: '52:54:00:00:00:11' }],
          };
          expect(recognisePreset(asBound)).toEqual({
            presetId: preset.id,
            parameters: ref.parameters,
          });
        },
      ),
    );
    expect(recognisePreset({ filter: filterName('clean-traffic'), parameters: [] })).toBeNull();
    expect(
      recognisePreset({
        filter: filterName('clean-traffic'),
        parameters: [{ name: 'CTRL_IP_LEARNING', value: 'dhcp' }],
      }),
    ).toBeNull();
    expect(recognisePreset({ filter: filterName('allow-arp'), parameters: [] })).toBeNull();
    const lab = parseDomain(fixture('domain-lab-node1-clean-traffic.xml')).interfaces[0]?.filterref;
    expect(lab && recognisePreset(lab)).toEqual({
      presetId: 'clean-traffic',
      parameters: [{ name: 'IP', value: '192.168.77.11' }],
    });
  });

  it('produces interface XML for update-device with only the filterref changed', () => {
    const iface = parseDomain(fixture('domain-lab-node1.xml')).interfaces[0];
    if (!iface) throw new Error('no interface');
    const xml = buildInterfaceXml(
      iface,
      presetFilterRef('no-outbound-smtp', [], { ips: ['192.168.77.11'] }),
    );
    const back = parseDomain(
      `<domain><name>x</name><uuid>${'0'.repeat(32)}</uuid><devices>${xml}</devices></domain>`,
    ).interfaces[0];
    expect(back?.filterref).toEqual({
      filter: 'kvm-chaos-protect-no-smtp',
      parameters: [{ name: 'IP', value: '192.168.77.11' }],
    });
    expect(back?.mac).toBe(iface.mac);
    expect(back?.target).toBe(iface.target);
  });

  it('gets its filters defined once, and a cut port keeps the preset through cut and heal', () => {
    const sim = new LibvirtSim({ filters: STOCK });
    const ports: GuestPort[] = [1, 2].map((n) => ({
      guest: { name: `g${n}`, uuid: uuid(`e3b65745-3b44-431d-8d46-7344a4a5a09${n}`) },
      mac: macAddress(`52:54:00:00:00:${n}${n}`),
      portdev: portDev(`vnet${n}`),
      segment: 'bridge:kcbr0',
      uncuttable: null,
    }));
    const defs = presetFilters('no-outbound-smtp');
    const ops = ensureFilters(sim.snapshot(ports), defs);
    expect(ops.map((o) => o.kind)).toEqual(['define-filter']);
    sim.applyAll(ops);
    expect(ensureFilters(sim.snapshot(ports), defs)).toEqual([]);
    // What libvirt does when update-device adds the filterref: it binds the port.
    const ref = presetFilterRef('no-outbound-smtp', [], { ips: ['192.168.77.11'] });
    const [g1, g2] = ports as [GuestPort, GuestPort];
    sim.createBinding(
      buildBindingXml({ owner: g1.guest, portdev: portDev('vnet1'), mac: g1.mac, filterref: ref }),
    );
    const before = sim.allBindingXml();
    sim.applyAll(
      planCuts(sim.snapshot(ports), [
        { from: g1.mac, to: g2.mac, direction: 'both', scope: { kind: 'all' } },
      ]).operations,
    );
    const smtpDrops = (dev: string) =>
      sim
        .rulesOn(dev)
        .filter((r) => r.filter === 'kvm-chaos-protect-no-smtp' && r.action === 'drop').length;
    expect(smtpDrops('vnet1')).toBe(3);
    const heal = planHeal(sim.snapshot(ports));
    expect(
      heal.operations.some(
        (o) => o.kind === 'undefine-filter' && o.target === 'kvm-chaos-protect-no-smtp',
      ),
    ).toBe(false);
    sim.applyAll(heal.operations);
    expect(sim.allBindingXml()).toEqual(before);
    expect(smtpDrops('vnet1')).toBe(3);
  });
});
