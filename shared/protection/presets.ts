// Spoof-protection presets: what a user picks for a guest interface, in words they understand,
// with validated parameters, and the <filterref> it becomes. Most presets are libvirt's stock
// filters; two need a filter of ours (presetFilters), which the engine defines before it
// updates the interface (planner's ensureFilters does the define-if-missing-or-different).

import { protectFilterName } from '../chaos/naming';
import { XmlModelError } from '../libvirt/errors';
import type { FilterParameter, FilterRef } from '../libvirt/filterref';
import type { FilterDef, FilterEntry } from '../libvirt/nwfilter';
import {
  type Cidr,
  cidr,
  cidrContains,
  type FilterName,
  filterName,
  ipAddress,
  ipv4,
  ipv6,
  macAddress,
} from '../libvirt/values';

export type ParameterKind = 'ipv4' | 'ipv6' | 'ip' | 'mac' | 'cidr';

export interface PresetParameter {
  /** The libvirt variable (IP, GATEWAY_MAC, DHCPSERVER). */
  readonly name: string;
  readonly label: string;
  readonly kind: ParameterKind;
  readonly required: boolean;
  /** May be given several times (libvirt then applies the rules once per value). */
  readonly multiple: boolean;
  readonly description: string;
}

export interface Preset {
  readonly id: string;
  readonly label: string;
  /** What it does, for the person choosing. */
  readonly description: string;
  /** The filter the interface's filterref names. */
  readonly filter: FilterName;
  /** The choice offered first. */
  readonly isDefault: boolean;
  readonly parameters: readonly PresetParameter[];
}

export class ProtectionError extends Error {
  override readonly name = 'ProtectionError';
  constructor(
    message: string,
    /** Per parameter, what is wrong with it. */
    readonly problems: readonly { readonly name: string; readonly message: string }[] = [],
  ) {
    super(message);
  }
}

const IP_PINNED: PresetParameter = {
  name: 'IP',
  label: 'Guest IPv4 address',
  kind: 'ipv4',
  required: true,
  multiple: true,
  description:
    'The address the guest may use, pinned here. Left to DHCP snooping, libvirt would trust the first DHCP answer the guest gets, so a rogue DHCP server on the segment decides what the guest may use, and after a migration the address is learned again on the new host.',
};

const SMTP_PORTS = [25, 465, 587] as const;

/** One rule with one ebtables-level protocol element (so it lands in ebtables' root chain). */
function rule(
  action: 'drop' | 'accept',
  direction: 'in' | 'out',
  priority: number,
  protocol: 'ip' | 'ipv6',
  attrs: Record<string, string>,
): FilterEntry {
  return { kind: 'rule', rule: { action, direction, priority, matches: [{ protocol, attrs }] } };
}

const DHCP_V4_ANSWER = { protocol: 'udp', srcportstart: '67', dstportstart: '68' };
const DHCP_V6_ANSWER = { protocol: 'udp', srcportstart: '547', dstportstart: '546' };

/** Our protection filters, by preset id. */
const OUR_FILTERS: Readonly<Record<string, FilterDef>> = {
  'no-outbound-smtp': {
    name: protectFilterName('no-smtp'),
    chain: 'root',
    entries: [
      ...SMTP_PORTS.map((port) =>
        rule('drop', 'out', -900, 'ip', { protocol: 'tcp', dstportstart: String(port) }),
      ),
      { kind: 'filterref', ref: { filter: filterName('clean-traffic'), parameters: [] } },
    ],
  },
  'block-rogue-dhcp': {
    name: protectFilterName('no-rogue-dhcp'),
    chain: 'root',
    entries: [
      // The guest may not answer as a DHCP server (v4 and v6)...
      rule('drop', 'out', -900, 'ip', DHCP_V4_ANSWER),
      rule('drop', 'out', -900, 'ipv6', DHCP_V6_ANSWER),
      // ...and takes DHCP answers only from the servers given.
      rule('accept', 'in', -910, 'ip', { srcipaddr: '$DHCPSERVER', ...DHCP_V4_ANSWER }),
      rule('drop', 'in', -900, 'ip', DHCP_V4_ANSWER),
    ],
  },
};

