// Every procedure of the table against the lab's libvirtd, through its real sshd and through
// the local socket, each answer checked against what virsh says about the same object.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabState, readLabState, virsh } from '../../lab/lab-client';
import {
  connect,
  DomainAffect,
  DomainMetadataType,
  DomainState,
  ErrorCode,
  InterfaceAddressesSource,
  type LibvirtConnection,
  LibvirtError,
  NwFilterDefineFlags,
  parseVersion,
} from './index';
import { firstInterfaceXml, labTargets, TEST_PREFIX } from './lab-support';

const state: LabState = await readLabState();
const FILTER = `${TEST_PREFIX}-drop`;
const METADATA_URI = 'https://kvm-chaos.invalid/rpctest';

const filterXml = (uuid?: string) => `<filter name='${FILTER}' chain='root'>
  ${uuid ? `<uuid>${uuid}</uuid>` : ''}
  <rule action='drop' direction='in' priority='-1000'><mac srcmacaddr='$PEER_MAC'/></rule>
  <rule action='drop' direction='out' priority='-1000'><mac dstmacaddr='$PEER_MAC'/></rule>
</filter>`;

const lines = async (args: string[]) =>
  (await virsh(args)).stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

async function portOf(guest: string): Promise<string> {
  const [row] = await lines(['domiflist', guest]);
  const dev = row?.split(/\s+/)[0];
  if (!dev?.startsWith('vnet')) throw new Error(`no vnet for ${guest}`);
  return dev;
}

async function cleanup() {
  for (const row of await lines(['nwfilter-binding-list'])) {
    const [port, filter] = row.split(/\s+/);
    if (port && filter?.startsWith(TEST_PREFIX)) {
      await virsh(['nwfilter-binding-delete', port]).catch(() => {});
    }
  }
  await virsh(['nwfilter-undefine', FILTER]).catch(() => {});
}

beforeAll(cleanup);
afterAll(cleanup);

