// Parsing `ebtables -t nat -L --Lc` (legacy and nft back ends print the same): the drop rules
// libvirt instantiated from our filters, with their own packet and byte counters. A rule line
// reads `-p IPv4 -d 52:54:0:0:0:22 --ip-proto udp --ip-dport 53 -j DROP , pcnt = 12 -- bcnt = 936`
// in chain `libvirt-I-vnet3` (frames from the guest of vnet3) or `libvirt-O-vnet3` (to it);
// ebtables prints MAC octets without leading zeros.
import type { Flow, Scope } from '../chaos/cut';
import { flowKey } from '../chaos/cut';
import { type MacAddress, macAddress } from '../libvirt/values';

/** One rule line of one chain, as ebtables printed it. */
export interface CountedRule {
  readonly chain: string;
  readonly rule: string;
  readonly packets: number;
  readonly bytes: number;
}

const CHAIN = /^Bridge chain: (\S+), entries:/;
const COUNTED = /^(.*?)\s*,\s*pcnt = (\d+) -- bcnt = (\d+)\s*$/;

export function parseEbtablesCounters(text: string): CountedRule[] {
  const out: CountedRule[] = [];
  let chain: string | null = null;
  for (const line of text.split('\n')) {
    const c = CHAIN.exec(line);
    if (c) {
      chain = c[1] as string;
      continue;
    }
    const r = COUNTED.exec(line.trim());
    if (r && chain)
      out.push({ chain, rule: r[1] as string, packets: Number(r[2]), bytes: Number(r[3]) });
  }
  return out;
}

/** A drop rule on a port, read as the flow it drops (see shared/chaos/enforcement.ts). */
export interface DropCounter {
  readonly portdev: string;
  readonly flow: Flow;
  readonly packets: number;
  readonly bytes: number;
}

/** libvirt's root chains of a port: I (from the guest), O (to the guest). */
const ROOT_CHAIN = /^libvirt-([IO])-(.+)$/;

function option(rule: string, name: string): string | null {
  const m = new RegExp(`(?:^|\\s)${name} (!\\s)?(\\S+)`).exec(rule);
  return m && !m[1] ? (m[2] as string) : null;
}

const PROTOCOLS: Record<string, 'icmp' | 'tcp' | 'udp'> = {
  icmp: 'icmp',
  '1': 'icmp',
  tcp: 'tcp',
  '6': 'tcp',
  udp: 'udp',
  '17': 'udp',
};

/** The scope a rule matches, as our drop filters write them; null for any other rule. */
function scopeOf(rule: string): Scope | null {
  const proto = option(rule, '-p');
  if (proto === null) return /--ip-/.test(rule) ? null : { kind: 'all' };
  if (proto.toLowerCase() !== 'ipv4' && proto !== '0x800') return null;
  const ipProto = option(rule, '--ip-proto') ?? option(rule, '--ip-protocol');
  if (ipProto === null) return { kind: 'ipv4' };
  const kind = PROTOCOLS[ipProto.toLowerCase()];
  if (!kind) return null;
  if (kind === 'icmp') return { kind };
  const port = option(rule, '--ip-dport') ?? option(rule, '--ip-destination-port');
  return port === null ? { kind } : /^\d+$/.test(port) ? { kind, port: Number(port) } : null;
}

/**
 * The drop rules among `rules` on the given ports (portdev -> the port's MAC), as flows: in the
 * O chain `-s PEER` drops PEER -> guest, in the I chain `-d PEER` drops guest -> PEER. Rules that
 * are not a plain MAC drop of ours (clean-traffic's, negated matches) are left out.
 */
export function dropCounters(
  rules: readonly CountedRule[],
  ports: ReadonlyMap<string, MacAddress>,
): DropCounter[] {
  const out: DropCounter[] = [];
  for (const r of rules) {
    const chain = ROOT_CHAIN.exec(r.chain);
    if (!chain || !/(?:^|\s)-j DROP$/.test(r.rule)) continue;
    const portdev = chain[2] as string;
    const own = ports.get(portdev);
    if (!own) continue;
    const toGuest = chain[1] === 'O';
    const peerText = option(r.rule, toGuest ? '-s' : '-d');
    if (peerText === null || option(r.rule, toGuest ? '-d' : '-s') !== null) continue;
    let peer: MacAddress;
    try {
      peer = macAddress(peerText);
    } catch {
      continue;
    }
    const scope = scopeOf(r.rule);
    if (!scope) continue;
    const flow: Flow = toGuest ? { src: peer, dst: own, scope } : { src: own, dst: peer, scope };
    out.push({ portdev, flow, packets: r.packets, bytes: r.bytes });
  }
  return out;
}

/** Packets and bytes dropped per flow (flowKey), summed over every port that drops it. */
export function dropsByFlow(counters: readonly DropCounter[]): Map<string, Dropped> {
  const by = new Map<string, Dropped>();
  for (const c of counters) {
    const key = flowKey(c.flow);
    const was = by.get(key) ?? { packets: 0, bytes: 0 };
    by.set(key, { packets: was.packets + c.packets, bytes: was.bytes + c.bytes });
  }
  return by;
}

export interface Dropped {
  readonly packets: number;
  readonly bytes: number;
}