export const PRESETS: readonly Preset[] = [
  {
    id: 'clean-traffic',
    label: 'Clean traffic (IP pinned)',
    description:
      "libvirt's clean-traffic: the guest can send only with its own MAC and IPv4 address, cannot spoof ARP, and can send only IPv4 and ARP (IPv6 and other protocols are dropped). The address is pinned, not learned.",
    filter: filterName('clean-traffic'),
    isDefault: true,
    parameters: [IP_PINNED],
  },
  {
    id: 'clean-traffic-gateway',
    label: 'Clean traffic, gateway only',
    description:
      'Clean traffic, and the guest may exchange frames only with its gateway: other guests on the segment cannot reach it and it cannot reach them.',
    filter: filterName('clean-traffic-gateway'),
    isDefault: false,
    parameters: [
      IP_PINNED,
      {
        name: 'GATEWAY_MAC',
        label: 'Gateway MAC address',
        kind: 'mac',
        required: true,
        multiple: true,
        description: 'The MAC address of the router the guest talks through.',
      },
    ],
  },
  {
    id: 'no-mac-spoofing',
    label: 'No MAC spoofing',
    description:
      'The guest can send frames only from its own MAC address. Nothing else is checked.',
    filter: filterName('no-mac-spoofing'),
    isDefault: false,
    parameters: [],
  },
  {
    id: 'no-ip-spoofing',
    label: 'No IP spoofing',
    description:
      'The guest can send IPv4 only from its own address (and 0.0.0.0 for DHCP). MAC and ARP are not checked.',
    filter: filterName('no-ip-spoofing'),
    isDefault: false,
    parameters: [IP_PINNED],
  },
  {
    id: 'no-arp-spoofing',
    label: 'No ARP spoofing',
    description:
      'The guest cannot send ARP claiming a MAC or IPv4 address other than its own, so it cannot redirect its neighbours’ traffic to itself.',
    filter: filterName('no-arp-spoofing'),
    isDefault: false,
    parameters: [IP_PINNED],
  },
  {
    id: 'block-rogue-dhcp',
    label: 'Block rogue DHCP',
    description:
      'The guest cannot act as a DHCP server (its offers to other guests are dropped), and it accepts DHCP answers only from the server given, so a rogue server elsewhere cannot hand it an address.',
    filter: (OUR_FILTERS['block-rogue-dhcp'] as FilterDef).name,
    isDefault: false,
    parameters: [
      {
        name: 'DHCPSERVER',
        label: 'Trusted DHCP server',
        kind: 'ipv4',
        required: true,
        multiple: true,
        description:
          "The DHCP server's address (for a libvirt network, the network's own address, where its dnsmasq answers).",
      },
    ],
  },
  {
    id: 'no-outbound-smtp',
    label: 'Clean traffic, no outbound mail',
    description:
      'Clean traffic, and connections from the guest to mail ports (TCP 25, 465, 587) are dropped, so a compromised guest cannot send spam.',
    filter: (OUR_FILTERS['no-outbound-smtp'] as FilterDef).name,
    isDefault: false,
    parameters: [IP_PINNED],
  },
];

export function presetById(id: string): Preset {
  const p = PRESETS.find((x) => x.id === id);
  if (!p) throw new ProtectionError(`no preset ${JSON.stringify(id)}`);
  return p;
}

/** Filters of ours a preset needs defined before an interface can use it. */
export function presetFilters(id: string): FilterDef[] {
  const ours = OUR_FILTERS[presetById(id).id];
  return ours ? [ours] : [];
}

/** Every protection filter of ours (for classification). */
export function isPresetFilter(name: string): boolean {
  return Object.values(OUR_FILTERS).some((f) => f.name === name);
}

function check(make: (s: string) => string, text: string): string | null {
  try {
    return make(text);
  } catch (e) {
    if (e instanceof XmlModelError) return null;
    throw e;
  }
}

/** A value of the given kind, normalised, or null when it is not one. */
export function parseParameterValue(kind: ParameterKind, text: string): string | null {
  const t = text.trim();
  switch (kind) {
    case 'ipv4':
      return check(ipv4, t);
    case 'ipv6':
      return check(ipv6, t);
    case 'ip':
      return check((s) => ipAddress(s).address, t);
    case 'mac':
      return check(macAddress, t);
    case 'cidr':
      return check(cidr, t);
  }
}