describe.each(labTargets(state))('procedures over $name', ({ uri }) => {
  let lv: LibvirtConnection;
  const [node1, node2, node3] = state.guests as [
    LabState['guests'][0],
    LabState['guests'][0],
    LabState['guests'][0],
  ];

  beforeAll(async () => {
    lv = await connect(uri, { reconnect: false });
  });
  afterAll(async () => {
    await lv?.close();
  });

  it('hostname, library and hypervisor versions match virsh', async () => {
    expect(await lv.connectGetHostname()).toBe((await virsh(['hostname'])).stdout.trim());
    const version = (await virsh(['version', '--daemon'])).stdout;
    const lib = parseVersion(await lv.connectGetLibVersion());
    expect(version).toContain(`Running against daemon: ${lib.major}.${lib.minor}.${lib.micro}`);
    const hv = parseVersion(await lv.connectGetVersion());
    expect(version).toContain(`Running hypervisor: QEMU ${hv.major}.${hv.minor}.${hv.micro}`);
    expect(await lv.connectGetUri()).toBe('qemu:///system');
  });

  it('lists all domains with the names, uuids and ids virsh shows', async () => {
    const { domains, ret } = await lv.connectListAllDomains();
    expect(ret).toBe(domains.length);
    const virshUuids = await lines(['list', '--all', '--uuid']);
    expect(domains.map((d) => d.uuid).sort()).toEqual([...virshUuids].sort());
    for (const g of state.guests) {
      const d = domains.find((x) => x.name === g.name);
      expect(d, g.name).toBeDefined();
      expect(String(d?.id)).toBe((await virsh(['domid', g.name])).stdout.trim());
    }
    const count = await lv.connectListAllDomains({ needResults: 0 });
    expect(count).toEqual({ domains: [], ret: domains.length });
  });

  it('looks domains up by name and uuid; a missing one is NO_DOMAIN', async () => {
    const byName = await lv.domainLookupByName(node1.name);
    expect(byName.uuid).toBe((await virsh(['domuuid', node1.name])).stdout.trim());
    expect(await lv.domainLookupByUuid(byName.uuid)).toEqual(byName);
    const err = await lv.domainLookupByName(`${TEST_PREFIX}-nope`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toMatchObject({ code: ErrorCode.NoDomain });
    expect((err as LibvirtError).isNotFound()).toBe(true);
  });

  it('domain XML (live and inactive) and state match virsh', async () => {
    const dom = await lv.domainLookupByName(node2.name);
    expect((await lv.domainGetXmlDesc({ dom })).trim()).toBe(
      (await virsh(['dumpxml', node2.name])).stdout.trim(),
    );
    expect((await lv.domainGetXmlDesc({ dom, flags: 2 })).trim()).toBe(
      (await virsh(['dumpxml', '--inactive', node2.name])).stdout.trim(),
    );
    // virDomainRunningReason, as virsh names them.
    const runningReasons = [
      'unknown',
      'booted',
      'migrated',
      'restored',
      'from snapshot',
      'unpaused',
    ];
    const { state: domState, reason } = await lv.domainGetState({ dom });
    expect(domState).toBe(DomainState.Running);
    expect((await virsh(['domstate', '--reason', node2.name])).stdout.trim()).toBe(
      `running (${runningReasons[reason]})`,
    );
  });

  it('interface addresses from DHCP leases give each guest its MAC and IP', async () => {
    for (const g of state.guests) {
      const dom = await lv.domainLookupByName(g.name);
      const ifaces = await lv.domainInterfaceAddresses({
        dom,
        source: InterfaceAddressesSource.Lease,
      });
      expect(ifaces).toHaveLength(1);
      expect(ifaces[0]).toMatchObject({
        name: await portOf(g.name),
        hwaddr: g.mac,
        addrs: [{ type: 0, addr: g.ip, prefix: 24 }],
      });
    }
  });

  it('networks: list, XML and DHCP leases', async () => {
    const { nets } = await lv.connectListAllNetworks();
    expect(nets.map((n) => n.name).sort()).toEqual(
      [...(await lines(['net-list', '--all', '--name']))].sort(),
    );
    const net = await lv.networkLookupByName(state.network);
    expect(nets).toContainEqual(net);
    expect((await lv.networkGetXmlDesc({ net })).trim()).toBe(
      (await virsh(['net-dumpxml', state.network])).stdout.trim(),
    );
    const { leases, ret } = await lv.networkGetDhcpLeases({ net });
    expect(ret).toBe(leases.length);
    for (const g of state.guests) {
      expect(leases).toContainEqual(
        expect.objectContaining({ mac: g.mac, ipaddr: g.ip, prefix: 24, iface: state.bridge }),
      );
    }
    const one = await lv.networkGetDhcpLeases({ net, mac: node3.mac });
    expect(one.leases.map((l) => l.ipaddr)).toEqual([node3.ip]);
  });

  it('nwfilters: list, lookup, XML, define (with VALIDATE), redefine, undefine', async () => {
    const { filters } = await lv.connectListAllNwfilters();
    expect(filters.map((f) => f.name).sort()).toEqual(
      (await lines(['nwfilter-list'])).map((l) => l.split(/\s+/)[1]).sort(),
    );
    const clean = await lv.nwfilterLookupByName('clean-traffic');
    expect(await lv.nwfilterLookupByUuid(clean.uuid)).toEqual(clean);
    expect((await lv.nwfilterGetXmlDesc({ nwfilter: clean })).trim()).toBe(
      (await virsh(['nwfilter-dumpxml', 'clean-traffic'])).stdout.trim(),
    );

    const defined = await lv.nwfilterDefineXmlFlags({
      xml: filterXml(),
      flags: NwFilterDefineFlags.Validate,
    });
    expect(defined.name).toBe(FILTER);
    expect((await virsh(['nwfilter-dumpxml', FILTER])).stdout).toContain(defined.uuid);
    // Redefining needs the uuid (libvirt-facts.md); the plain DEFINE_XML procedure.
    expect(await lv.nwfilterDefineXml(filterXml(defined.uuid))).toEqual(defined);
    const invalid = await lv
      .nwfilterDefineXmlFlags({ xml: '<filter name="x"><bogus/></filter>', flags: 1 })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(LibvirtError);

    await lv.nwfilterUndefine(defined);
    expect(await lines(['nwfilter-list'])).not.toContainEqual(expect.stringContaining(FILTER));
    const gone = await lv.nwfilterLookupByName(FILTER).catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: ErrorCode.NoNwfilter, domain: 33 });
  });

  it('bindings: create, seen by virsh, lookup, XML, list, delete', async () => {
    const port = await portOf(node1.name);
    const filter = await lv.nwfilterDefineXml(filterXml());
    const bindingXml = `<filterbinding>
  <owner><name>${node1.name}</name><uuid>${(await lv.domainLookupByName(node1.name)).uuid}</uuid></owner>
  <portdev name='${port}'/>
  <mac address='${node1.mac}'/>
  <filterref filter='${FILTER}'><parameter name='PEER_MAC' value='${node2.mac}'/></filterref>
</filterbinding>`;
    try {
      const binding = await lv.nwfilterBindingCreateXml({ xml: bindingXml });
      expect(binding).toEqual({ portdev: port, filtername: FILTER });
      expect(await lines(['nwfilter-binding-list'])).toContainEqual(
        expect.stringMatching(new RegExp(`^${port}\\s+${FILTER}$`)),
      );
      expect(await lv.nwfilterBindingLookupByPortDev(port)).toEqual(binding);
      const xml = await lv.nwfilterBindingGetXmlDesc({ nwfilter: binding });
      expect(xml.trim()).toBe((await virsh(['nwfilter-binding-dumpxml', port])).stdout.trim());
      expect(xml).toContain(node2.mac);
      const { bindings } = await lv.connectListAllNwfilterBindings();
      expect(bindings).toContainEqual(binding);
      // One binding per port: a second create on the same port fails.
      const dup = await lv.nwfilterBindingCreateXml({ xml: bindingXml }).catch((e: unknown) => e);
      expect(dup).toBeInstanceOf(LibvirtError);
      expect((dup as Error).message).toContain('already exists');

      await lv.nwfilterBindingDelete(binding);
      expect(await lines(['nwfilter-binding-list'])).not.toContainEqual(
        expect.stringContaining(FILTER),
      );
      const gone = await lv.nwfilterBindingLookupByPortDev(port).catch((e: unknown) => e);
      expect(gone).toMatchObject({ code: ErrorCode.NoNwfilterBinding });
    } finally {
      await cleanup();
    }
    expect(filter.name).toBe(FILTER);
  });

  it('domain metadata: set, get, seen by virsh, removed', async () => {
    const dom = await lv.domainLookupByName(node1.name);
    const element = { dom, type: DomainMetadataType.Element, uri: METADATA_URI };
    await lv.domainSetMetadata({
      ...element,
      metadata: '<cut peer="lab-node2"/>',
      key: 'kcrpc',
      flags: DomainAffect.Live,
    });
    try {
      expect(await lv.domainGetMetadata({ ...element, flags: DomainAffect.Live })).toBe(
        '<cut peer="lab-node2"/>',
      );
      const shown = await virsh(['metadata', node1.name, METADATA_URI, '--live']);
      expect(shown.stdout).toContain('peer="lab-node2"');
    } finally {
      await lv.domainSetMetadata({ ...element, metadata: null, flags: DomainAffect.Live });
    }
    const gone = await lv
      .domainGetMetadata({ ...element, flags: DomainAffect.Live })
      .catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: ErrorCode.NoDomainMetadata });
    expect((gone as LibvirtError).isNotFound()).toBe(true);
  });

  it('update device (live): link down then up on an interface, seen in the domain XML', async () => {
    const dom = await lv.domainLookupByName(node3.name);
    const iface = firstInterfaceXml(await lv.domainGetXmlDesc({ dom }));
    const withLink = (s: 'up' | 'down') =>
      iface
        .replace(/\s*<link state='\w+'\/>/, '')
        .replace('</interface>', `<link state='${s}'/></interface>`);
    await lv.domainUpdateDeviceFlags({ dom, xml: withLink('down'), flags: DomainAffect.Live });
    try {
      expect((await virsh(['dumpxml', node3.name])).stdout).toContain("<link state='down'/>");
    } finally {
      await lv.domainUpdateDeviceFlags({ dom, xml: withLink('up'), flags: DomainAffect.Live });
    }
    expect((await virsh(['dumpxml', node3.name])).stdout).not.toContain("<link state='down'/>");
    const bad = await lv
      .domainUpdateDeviceFlags({
        dom,
        xml: iface.replace(node3.mac, '52:54:00:99:99:99'),
        flags: 1,
      })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(LibvirtError);
  });

  it('200 concurrent calls are all answered, each with its own answer', async () => {
    const names = state.guests.map((g) => g.name);
    const expected = new Map<string, string>();
    for (const n of names) expected.set(n, (await virsh(['domuuid', n])).stdout.trim());
    const hostname = (await virsh(['hostname'])).stdout.trim();
    const calls = Array.from({ length: 200 }, (_, i) => {
      const name = names[i % names.length] as string;
      switch (i % 4) {
        case 0:
          return lv.domainLookupByName(name).then((d) => [d.uuid, expected.get(name)]);
        case 1:
          return lv.connectGetHostname().then((h) => [h, hostname]);
        case 2:
          return lv.domainLookupByUuid(expected.get(name) as string).then((d) => [d.name, name]);
        default:
          return lv
            .domainGetState({ dom: { name, uuid: expected.get(name) as string, id: -1 } })
            .then((s) => [s.state, DomainState.Running]);
      }
    });
    const results = await Promise.all(calls);
    expect(results).toHaveLength(200);
    for (const [got, want] of results) expect(got).toBe(want);
  });
});
