import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BindingDef, buildBindingXml, parseBinding } from './binding';
import { buildInterfaceXml, interfaceWithFilterRef, parseDomain } from './domain';
import { isXmlModelError } from './errors';
import type { FilterParameter } from './filterref';
import { fixture, fixtureNames } from './fixtures';
import { parseNetwork } from './network';
import {
  buildFilterXml,
  type FilterDef,
  type FilterEntry,
  filterRefs,
  filterRules,
  parseNwfilter,
} from './nwfilter';
import { filterName, hasControlCharacters, macAddress, portDev, uuid } from './values';
import { attr, child, parseXml, type XmlElement } from './xml';

/** The model without the kept tree, for comparing what two documents mean. */
function meaning<T extends { xml: XmlElement }>(m: T): Omit<T, 'xml'> {
  const { xml: _xml, ...rest } = m;
  return rest;
}

function expectCode(fn: () => unknown, code: string) {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isXmlModelError(caught) && caught.code, String(caught)).toBe(code);
}

describe('nwfilter XML', () => {
  it('reads clean-traffic as libvirt holds it: refs and rules interleaved, in order', () => {
    const f = parseNwfilter(fixture('nwfilter-clean-traffic.xml'));
    expect(f.name).toBe('clean-traffic');
    expect(f.chain).toBe('root');
    expect(f.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      f.entries.map((e) =>
        e.kind === 'rule'
          ? `rule:${e.rule.action}`
          : e.kind === 'filterref'
            ? e.ref.filter
            : 'other',
      ),
    ).toEqual([
      'no-mac-spoofing',
      'no-ip-spoofing',
      'rule:accept',
      'allow-incoming-ipv4',
      'no-arp-spoofing',
      'rule:accept',
      'no-other-l2-traffic',
      'qemu-announce-self',
    ]);
    const [accept] = filterRules(f);
    expect(accept).toEqual({
      action: 'accept',
      direction: 'out',
      priority: -650,
      matches: [{ protocol: 'mac', attrs: { protocolid: 'ipv4' } }],
    });
  });

  it('reads chain priorities, variables and rules without a protocol element', () => {
    const f = parseNwfilter(fixture('nwfilter-no-ip-spoofing.xml'));
    expect(f.chain).toBe('ipv4-ip');
    expect(f.priority).toBe(-710);
    const rules = filterRules(f);
    expect(rules[1]?.matches[0]).toEqual({ protocol: 'ip', attrs: { srcipaddr: '$IP' } });
    expect(rules[2]).toEqual({ action: 'drop', direction: 'out', priority: 1000, matches: [] });
  });

  it('reads nested filterrefs with list parameters, in order', () => {
    const f = parseNwfilter(fixture('nwfilter-composite-list-params.xml'));
    expect(filterRefs(f)).toEqual([
      {
        filter: 'kvm-chaos-exp-drop-in-all',
        parameters: [
          { name: 'KC_PEER', value: '52:54:00:00:00:22' },
          { name: 'KC_PEER', value: '52:54:00:00:00:33' },
        ],
      },
      { filter: 'clean-traffic', parameters: [{ name: 'IP', value: '192.168.77.11' }] },
    ]);
  });

  it('rebuilds every captured filter to the same tree', () => {
    for (const name of fixtureNames('nwfilter-')) {
      const text = fixture(name);
      const f = parseNwfilter(text);
      const rebuilt = buildFilterXml(f);
      expect(parseXml(rebuilt), name).toEqual(parseXml(text));
      expect(meaning(parseNwfilter(rebuilt)), name).toEqual(meaning(f));
    }
  });

  it('keeps what it does not model when rebuilding', () => {
    const text = `<filter name='t' chain='root' newattr='1'>
  <uuid>5c6d49af-b071-6127-b4ec-6f8ed4b55335</uuid>
  <rule action='accept' direction='out' statematch='false' zone='z'>
    <tcp srcipaddr='$A' srcportstart='$B[@0]' dscp='1' future='f'/>
  </rule>
  <mystery><inner/></mystery>
  <filterref filter='clean-traffic'/>
</filter>`;
    const f = parseNwfilter(text);
    expect(f.otherAttrs).toEqual({ newattr: '1' });
    expect(filterRules(f)[0]?.statematch).toBe(false);
    expect(filterRules(f)[0]?.otherAttrs).toEqual({ zone: 'z' });
    expect(f.entries[1]?.kind).toBe('other');
    expect(parseXml(buildFilterXml(f))).toEqual(parseXml(text));
  });

  it('gives typed errors for filters libvirt would refuse', () => {
    expectCode(() => parseNwfilter('<filter chain="root"/>'), 'missing');
    expectCode(() => parseNwfilter('<filter name="x"><rule direction="in"/></filter>'), 'missing');
    expectCode(
      () => parseNwfilter('<filter name="x"><rule action="drop" direction="sideways"/></filter>'),
      'invalid-value',
    );
    expectCode(() => parseNwfilter('<filter name="x" priority="high"/>'), 'invalid-value');
    expectCode(() => parseNwfilter('<filter name="x"><uuid>nope</uuid></filter>'), 'invalid-value');
    expectCode(() => parseNwfilter('<filter name="x"><filterref/></filter>'), 'missing');
    expectCode(
      () => parseNwfilter('<filter name="x"><rule action="drop" direction="in"></filter>'),
      'malformed-xml',
    );
  });
});

