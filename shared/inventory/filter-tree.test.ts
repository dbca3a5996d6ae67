/// <reference types="vite/client" />
// The rules in plain words, on every filter libvirt 9.0.0 ships (fixtures/stock-nwfilter, from
// libvirt's source). Expected sentences are written from libvirt's formatnwfilter documentation:
// what each protocol element and attribute means, match='no' as a negation, masks (IP_MASK: "dotted
// decimal or CIDR mask"), ARP opcode names, rule priority 500 by default, and the chain priorities
// (stp -810, mac -800, vlan -750, ipv4 -700, ipv6 -600, arp -500, rarp -400).
import { describe, expect, it } from 'vitest';
import { parseBinding, parseNwfilter } from '../libvirt';
import type { ParsedHost } from './build';
import { filterTree, prefixLength, ruleWords } from './filter-tree';

const stock = import.meta.glob('./fixtures/stock-nwfilter/*.xml', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;
const STOCK = Object.values(stock).map(parseNwfilter);

const MAC = '52:54:00:aa:bb:cc';
const IP = '10.0.0.5';
const binding = parseBinding(`<filterbinding>
  <owner><name>g</name><uuid>00000000-0000-4000-8000-000000000001</uuid></owner>
  <portdev name='vnet0'/><mac address='${MAC}'/>
  <filterref filter='clean-traffic'>
    <parameter name='IP' value='${IP}'/><parameter name='MAC' value='${MAC}'/>
  </filterref>
</filterbinding>`);

function host(...extra: string[]): ParsedHost {
  return {
    hostname: 'h',
    domains: [],
    networks: [],
    filters: [...STOCK, ...extra.map(parseNwfilter)],
    bindings: [{ binding, xml: '' }],
    unreadable: [],
  };
}

const ours = () => 'ours' as const;
/** Every node's rules in words, the port's variables given. */
function words(filter: string, ...extra: string[]) {
  return filterTree(host(...extra), filter, 'vnet0', ours).nodes;
}
const rulesOf = (filter: string, ...extra: string[]) =>
  words(filter, ...extra).flatMap((n) => n.rules.map((r) => r.text));

describe('the rule explainer on the filters libvirt ships', () => {
  it('has all 24 of them', () => {
    expect(STOCK.map((f) => f.name).sort()).toHaveLength(24);
  });

  it('leaves no raw key=value where a word exists, with or without the port variables', () => {
    for (const f of STOCK) {
      for (const portdev of ['vnet0', undefined]) {
        const { nodes } = filterTree(host(), f.name, portdev, ours);
        for (const r of nodes.flatMap((n) => n.rules))
          expect(r.text, `${f.name}: ${r.text}`).not.toMatch(
            /[\w-]+=|\bmatch\b|\bframes? frames\b/,
          );
        expect(nodes.some((n) => n.missing)).toBe(false);
      }
    }
  });

  it('allow-incoming-ipv4: a rule with no protocol element speaks of its chain, IPv4', () => {
    expect(rulesOf('allow-incoming-ipv4')).toEqual(['accept IPv4 packets to this guest']);
    expect(rulesOf('allow-ipv6')).toEqual(['accept IPv6 packets to or from this guest']);
    expect(rulesOf('allow-arp')).toEqual(['accept ARP packets to or from this guest']);
    expect(rulesOf('no-other-rarp-traffic')).toEqual(['drop RARP packets to or from this guest']);
    expect(rulesOf('no-other-l2-traffic')).toEqual(['drop all frames to or from this guest']);
  });

  it('no-ip-spoofing: ip protocol, addresses, in priority order', () => {
    expect(rulesOf('no-ip-spoofing')).toEqual([
      'stop checking this chain for IPv4 UDP packets from this guest from address 0.0.0.0',
      `stop checking this chain for IPv4 packets from this guest from address ${IP}`,
      'drop IPv4 packets from this guest',
    ]);
  });

  it('masks as prefix lengths: no-ip-multicast, no-ipv6-multicast, allow-dhcpv6', () => {
    expect(rulesOf('no-ip-multicast')).toEqual([
      'drop IPv4 packets from this guest to addresses 224.0.0.0/4',
    ]);
    expect(rulesOf('no-ipv6-multicast')).toEqual([
      'drop IPv6 packets from this guest to addresses FF00::/8',
    ]);
    expect(rulesOf('allow-dhcpv6')).toEqual([
      'accept IPv6 UDP packets from this guest from addresses FE80::/10 to address FF02::1:2 from port 546 to port 547',
      'accept IPv6 UDP packets to this guest from port 547 to port 546',
    ]);
    expect(prefixLength('255.255.255.0')).toBe('/24');
    expect(prefixLength('4')).toBe('/4');
    expect(prefixLength('FFFF:FFFF:FC00::')).toBe('/38');
    expect(prefixLength('255.0.255.0')).toBe(' (mask 255.0.255.0)');
    const dotted = `<filter name='t-mask' chain='ipv4'>
      <rule action='drop' direction='in'><ip srcipaddr='10.1.2.0' srcipmask='255.255.255.0'/></rule>
    </filter>`;
    expect(rulesOf('t-mask', dotted)).toEqual([
      'drop IPv4 packets to this guest from addresses 10.1.2.0/24',
    ]);
  });

  it('ports and port ranges: allow-dhcp, and srcportstart/srcportend 21-22', () => {
    expect(rulesOf('allow-dhcp')).toEqual([
      'accept IPv4 UDP packets from this guest from address 0.0.0.0 to address 255.255.255.255 from port 68 to port 67',
      'accept IPv4 UDP packets to this guest from port 67 to port 68',
    ]);
    const ftp = `<filter name='t-ftp' chain='root'>
      <rule action='accept' direction='in'><tcp dstportstart='21' dstportend='22'/></rule>
      <rule action='drop' direction='out'><udp srcportstart='21' srcportend='22'/></rule>
    </filter>`;
    expect(rulesOf('t-ftp', ftp)).toEqual([
      'accept IPv4 TCP packets to this guest to ports 21-22',
      'drop IPv4 UDP packets from this guest from ports 21-22',
    ]);
  });

  it("match='no' negates, and ARP opcodes read by name (formatnwfilter's no-arp-spoofing)", () => {
    // The example filter of formatnwfilter "Filtering chains", under a name of our own.
    const doc = `<filter name='doc-no-arp-spoofing' chain='arp' priority='-500'>
      <rule action='drop' direction='out' priority='300'><mac match='no' srcmacaddr='$MAC'/></rule>
      <rule action='drop' direction='out' priority='350'><arp match='no' arpsrcmacaddr='$MAC'/></rule>
      <rule action='drop' direction='out' priority='400'><arp match='no' arpsrcipaddr='$IP'/></rule>
      <rule action='drop' direction='in' priority='450'>
        <arp opcode='Reply'/><arp match='no' arpdstmacaddr='$MAC'/>
      </rule>
      <rule action='drop' direction='in' priority='500'><arp match='no' arpdstipaddr='$IP'/></rule>
      <rule action='accept' direction='inout' priority='600'><arp opcode='Request'/></rule>
      <rule action='accept' direction='inout' priority='650'><arp opcode='Reply'/></rule>
      <rule action='drop' direction='inout' priority='1000'/>
    </filter>`;
    expect(rulesOf('doc-no-arp-spoofing', doc)).toEqual([
      `drop frames from this guest not from ${MAC}`,
      `drop ARP packets from this guest with ARP source MAC other than ${MAC}`,
      `drop ARP packets from this guest with ARP source address other than ${IP}`,
      `drop ARP Reply packets to this guest with ARP destination MAC other than ${MAC}`,
      `drop ARP packets to this guest with ARP destination address other than ${IP}`,
      'accept ARP Request packets to or from this guest',
      'accept ARP Reply packets to or from this guest',
      'drop ARP packets to or from this guest',
    ]);
    // formatnwfilter "Filter rules": drop outgoing IP packets whose source is not $IP.
    const ipDoc = `<filter name='doc-no-ip-spoofing' chain='ipv4'>
      <rule action='drop' direction='out' priority='500'><ip match='no' srcipaddr='$IP'/></rule>
    </filter>`;
    expect(rulesOf('doc-no-ip-spoofing', ipDoc)).toEqual([
      `drop IPv4 packets from this guest not from address ${IP}`,
    ]);
    // Opcodes given as numbers (arpOpcodeMap) read the same; RARP's Request_Reverse too.
    const numeric = `<filter name='t-op' chain='rarp'>
      <rule action='accept' direction='out'><arp opcode='2'/></rule>
      <rule action='accept' direction='in'><rarp opcode='Request_Reverse'/></rule>
      <rule action='drop' direction='in'><arp match='no' opcode='Request'/></rule>
    </filter>`;
    expect(rulesOf('t-op', numeric)).toEqual([
      'accept ARP Reply packets from this guest',
      'accept RARP Request Reverse packets to this guest',
      'drop ARP packets other than Request to this guest',
    ]);
  });

  it('no-mac-spoofing and the EtherType of mac rules', () => {
    expect(rulesOf('no-mac-spoofing')).toEqual([
      `stop checking this chain for frames from this guest from ${MAC}`,
      'drop frames from this guest',
    ]);
    expect(rulesOf('qemu-announce-self-rarp')).toEqual([
      `accept RARP Request Reverse packets from this guest from ${MAC} to ff:ff:ff:ff:ff:ff with ARP source MAC ${MAC} with ARP destination MAC ${MAC} with ARP source address 0.0.0.0 with ARP destination address 0.0.0.0`,
      `accept RARP Request Reverse packets to this guest to ff:ff:ff:ff:ff:ff with ARP source MAC ${MAC} with ARP destination MAC ${MAC} with ARP source address 0.0.0.0 with ARP destination address 0.0.0.0`,
    ]);
  });

  it("clean-traffic's tree: rules and filterrefs in the order libvirt evaluates them", () => {
    const nodes = words('clean-traffic');
    expect(
      nodes.map((n) => [n.depth, n.filter, n.continued ?? false, n.rules.map((r) => r.text)]),
    ).toEqual([
      [0, 'clean-traffic', false, []],
      // mac chain, -800
      [
        1,
        'no-mac-spoofing',
        false,
        [
          `stop checking this chain for frames from this guest from ${MAC}`,
          'drop frames from this guest',
        ],
      ],
      // ipv4-ip chain, its priority -710
      [
        1,
        'no-ip-spoofing',
        false,
        [
          'stop checking this chain for IPv4 UDP packets from this guest from address 0.0.0.0',
          `stop checking this chain for IPv4 packets from this guest from address ${IP}`,
          'drop IPv4 packets from this guest',
        ],
      ],
      // ipv4 chain, -700: before the -650 rule although written after it
      [1, 'allow-incoming-ipv4', false, ['accept IPv4 packets to this guest']],
      [0, 'clean-traffic', true, ['accept IPv4 frames from this guest']],
      // a root filter: its rules join the root chain at theirs, arp-mac -520 and arp-ip -510
      [1, 'no-arp-spoofing', false, []],
      [
        2,
        'no-arp-mac-spoofing',
        false,
        [
          `stop checking this chain for ARP packets from this guest with ARP source MAC ${MAC}`,
          'drop ARP packets from this guest',
        ],
      ],
      [
        2,
        'no-arp-ip-spoofing',
        false,
        [
          `stop checking this chain for ARP packets from this guest with ARP source address ${IP}`,
          'drop ARP packets from this guest',
        ],
      ],
      [0, 'clean-traffic', true, ['accept ARP frames to or from this guest']],
      // root filter whose rarp chains (-400) come first, then its own rule at 500
      [1, 'qemu-announce-self', false, []],
      [2, 'qemu-announce-self-rarp', false, expect.any(Array)],
      [2, 'no-other-rarp-traffic', false, ['drop RARP packets to or from this guest']],
      [1, 'qemu-announce-self', true, ['accept frames of EtherType 0x835 from this guest']],
      // priority 1000: last, although written before qemu-announce-self
      [1, 'no-other-l2-traffic', false, ['drop all frames to or from this guest']],
    ]);
  });

  it('puts a chain jump before a rule of the same priority, and a rule without one at 500', () => {
    const t = `<filter name='t-order' chain='root'>
      <rule action='drop' direction='inout'/>
      <rule action='accept' direction='inout' priority='-500'><mac protocolid='arp'/></rule>
      <filterref filter='allow-arp'/>
      <rule action='accept' direction='in' priority='-600'><mac protocolid='ipv6'/></rule>
    </filter>`;
    expect(words('t-order', t).map((n) => [n.filter, n.rules.map((r) => r.text)])).toEqual([
      ['t-order', ['accept IPv6 frames to this guest']],
      ['allow-arp', ['accept ARP packets to or from this guest']],
      [
        't-order',
        ['accept ARP frames to or from this guest', 'drop all frames to or from this guest'],
      ],
    ]);
  });

  it('keeps the two-argument ruleWords of before (a root-chain rule)', () => {
    const f = parseNwfilter(
      `<filter name='x'><rule action='reject' direction='in'><tcp dstportstart='22'/></rule></filter>`,
    );
    const rule = f.entries[0]?.kind === 'rule' ? f.entries[0].rule : undefined;
    expect(rule && ruleWords(rule, new Map())).toBe(
      'reject IPv4 TCP packets to this guest to port 22',
    );
  });
});
