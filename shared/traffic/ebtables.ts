// Reading the counters of the rules libvirt instantiated from our filters, in either listing:
// `nft list table bridge nat` (read-only; preferred: the lab found `ebtables -L` on the nf_tables
// back end making libvirt's own concurrent ebtables writes fail now and then), or
// `ebtables -t nat -L --Lc` (hosts without nft). A port's root chains are `libvirt-I-vnet3`
// (frames from the guest of vnet3) and `libvirt-O-vnet3` (to it). Our drop rules, in each form:
//   ebtables: -p IPv4 -d 52:54:0:0:0:22 --ip-proto udp --ip-dport 53 -j DROP , pcnt = 12 -- bcnt = 936
//   nft:      ether daddr 52:54:00:00:00:22 ether type ip udp dport 53 counter packets 12 bytes 936 drop
import type { Flow, Scope } from '../chaos/cut';
import { flowKey } from '../chaos/cut';
import { type MacAddress, macAddress } from '../libvirt/values';

/** One counted rule of one chain, read into what our drop rules can match. */
export interface CountedRule {
  readonly chain: string;
  readonly drop: boolean;
  /** The Ethernet source and destination it matches (null: any; negated matches are 'other'). */
  readonly src: string | null;
  readonly dst: string | null;
  /** null: it matches something our drop filters never write. */
  readonly scope: Scope | null;
  readonly packets: number;
  readonly bytes: number;
}

const PROTOCOLS: Record<string, 'icmp' | 'tcp' | 'udp'> = {
  icmp: 'icmp',
  '1': 'icmp',
  tcp: 'tcp',
  '6': 'tcp',
  udp: 'udp',
  '17': 'udp',
};

function scopeFrom(ipv4: boolean, proto: string | null, port: string | null): Scope | null {
  if (!ipv4) return proto === null && port === null ? { kind: 'all' } : null;
  if (proto === null) return port === null ? { kind: 'ipv4' } : null;
  const kind = PROTOCOLS[proto.toLowerCase()];
  if (!kind) return null;
  if (kind === 'icmp') return port === null ? { kind } : null;
  if (port === null) return { kind };
  return /^\d+$/.test(port) ? { kind, port: Number(port) } : null;
}

const EB_CHAIN = /^Bridge chain: (\S+), entries:/;
const EB_COUNTED = /^(.*?)\s*,\s*pcnt = (\d+) -- bcnt = (\d+)\s*$/;

function ebOption(rule: string, name: string): string | null | 'negated' {
  const m = new RegExp(`(?:^|\\s)${name} (!\\s)?(\\S+)`).exec(rule);
  if (!m) return null;
  return m[1] ? 'negated' : (m[2] as string);
}

export function parseEbtablesCounters(text: string): CountedRule[] {
  const out: CountedRule[] = [];
  let chain: string | null = null;
  for (const line of text.split('\n')) {
    const c = EB_CHAIN.exec(line);
    if (c) {
      chain = c[1] as string;
      continue;
    }
    const r = EB_COUNTED.exec(line.trim());
    if (!r || !chain) continue;
    const rule = r[1] as string;
    const opts = ['-s', '-d', '-p', '--ip-proto', '--ip-dport'].map((o) => ebOption(rule, o));
    const [src, dst, proto, ipProto, dport] = opts;
    const negated = opts.includes('negated');
    const ipv4 = proto !== null && (String(proto).toLowerCase() === 'ipv4' || proto === '0x800');
    const other = negated || (proto !== null && !ipv4) || /--ip-(?!proto|dport)/.test(rule);
    out.push({
      chain,
      drop: /(?:^|\s)-j DROP$/.test(rule),
      src: src as string | null,
      dst: dst as string | null,
      scope: other ? null : scopeFrom(ipv4, ipProto as string | null, dport as string | null),
      packets: Number(r[2]),
      bytes: Number(r[3]),
    });
  }
  return out;
}

const NFT_CHAIN = /^\s*chain (\S+) \{/;
const NFT_COUNTED = /^(.*?)\bcounter packets (\d+) bytes (\d+)\s*(.*)$/;
/** The matches our drop filters produce, in nft's words; anything else makes the rule 'other'. */
const NFT_MATCH =
  /^(?:ether (saddr|daddr) ([0-9a-f:]{17})|ether type ip|ip protocol (\w+)|(tcp|udp) dport (\d+))\s*/;

export function parseNftCounters(text: string): CountedRule[] {
  const out: CountedRule[] = [];
  let chain: string | null = null;
  for (const line of text.split('\n')) {
    const c = NFT_CHAIN.exec(line);
    if (c) {
      chain = c[1] as string;
      continue;
    }
    const r = NFT_COUNTED.exec(line.trim());
    if (!r || !chain) continue;
    let rest = (r[1] as string).trim();
    let src: string | null = null;
    let dst: string | null = null;
    let ipv4 = false;
    let proto: string | null = null;
    let port: string | null = null;
    for (let m = NFT_MATCH.exec(rest); m && rest; m = NFT_MATCH.exec(rest)) {
      if (m[1] === 'saddr') src = m[2] as string;
      else if (m[1] === 'daddr') dst = m[2] as string;
      else if (m[3]) proto = m[3];
      else if (m[4]) {
        proto = m[4];
        port = m[5] as string;
      } else ipv4 = true;
      rest = rest.slice(m[0].length);
    }
    out.push({
      chain,
      drop: (r[4] as string).trim() === 'drop',
      src,
      dst,
      scope: rest === '' ? scopeFrom(ipv4 || proto !== null, proto, port) : null,
      packets: Number(r[2]),
      bytes: Number(r[3]),
    });
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

/**
 * The drop rules among `rules` on the given ports (portdev -> the port's MAC), as flows: in the
 * O chain a source PEER drops PEER -> guest, in the I chain a destination PEER drops
 * guest -> PEER. Rules that are not a plain MAC drop of ours (clean-traffic's, negated or other
 * matches) are left out.
 */
export function dropCounters(
  rules: readonly CountedRule[],
  ports: ReadonlyMap<string, MacAddress>,
): DropCounter[] {
  const out: DropCounter[] = [];
  for (const r of rules) {
    const chain = ROOT_CHAIN.exec(r.chain);
    if (!chain || !r.drop || !r.scope) continue;
    const portdev = chain[2] as string;
    const own = ports.get(portdev);
    if (!own) continue;
    const toGuest = chain[1] === 'O';
    const peerText = toGuest ? r.src : r.dst;
    if (peerText === null || (toGuest ? r.dst : r.src) !== null) continue;
    let peer: MacAddress;
    try {
      peer = macAddress(peerText);
    } catch {
      continue;
    }
    const flow: Flow = toGuest
      ? { src: peer, dst: own, scope: r.scope }
      : { src: own, dst: peer, scope: r.scope };
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

/** Either listing, told apart by its first line. */
export function parseRuleCounters(text: string): CountedRule[] {
  return /^table bridge /m.test(text) ? parseNftCounters(text) : parseEbtablesCounters(text);
}