const hostileText = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
  .filter((s) => s.trim() !== '' && !hasControlCharacters(s))
  .map((s) => s);
const hostileName = fc.oneof(
  hostileText,
  fc.constantFrom(`it's`, `"quoted"`, 'a & b', '<guest>', 'naïve-été-日本', `'; rm -rf /; '`),
);
const filterNameArb = hostileName.filter((s) => !s.includes('/'));
const paramArb: fc.Arbitrary<FilterParameter> = fc.record({
  name: fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/),
  value: fc.stringMatching(/^[A-Za-z0-9_.:]{1,20}$/),
});
const attrValue = fc.oneof(hostileText, fc.constantFrom('$PEER', '52:54:00:00:00:22', `'"&<>`));
const entryArb: fc.Arbitrary<FilterEntry> = fc.oneof(
  fc.record({
    kind: fc.constant('rule' as const),
    rule: fc.record(
      {
        action: fc.constantFrom('drop', 'accept', 'reject', 'return', 'continue'),
        direction: fc.constantFrom('in' as const, 'out' as const, 'inout' as const),
        priority: fc.integer({ min: -1000, max: 1000 }),
        statematch: fc.boolean(),
        matches: fc.array(
          fc.record({
            protocol: fc.constantFrom('mac', 'ip', 'ipv6', 'arp', 'tcp', 'udp', 'icmp', 'all'),
            attrs: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/), attrValue, {
              maxKeys: 4,
            }),
          }),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: ['action', 'direction', 'matches'] },
    ),
  }),
  fc.record({
    kind: fc.constant('filterref' as const),
    ref: fc.record({
      filter: filterNameArb.map(filterName),
      parameters: fc.array(paramArb, { maxLength: 4 }),
    }),
  }),
);

describe('building filter XML', () => {
  it('round-trips random filters with hostile names and values', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            name: filterNameArb.map(filterName),
            uuid: fc.uuid().map(uuid),
            chain: fc.constantFrom('root', 'mac', 'ipv4', 'arp-ip', 'ipv6'),
            priority: fc.integer({ min: -1000, max: 1000 }),
            entries: fc.array(entryArb, { maxLength: 6 }),
          },
          { requiredKeys: ['name', 'entries'] },
        ),
        (def: FilterDef) => {
          const back = parseNwfilter(buildFilterXml(def));
          expect(meaning(back)).toEqual(def);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses parameters libvirt would silently skip', () => {
    const def = (p: FilterParameter): FilterDef => ({
      name: filterName('t'),
      entries: [
        { kind: 'filterref', ref: { filter: filterName('clean-traffic'), parameters: [p] } },
      ],
    });
    expectCode(() => buildFilterXml(def({ name: 'IP', value: '10.0.0.0/8' })), 'invalid-value');
    expectCode(() => buildFilterXml(def({ name: 'IP', value: '' })), 'invalid-value');
    expectCode(() => buildFilterXml(def({ name: 'I-P', value: '1.2.3.4' })), 'invalid-value');
    expectCode(() => buildFilterXml(def({ name: 'IP', value: `1.2.3.4' x='` })), 'invalid-value');
    expect(buildFilterXml(def({ name: 'IP', value: '1.2.3.4' }))).toContain('value="1.2.3.4"');
  });
});

