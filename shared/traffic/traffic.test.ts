import { describe, expect, it } from 'vitest';
import { type MacAddress, macAddress } from '../libvirt/values';
import { baselineBefore, droppedFor, trimHistory } from './cut-drops';
import { dropCounters, dropsByFlow, parseEbtablesCounters, parseNftCounters } from './ebtables';
import { activity, ratesBetween } from './rates';

// `ebtables -t nat -L --Lc` in the lab's namespace (ebtables 1.8.9, nf_tables) with lab-node1
// cut from lab-node2 both ways and a one-way cut lab-node1 -> lab-node3 for UDP to port 53.
const LISTING = `Bridge table: nat

Bridge chain: PREROUTING, entries: 1, policy: ACCEPT
-i vnet0 -j libvirt-I-vnet0 , pcnt = 195 -- bcnt = 7980

Bridge chain: OUTPUT, entries: 0, policy: ACCEPT

Bridge chain: POSTROUTING, entries: 1, policy: ACCEPT
-o vnet0 -j libvirt-O-vnet0 , pcnt = 194 -- bcnt = 7928

Bridge chain: libvirt-I-vnet0, entries: 2, policy: RETURN
-d 52:54:00:00:00:22 -j DROP , pcnt = 60 -- bcnt = 2136
-p IPv4 -d 52:54:00:00:00:33 --ip-proto udp --ip-dport 53 -j DROP , pcnt = 7 -- bcnt = 420

Bridge chain: libvirt-O-vnet0, entries: 1, policy: RETURN
-s 52:54:00:00:00:22 -j DROP , pcnt = 48 -- bcnt = 1776
`;

// The same state as `nft list table bridge nat` prints it (nft 1.0.6).
const NFT_LISTING = `table bridge nat {
	chain PREROUTING {
		type filter hook prerouting priority dstnat; policy accept;
		iifname "vnet0" counter packets 195 bytes 7980 jump libvirt-I-vnet0
	}

	chain POSTROUTING {
		type filter hook postrouting priority srcnat; policy accept;
		oifname "vnet0" counter packets 194 bytes 7928 jump libvirt-O-vnet0
	}

	chain libvirt-I-vnet0 {
		ether daddr 52:54:00:00:00:22 counter packets 60 bytes 2136 drop
		ether daddr 52:54:00:00:00:33 ether type ip udp dport 53 counter packets 7 bytes 420 drop
		counter packets 459 bytes 19180 accept
	}

	chain libvirt-O-vnet0 {
		ether saddr 52:54:00:00:00:22 counter packets 48 bytes 1776 drop
		ether saddr != 52:54:00:00:00:11 counter packets 5 bytes 300 drop
		counter packets 541 bytes 20872 accept
	}
}
# Warning: table bridge nat is managed by iptables-nft, do not touch!
`;

const N1 = macAddress('52:54:00:00:00:11');
const N2 = macAddress('52:54:00:00:00:22');
const N3 = macAddress('52:54:00:00:00:33');
const ports = new Map<string, MacAddress>([
  ['vnet0', N1],
  ['vnet1', N2],
]);