const KIND_WORDS: Record<ParameterKind, string> = {
  ipv4: 'an IPv4 address like 192.168.77.11',
  ipv6: 'an IPv6 address like fe80::1',
  ip: 'an IPv4 or IPv6 address',
  mac: 'a MAC address like 52:54:00:00:00:22',
  cidr: 'a network like 192.168.77.0/24',
};

export interface ValidationContext {
  /** The guest's segment's subnets: a pinned address outside all of them is refused. */
  readonly subnets?: readonly Cidr[];
}

/**
 * The parameters normalised, in the preset's order, or a ProtectionError listing every problem:
 * a value of the wrong kind, a required parameter missing, several values where one is allowed,
 * a parameter the preset does not take, an address outside the segment.
 */
export function validatePresetParameters(
  id: string,
  given: readonly FilterParameter[],
  context: ValidationContext = {},
): FilterParameter[] {
  const preset = presetById(id);
  const problems: { name: string; message: string }[] = [];
  const out: FilterParameter[] = [];
  for (const g of given)
    if (!preset.parameters.some((p) => p.name === g.name))
      problems.push({ name: g.name, message: `${preset.label} takes no parameter ${g.name}` });
  for (const p of preset.parameters) {
    const values = given.filter((g) => g.name === p.name).map((g) => g.value);
    if (values.length === 0 && p.required)
      problems.push({ name: p.name, message: `${p.label} is required` });
    if (values.length > 1 && !p.multiple)
      problems.push({ name: p.name, message: `${p.label} takes one value` });
    const seen = new Set<string>();
    for (const v of values) {
      const parsed = parseParameterValue(p.kind, v);
      if (parsed === null) {
        problems.push({
          name: p.name,
          message: `${JSON.stringify(v)} is not ${KIND_WORDS[p.kind]}`,
        });
        continue;
      }
      if (
        p.name === 'IP' &&
        context.subnets &&
        context.subnets.length > 0 &&
        (p.kind === 'ipv4' || p.kind === 'ipv6' || p.kind === 'ip') &&
        !context.subnets.some((net) => cidrContains(net, ipAddress(parsed).address))
      )
        problems.push({
          name: p.name,
          message: `${parsed} is outside the guest's network (${context.subnets.join(', ')})`,
        });
      if (!seen.has(parsed)) out.push({ name: p.name, value: parsed });
      seen.add(parsed);
    }
  }
  if (problems.length > 0)
    throw new ProtectionError(problems.map((p) => p.message).join('; '), problems);
  return out;
}

/**
 * The interface filterref for a preset. Addresses the guest is known to have fill in a missing
 * IP, so clean-traffic is pinned whenever the address is known.
 */
export function presetFilterRef(
  id: string,
  given: readonly FilterParameter[],
  known: { readonly ips?: readonly string[] } & ValidationContext = {},
): FilterRef {
  const preset = presetById(id);
  const takesIp = preset.parameters.find((p) => p.name === 'IP');
  const fill =
    takesIp && !given.some((g) => g.name === 'IP')
      ? (known.ips ?? [])
          .filter((ip) => parseParameterValue(takesIp.kind, ip) !== null)
          .map((value) => ({ name: 'IP', value }))
      : [];
  return {
    filter: preset.filter,
    parameters: validatePresetParameters(id, [...given, ...fill], known),
  };
}

/**
 * Which preset a filterref is, with its parameters; null when it is none of them exactly (for
 * example clean-traffic without an IP, which leaves the address to learning).
 */
export function recognisePreset(
  ref: FilterRef,
): { presetId: string; parameters: FilterParameter[] } | null {
  for (const preset of PRESETS) {
    if (preset.filter !== ref.filter) continue;
    // libvirt adds MAC to bindings itself; it is not a choice.
    const given = ref.parameters.filter((p) => p.name !== 'MAC');
    try {
      return { presetId: preset.id, parameters: validatePresetParameters(preset.id, given) };
    } catch (e) {
      if (e instanceof ProtectionError) return null;
      throw e;
    }
  }
  return null;
}