describe('filter binding XML', () => {
  it('reads a binding libvirt made from a domain interface', () => {
    const b = parseBinding(fixture('binding-vnet0-clean-traffic.xml'));
    expect(meaning(b)).toEqual({
      owner: { name: 'lab-node1', uuid: 'e3b65745-3b44-431d-8d46-7344a4a5a094' },
      portdev: 'vnet0',
      mac: '52:54:00:00:00:11',
      filterref: {
        filter: 'clean-traffic',
        parameters: [
          { name: 'IP', value: '192.168.77.11' },
          { name: 'MAC', value: '52:54:00:00:00:11' },
        ],
      },
    });
  });

  it('rebuilds every captured binding to the same tree', () => {
    for (const name of fixtureNames('binding-')) {
      const text = fixture(name);
      const rebuilt = buildBindingXml(parseBinding(text));
      expect(parseXml(rebuilt), name).toEqual(parseXml(text));
    }
  });

  it('round-trips hostile owner names and list parameters', () => {
    fc.assert(
      fc.property(
        hostileName,
        fc.uuid(),
        fc.stringMatching(/^[a-z][a-z0-9_-]{0,14}$/),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }),
        fc.array(paramArb, { maxLength: 6 }),
        (owner, id, dev, octets, parameters) => {
          const def: BindingDef = {
            owner: { name: owner, uuid: uuid(id) },
            portdev: portDev(dev),
            mac: macAddress(octets.map((o) => o.toString(16)).join(':')),
            filterref: { filter: filterName('kvm-chaos-cut-x'), parameters },
          };
          expect(meaning(parseBinding(buildBindingXml(def)))).toEqual(def);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives typed errors for incomplete bindings', () => {
    const full = fixture('binding-vnet0-clean-traffic.xml');
    expectCode(() => parseBinding(full.replace(/<portdev[^>]*>/, '')), 'missing');
    expectCode(
      () => parseBinding(full.replace(/<mac address='[^']*'\/>/, "<mac address='nope'/>")),
      'invalid-value',
    );
    expectCode(() => parseBinding(full.replace(/<uuid>[^<]*<\/uuid>/, '')), 'missing');
    expectCode(() => parseBinding(full.replace(/<filterref[\s\S]*<\/filterref>/, '')), 'missing');
  });
});

describe('domain XML', () => {
  it('reads identity, state and the interface of a running lab guest', () => {
    const d = parseDomain(fixture('domain-lab-node1.xml'));
    expect(d.name).toBe('lab-node1');
    expect(d.uuid).toBe('e3b65745-3b44-431d-8d46-7344a4a5a094');
    expect(d.active).toBe(true);
    expect(d.id).toBeGreaterThan(0);
    expect(d.interfaces).toHaveLength(1);
    const [i] = d.interfaces;
    expect(i && meaning(i)).toEqual({
      type: 'network',
      rawType: 'network',
      mac: '52:54:00:00:00:11',
      target: 'vnet0',
      source: { network: 'kvmchaos-lab', bridge: 'kcbr0', portid: expect.any(String) },
      model: 'virtio',
      alias: 'net0',
    });
  });

  it('knows an inactive definition has no port', () => {
    const d = parseDomain(fixture('domain-lab-node1-inactive.xml'));
    expect(d.active).toBe(false);
    expect(d.id).toBeUndefined();
    expect(d.interfaces[0]?.target).toBeUndefined();
  });

  it('reads a filterref with its parameters', () => {
    const d = parseDomain(fixture('domain-lab-node1-clean-traffic.xml'));
    expect(d.interfaces[0]?.filterref).toEqual({
      filter: 'clean-traffic',
      parameters: [{ name: 'IP', value: '192.168.77.11' }],
    });
  });

  it('classifies bridge, direct and other interfaces', () => {
    const d =
      parseDomain(`<domain type='kvm'><name>g &amp; "h"</name><uuid>e3b65745-3b44-431d-8d46-7344a4a5a094</uuid>
      <devices>
        <interface type='bridge'><mac address='52:54:00:AA:00:01'/><source bridge='br0'/><target dev='vnet7'/>
          <filterref filter='no-mac-spoofing'><parameter name='X' value='1'/><parameter name='X' value='2'/></filterref></interface>
        <interface type='direct'><mac address='52:54:00:aa:00:02'/><source dev='eth0' mode='vepa'/><target dev='macvtap0'/></interface>
        <interface type='user'><mac address='52:54:00:aa:00:03'/></interface>
      </devices></domain>`);
    expect(d.name).toBe('g & "h"');
    expect(d.active).toBe(false);
    expect(d.interfaces.map((i) => [i.type, i.rawType, i.mac, i.target ?? null])).toEqual([
      ['bridge', 'bridge', '52:54:00:aa:00:01', 'vnet7'],
      ['direct', 'direct', '52:54:00:aa:00:02', 'macvtap0'],
      ['other', 'user', '52:54:00:aa:00:03', null],
    ]);
    expect(d.interfaces[0]?.source).toEqual({ bridge: 'br0' });
    expect(d.interfaces[1]?.source).toEqual({ dev: 'eth0', mode: 'vepa' });
    expect(d.interfaces[0]?.filterref?.parameters.map((p) => p.value)).toEqual(['1', '2']);
  });

  it('builds update-device XML that sets, replaces and removes only the filterref', () => {
    const plain = parseDomain(fixture('domain-lab-node1.xml')).interfaces[0];
    const withCt = parseDomain(fixture('domain-lab-node1-clean-traffic.xml')).interfaces[0];
    if (!plain || !withCt) throw new Error('fixtures lack interfaces');
    const ref = withCt.filterref ?? null;
    const dropPortid = (e: XmlElement): XmlElement => ({
      ...e,
      children: e.children.map((c) =>
        'name' in c && c.name === 'source' ? { ...c, attrs: { ...c.attrs, portid: '' } } : c,
      ),
    });
    // Set: libvirt's own placement, everything else as it was.
    expect(dropPortid(parseXml(buildInterfaceXml(plain, ref)))).toEqual(dropPortid(withCt.xml));
    // Remove: back to the plain interface.
    expect(dropPortid(interfaceWithFilterRef(withCt, null))).toEqual(dropPortid(plain.xml));
    // Replace in place, with list parameters and hostile-free values.
    const replaced = interfaceWithFilterRef(withCt, {
      filter: filterName('kvm-chaos-protect-no-smtp'),
      parameters: [
        { name: 'IP', value: '192.168.77.11' },
        { name: 'IP', value: '192.168.77.99' },
      ],
    });
    const names = replaced.children.flatMap((c) => ('name' in c ? [c.name] : []));
    expect(names).toEqual(['mac', 'source', 'target', 'model', 'filterref', 'alias', 'address']);
    expect(attr(child(replaced, 'filterref'), 'filter')).toBe('kvm-chaos-protect-no-smtp');
    // Idempotent: setting what is there changes nothing.
    expect(interfaceWithFilterRef(withCt, ref)).toEqual(withCt.xml);
  });
});

describe('network XML', () => {
  it('reads the lab network: bridge, subnet, range and fixed hosts', () => {
    const n = parseNetwork(fixture('network-kvmchaos-lab.xml'));
    expect(meaning(n)).toEqual({
      name: 'kvmchaos-lab',
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      bridge: { name: 'kcbr0', stp: 'off', delay: '0' },
      mac: expect.stringMatching(/^52:54:00/),
      ips: [
        {
          family: 'ipv4',
          address: '192.168.77.1',
          netmask: '255.255.255.0',
          prefix: 24,
          cidr: '192.168.77.0/24',
          dhcp: {
            ranges: [{ start: '192.168.77.100', end: '192.168.77.200' }],
            hosts: [1, 2, 3].map((n) => ({
              mac: `52:54:00:00:00:${n}${n}`,
              name: `lab-node${n}`,
              ip: `192.168.77.1${n}`,
            })),
          },
        },
      ],
    });
  });

  it('reads forward modes and IPv6 addresses with prefixes', () => {
    const n =
      parseNetwork(`<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/>
      <ip family='ipv6' address='2001:db8:ca2:2::1' prefix='64'><dhcp><range start='2001:db8:ca2:2::100' end='2001:db8:ca2:2::1ff'/>
      <host id='0:3:0:1:0:16:3e:11:22:33' name='v6' ip='2001:db8:ca2:2::13'/></dhcp></ip></network>`);
    expect(n.forward).toBe('nat');
    expect(n.ips[0]).toMatchObject({ family: 'ipv6', prefix: 64, cidr: '2001:db8:ca2:2::/64' });
    expect(n.ips[0]?.dhcp.hosts[0]).toEqual({
      id: '0:3:0:1:0:16:3e:11:22:33',
      name: 'v6',
      ip: '2001:db8:ca2:2::13',
    });
    expectCode(
      () => parseNetwork(`<network><name>x</name><ip family='ipv6' address='1.2.3.4'/></network>`),
      'invalid-value',
    );
  });
});