describe('ebtables counters', () => {
  it('reads every counted rule with its chain and what it matches', () => {
    const rules = parseEbtablesCounters(LISTING);
    expect(rules).toHaveLength(5);
    expect(rules[3]).toEqual({
      chain: 'libvirt-I-vnet0',
      drop: true,
      src: null,
      dst: '52:54:00:00:00:33',
      scope: { kind: 'udp', port: 53 },
      packets: 7,
      bytes: 420,
    });
    expect(rules[0]).toMatchObject({ chain: 'PREROUTING', drop: false, packets: 195 });
  });

  it('reads the same rules from nft as from ebtables', () => {
    const eb = dropCounters(parseEbtablesCounters(LISTING), ports);
    const nft = dropCounters(parseNftCounters(NFT_LISTING), ports);
    expect(nft).toEqual(eb);
    // The accept rules at the chains' ends are counted but never read as drops.
    expect(parseNftCounters(NFT_LISTING).filter((r) => !r.drop)).toHaveLength(4);
  });

  it('reads our drop rules as the flows they drop, and nothing else', () => {
    const counters = dropCounters(parseEbtablesCounters(LISTING), ports);
    expect(counters).toEqual([
      {
        portdev: 'vnet0',
        flow: { src: N1, dst: N2, scope: { kind: 'all' } },
        packets: 60,
        bytes: 2136,
      },
      {
        portdev: 'vnet0',
        flow: { src: N1, dst: N3, scope: { kind: 'udp', port: 53 } },
        packets: 7,
        bytes: 420,
      },
      {
        portdev: 'vnet0',
        flow: { src: N2, dst: N1, scope: { kind: 'all' } },
        packets: 48,
        bytes: 1776,
      },
    ]);
  });

  it('normalises the short MACs of the legacy back end and skips ports it does not know', () => {
    const legacy = `Bridge chain: libvirt-O-vnet1, entries: 1, policy: RETURN
-s 52:54:0:0:0:11 -j DROP , pcnt = 3 -- bcnt = 180
Bridge chain: libvirt-O-vnet9, entries: 1, policy: RETURN
-s 52:54:0:0:0:11 -j DROP , pcnt = 5 -- bcnt = 300
Bridge chain: libvirt-I-vnet1, entries: 2, policy: RETURN
-s ! 52:54:0:0:0:22 -j DROP , pcnt = 9 -- bcnt = 540
-d 52:54:0:0:0:11 -j ACCEPT , pcnt = 9 -- bcnt = 540
`;
    expect(dropCounters(parseEbtablesCounters(legacy), ports)).toEqual([
      {
        portdev: 'vnet1',
        flow: { src: N1, dst: N2, scope: { kind: 'all' } },
        packets: 3,
        bytes: 180,
      },
    ]);
  });

  it('gives a cut the sum over its flows, each flow from its own rule', () => {
    const byFlow = dropsByFlow(dropCounters(parseEbtablesCounters(LISTING), ports));
    const all = { kind: 'all' } as const;
    expect(droppedFor({ from: N1, to: N2, direction: 'both', scope: all }, byFlow)).toEqual({
      packets: 108,
      bytes: 3912,
    });
    expect(droppedFor({ from: N2, to: N1, direction: 'one-way', scope: all }, byFlow)).toEqual({
      packets: 48,
      bytes: 1776,
    });
    const udp53 = { kind: 'udp', port: 53 } as const;
    expect(droppedFor({ from: N1, to: N3, direction: 'one-way', scope: udp53 }, byFlow)).toEqual({
      packets: 7,
      bytes: 420,
    });
    // A cut whose rule is not there (yet) dropped nothing, rather than someone else's count.
    expect(droppedFor({ from: N1, to: N3, direction: 'one-way', scope: all }, byFlow)).toEqual({
      packets: 0,
      bytes: 0,
    });
  });
});

describe('rates', () => {
  const r = (at: number, n: number) => ({
    at,
    rxBytes: n * 100,
    rxPackets: n,
    txBytes: n * 50,
    txPackets: 2 * n,
  });

  it('divides the counters by the seconds between readings', () => {
    expect(ratesBetween(r(1000, 10), r(3000, 30))).toEqual({
      rxBytesPerSec: 1000,
      rxPacketsPerSec: 10,
      txBytesPerSec: 500,
      txPacketsPerSec: 20,
    });
  });

  it('has no rate across a restart (counters back to zero) or without time passing', () => {
    expect(ratesBetween(r(1000, 30), r(2000, 2))).toBeNull();
    expect(ratesBetween(r(1000, 1), r(1000, 2))).toBeNull();
  });

  it('looks idle below half a packet a second and saturates at 10^4', () => {
    expect(activity(0)).toBe(0);
    expect(activity(0.4)).toBe(0);
    expect(activity(3)).toBeGreaterThan(0);
    expect(activity(100)).toBeGreaterThan(activity(3));
    expect(activity(1e6)).toBe(1);
  });
});

describe('rate change', () => {
  const h = [1, 2, 3, 4, 5].map((i) => ({ at: i * 1000, pps: i * 10 }));

  it('is the mean rate in the seconds before the cut, null with no history then', () => {
    expect(baselineBefore(h, 3500)).toBe(20);
    expect(baselineBefore(h, 1000)).toBeNull();
    expect(baselineBefore(h, 60_000)).toBeNull();
  });

  it('keeps only what a baseline can still need', () => {
    expect(trimHistory(h, 4000, 1500).map((p) => p.at)).toEqual([3000, 4000, 5000]);
    expect(trimHistory(h, 1000, 1500)).toBe(h);
  });
});
