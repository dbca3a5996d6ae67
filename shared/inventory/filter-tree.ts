// A filter expanded into its rules in plain words, depth first through its filterrefs, with the
// variables ($IP, $KC_PEER...) taking the values the port's binding and the filterrefs give them:
// "drop frames to this guest from 52:54:00:00:00:22". Words follow libvirt's formatnwfilter
// documentation; entries are listed in the order libvirt evaluates them. Pure.
import type { FilterParameter, FilterTreeNode, OwnershipClass, PlainRule } from '../api';
import type { FilterEntry, FilterRule, NwFilter, ProtocolMatch } from '../libvirt';
import type { ParsedHost } from './build';

type Vars = ReadonlyMap<string, readonly string[]>;

function withParameters(vars: Vars, params: readonly FilterParameter[]): Vars {
  const next = new Map(vars);
  const given = new Map<string, string[]>();
  for (const p of params) given.set(p.name, [...(given.get(p.name) ?? []), p.value]);
  for (const [k, v] of given) next.set(k, v);
  return next;
}

/** $NAME (or $NAME[@n]) in an attribute, replaced by its values; unknown variables stay as written. */
function resolve(value: string, vars: Vars): string {
  const m = /^\$([A-Za-z0-9_]+)(\[@?\d+\])?$/.exec(value);
  if (!m) return value;
  const values = vars.get(m[1] as string);
  if (!values || values.length === 0) return value;
  return values.length === 1
    ? (values[0] as string)
    : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

// ---- order of evaluation ---------------------------------------------------------------------

/** libvirt's default chain priorities (nwfilter_conf.h); a chain named arp-xyz is an arp chain. */
const CHAIN_PRIORITY: Readonly<Record<string, number>> = {
  root: 0,
  stp: -810,
  mac: -800,
  vlan: -750,
  ipv4: -700,
  ipv6: -600,
  arp: -500,
  rarp: -400,
};
/** A rule without a priority attribute gets 500 (formatnwfilter: Filter rules). */
export const DEFAULT_RULE_PRIORITY = 500;

/** The protocol family of a chain: 'ipv4' for ipv4-ip, 'root' for the root chain. */
export function chainFamily(chain: string | undefined): string {
  const c = chain ?? 'root';
  return Object.keys(CHAIN_PRIORITY).find((k) => c === k || c.startsWith(`${k}-`)) ?? c;
}

/** Where a filter's chain is entered from the root chain: its priority, or the chain's default. */
export function chainPriority(f: Pick<NwFilter, 'chain' | 'priority'>): number {
  return f.priority ?? CHAIN_PRIORITY[chainFamily(f.chain)] ?? 0;
}

interface Placed {
  readonly entry: FilterEntry;
  /** The priority at which the entry takes effect. */
  readonly at: number;
  /** A jump into another chain goes before rules of the same priority (ebiptablesApplyNewRules). */
  readonly jump: boolean;
  readonly index: number;
}

/**
 * A filter's rules and filterrefs in the order libvirt evaluates them: by priority, then in
 * document order. A rule is at its priority (500 when it has none). A filterref to a filter in
 * another chain is the jump into that chain, at the chain's priority; a filterref to a filter in
 * the same chain merges that filter's rules into this one, so it sits where its first entry does.
 */
export function evaluationOrder(
  f: NwFilter,
  filters: ReadonlyMap<string, NwFilter>,
  path: ReadonlySet<string> = new Set(),
): Placed[] {
  const inner = new Set(path).add(f.name as string);
  let previous = Number.NEGATIVE_INFINITY;
  const placed: Placed[] = [];
  f.entries.forEach((entry, index) => {
    if (entry.kind === 'other') return;
    let at = previous;
    let jump = false;
    if (entry.kind === 'rule') {
      at = entry.rule.priority ?? DEFAULT_RULE_PRIORITY;
    } else {
      const target = filters.get(entry.ref.filter as string);
      if (target && chainFamily(target.chain) !== chainFamily(f.chain)) {
        at = chainPriority(target);
        jump = true;
      } else if (target && !inner.has(target.name as string)) {
        const first = evaluationOrder(target, filters, inner)[0];
        at = first ? first.at : chainPriority(target);
        jump = first?.jump ?? false;
      }
      // A missing filter (or a loop, which libvirt refuses) stays where it was written.
    }
    previous = at;
    placed.push({ entry, at, jump, index });
  });
  return placed.sort((a, b) => a.at - b.at || Number(b.jump) - Number(a.jump) || a.index - b.index);
}

// ---- words -----------------------------------------------------------------------------------

/** What a rule with no protocol element matches: everything that enters its chain. */
const CHAIN_WORDS: Readonly<Record<string, string>> = {
  root: 'all frames',
  mac: 'all frames',
  stp: 'STP frames',
  vlan: 'VLAN (802.1Q) frames',
  arp: 'ARP packets',
  rarp: 'RARP packets',
  ipv4: 'IPv4 packets',
  ipv6: 'IPv6 packets',
};

/** The protocol elements of formatnwfilter, as nouns. */
const PROTOCOL_WORDS: Readonly<Record<string, string>> = {
  mac: 'frames',
  vlan: 'VLAN (802.1Q) frames',
  stp: 'STP frames',
  arp: 'ARP packets',
  rarp: 'RARP packets',
  ip: 'IPv4 packets',
  ipv6: 'IPv6 packets',
  tcp: 'IPv4 TCP packets',
  udp: 'IPv4 UDP packets',
  sctp: 'IPv4 SCTP packets',
  udplite: 'IPv4 UDP-Lite packets',
  esp: 'IPv4 ESP packets',
  ah: 'IPv4 AH packets',
  icmp: 'ICMP packets',
  igmp: 'IGMP packets',
  all: 'IPv4 packets',
  'tcp-ipv6': 'IPv6 TCP packets',
  'udp-ipv6': 'IPv6 UDP packets',
  'sctp-ipv6': 'IPv6 SCTP packets',
  'udplite-ipv6': 'IPv6 UDP-Lite packets',
  'esp-ipv6': 'IPv6 ESP packets',
  'ah-ipv6': 'IPv6 AH packets',
  icmpv6: 'ICMPv6 packets',
  'all-ipv6': 'IPv6 packets',
};

/** ARP opcodes (nwfilter_conf.c arpOpcodeMap): the names libvirt accepts for the numbers. */
const ARP_OPCODES = [
  'Request',
  'Reply',
  'Request_Reverse',
  'Reply_Reverse',
  'DRARP_Request',
  'DRARP_Reply',
  'DRARP_Error',
  'InARP_Request',
  'ARP_NAK',
] as const;

function opcodeName(v: string): string {
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : Number.NaN;
  const name = ARP_OPCODES[n - 1] ?? ARP_OPCODES.find((o) => o.toLowerCase() === v.toLowerCase());
  return (name ?? v).replaceAll('_', ' ');
}

/** protocolid / encap-protocol: arp, rarp, ipv4, ipv6 or an EtherType number. */
function etherTypeName(v: string): { name: string; named: boolean } {
  const names: Record<string, string> = { arp: 'ARP', rarp: 'RARP', ipv4: 'IPv4', ipv6: 'IPv6' };
  const named = names[v.toLowerCase()];
  return named ? { name: named, named: true } : { name: `EtherType ${v}`, named: false };
}

/** An IP_MASK / IPV6_MASK (dotted, colon-hex or a CIDR number) as a prefix length. */
export function prefixLength(mask: string): string {
  if (/^\d+$/.test(mask)) return `/${Number(mask)}`;
  let bits = '';
  if (/^\d+(\.\d+){3}$/.test(mask)) {
    bits = mask
      .split('.')
      .map((o) => Number(o).toString(2).padStart(8, '0'))
      .join('');
  } else if (mask.includes(':')) {
    const [head = '', tail = ''] = mask.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
    bits = groups
      .map((g) =>
        Number.parseInt(g || '0', 16)
          .toString(2)
          .padStart(16, '0'),
      )
      .join('');
  }
  const ones = /^(1*)0*$/.exec(bits);
  return ones ? `/${ones[1]?.length ?? 0}` : ` (mask ${mask})`;
}

interface Attr {
  readonly name: string;
  readonly value: string;
  /** From an element with match='no'. */
  readonly neg: boolean;
}

const range = (start: string | undefined, end: string | undefined, one: string, many: string) =>
  start !== undefined && (end === undefined || end === start)
    ? `${one} ${start}`
    : `${many} ${start ?? '0'}-${end}`;

/** The attributes a detail consumes together with its main one. */
const COMPANIONS: Readonly<Record<string, readonly string[]>> = {
  srcmacaddr: ['srcmacmask'],
  dstmacaddr: ['dstmacmask'],
  srcipaddr: ['srcipmask'],
  dstipaddr: ['dstipmask'],
  arpsrcipaddr: ['arpsrcipmask'],
  arpdstipaddr: ['arpdstipmask'],
  srcipfrom: ['srcipto'],
  dstipfrom: ['dstipto'],
  srcportstart: ['srcportend'],
  dstportstart: ['dstportend'],
  ipset: ['ipsetflags'],
  type: ['typeend'],
  code: ['codeend'],
};

/** One attribute (with its companions) in words; `neg` for an element with match='no'. */
function detailWords(name: string, get: (n: string) => string | undefined, neg: boolean): string {
  const v = get(name) ?? '';
  const not = (phrase: string) => (neg ? `not ${phrase}` : phrase);
  const other = (label: string, value: string) =>
    neg ? `${label} other than ${value}` : `${label} ${value}`;
  const address = (one: string, many: string, maskName: string) => {
    const mask = get(maskName);
    const p = mask === undefined ? '' : prefixLength(mask);
    const single = p === '' || p === '/32' || p === '/128';
    return single ? [one, v] : [many, `${v}${p}`];
  };
  const macMask = (maskName: string) => {
    const m = get(maskName);
    return m === undefined ? '' : ` (mask ${m})`;
  };
  switch (name) {
    case 'srcmacaddr':
      return not(`from ${v}${macMask('srcmacmask')}`);
    case 'dstmacaddr':
      return not(`to ${v}${macMask('dstmacmask')}`);
    case 'srcipaddr':
      return not(address('from address', 'from addresses', 'srcipmask').join(' '));
    case 'dstipaddr':
      return not(address('to address', 'to addresses', 'dstipmask').join(' '));
    case 'srcipfrom':
      return not(`from addresses ${v}-${get('srcipto') ?? v}`);
    case 'dstipfrom':
      return not(`to addresses ${v}-${get('dstipto') ?? v}`);
    case 'srcportstart':
      return not(range(v, get('srcportend'), 'from port', 'from ports'));
    case 'dstportstart':
      return not(range(v, get('dstportend'), 'to port', 'to ports'));
    case 'arpsrcmacaddr':
      return other('with ARP source MAC', v);
    case 'arpdstmacaddr':
      return other('with ARP destination MAC', v);
    case 'arpsrcipaddr':
    case 'arpdstipaddr': {
      const side = name === 'arpsrcipaddr' ? 'source' : 'destination';
      const mask = name === 'arpsrcipaddr' ? 'arpsrcipmask' : 'arpdstipmask';
      const [label, value] = address(
        `with ARP ${side} address`,
        `with ARP ${side} addresses`,
        mask,
      );
      return other(label as string, value as string);
    }
    case 'hwtype':
      return other('with hardware type', v);
    case 'protocoltype':
      return other('with protocol type', v);
    case 'gratuitous':
      return /^(1|true|yes)$/i.test(v) !== neg
        ? 'that are gratuitous ARP'
        : 'that are not gratuitous ARP';
    case 'vlanid':
      return not(`on VLAN ${v}`);
    case 'dscp':
      return other('with DSCP', v);
    case 'state':
      return not(`in connection state ${v.split(',').join(' or ')}`);
    case 'connlimit-above':
      return not(`beyond ${v} connections`);
    case 'ipset': {
      const flags = get('ipsetflags');
      return not(`in ipset ${v}${flags ? ` (${flags})` : ''}`);
    }
    case 'flags':
      return other('with TCP flags', v);
    case 'option':
      return other('with TCP option', v);
    case 'type':
      return not(range(v, get('typeend'), 'of type', 'of types'));
    case 'code':
      return other('with code', range(v, get('codeend'), '', '').trim());
    default:
      return not(`${name}=${v}`);
  }
}

// Attributes that name the kind of traffic rather than narrow it.
const NOUN_ATTRIBUTES = new Set(['protocol', 'protocolid', 'encap-protocol', 'opcode', 'comment']);
// STP attributes: "root-priority" with "root-priority-hi" is a range of the root priority.
const STP_RANGE = /^(.*?)[-_]hi$/;

function matchWords(
  rule: FilterRule,
  chain: string | undefined,
  vars: Vars,
): { what: string; details: string[] } {
  const first = rule.matches[0];
  if (!first) return { what: CHAIN_WORDS[chainFamily(chain)] ?? 'all frames', details: [] };
  // libvirt reads the first protocol element; later ones of the same protocol add attributes,
  // others are ignored (nwfilter_conf.c virNWFilterRuleParse).
  const same = rule.matches.filter((m) => m.protocol === first.protocol);
  const attrs: Attr[] = same.flatMap((m: ProtocolMatch) =>
    Object.entries(m.attrs)
      .filter(([name]) => name !== 'match')
      .map(([name, raw]) => {
        const value = resolve(raw, vars);
        const bang = value.startsWith('!');
        return {
          name,
          value: bang ? value.slice(1) : value,
          neg: bang !== (m.attrs.match?.toLowerCase() === 'no'),
        };
      }),
  );
  const find = (name: string) => attrs.find((a) => a.name === name);

  let what = PROTOCOL_WORDS[first.protocol] ?? `${first.protocol} traffic`;
  const protocol = find('protocol');
  if (protocol && (first.protocol === 'ip' || first.protocol === 'ipv6')) {
    const family = first.protocol === 'ip' ? 'IPv4' : 'IPv6';
    const p = /^\d+$/.test(protocol.value)
      ? `protocol ${protocol.value}`
      : protocol.value.toUpperCase();
    what = protocol.neg ? `${family} packets other than ${p}` : `${family} ${p} packets`;
  }
  const ether = find('protocolid') ?? find('encap-protocol');
  if (ether) {
    const e = etherTypeName(ether.value);
    const noun = first.protocol === 'vlan' ? 'VLAN (802.1Q) frames' : 'frames';
    what = ether.neg
      ? `${noun} other than ${e.name}`
      : e.named
        ? `${e.name} ${noun}`
        : `${noun} of ${e.name}`;
  }
  const opcode = find('opcode');
  if (opcode) {
    const proto = first.protocol === 'rarp' ? 'RARP' : 'ARP';
    what = opcode.neg
      ? `${proto} packets other than ${opcodeName(opcode.value)}`
      : `${proto} ${opcodeName(opcode.value)} packets`;
  }

  const consumed = new Set<string>(NOUN_ATTRIBUTES);
  for (const a of attrs) for (const c of COMPANIONS[a.name] ?? []) if (find(c)) consumed.add(c);
  const details: string[] = [];
  for (const a of attrs) {
    if (consumed.has(a.name)) continue;
    const hi = STP_RANGE.exec(a.name);
    if (hi && find(hi[1] as string)) continue;
    const get = (n: string) => (n === a.name ? a.value : find(n)?.value);
    if (first.protocol === 'stp' && !['srcmacaddr', 'srcmacmask'].includes(a.name)) {
      const upper = attrs.find((x) => STP_RANGE.exec(x.name)?.[1] === a.name);
      const label = a.name === 'type' ? 'BPDU type' : a.name === 'flags' ? 'BPDU flags' : a.name;
      const value = upper ? `${a.value}-${upper.value}` : a.value;
      details.push(
        a.neg
          ? `with ${label.replace(/[-_]/g, ' ')} other than ${value}`
          : `with ${label.replace(/[-_]/g, ' ')} ${value}`,
      );
    } else {
      details.push(detailWords(a.name, get, a.neg));
    }
  }
  const comment = find('comment');
  if (comment) details.push(`(comment: ${comment.value})`);
  const ignored = rule.matches.filter((m) => m.protocol !== first.protocol).map((m) => m.protocol);
  if (ignored.length > 0) details.push(`(libvirt ignores the ${ignored.join(', ')} element)`);
  return { what, details };
}

const ACTION_WORDS: Readonly<Record<string, string>> = {
  accept: 'accept',
  drop: 'drop',
  reject: 'reject',
  // formatnwfilter: "passes this filter, but returns control to the calling filter".
  return: 'stop checking this chain for',
  // "goes on to the next rule for further analysis".
  continue: 'go on to the next rule for',
};

/**
 * A rule in words: action, what it matches, direction, then each attribute. `chain` is the
 * chain of the rule's filter: a rule with no protocol element matches what enters that chain.
 */
export function ruleWords(rule: FilterRule, vars: Vars, chain?: string): string {
  const where =
    rule.direction === 'in'
      ? 'to this guest'
      : rule.direction === 'out'
        ? 'from this guest'
        : 'to or from this guest';
  const { what, details } = matchWords(rule, chain, vars);
  const state = rule.statematch === false ? ['(without connection tracking)'] : [];
  const action = ACTION_WORDS[rule.action] ?? rule.action;
  return [action, what, where, ...details, ...state].join(' ');
}

// ---- the tree --------------------------------------------------------------------------------

export function filterTree(
  host: ParsedHost,
  root: string,
  portdev: string | undefined,
  classOf: (name: string) => OwnershipClass,
): { nodes: FilterTreeNode[]; parameters: FilterParameter[] } {
  const filters = new Map<string, NwFilter>(host.filters.map((f) => [f.name as string, f]));
  const binding = portdev
    ? host.bindings.find((b) => b.binding.portdev === portdev)?.binding
    : undefined;
  const parameters = (binding?.filterref.parameters ?? []).map((p) => ({
    name: p.name,
    value: p.value,
  }));
  const nodes: FilterTreeNode[] = [];
  const walk = (name: string, depth: number, vars: Vars, path: Set<string>) => {
    const f = filters.get(name);
    if (!f) {
      nodes.push({
        filter: name,
        depth,
        chain: null,
        priority: null,
        class: classOf(name),
        rules: [],
        missing: true,
      });
      return;
    }
    // Rules that libvirt evaluates after one of the filter's filterrefs go in a continuation
    // node of the same filter, below that filterref's subtree, so the list reads in order.
    let rules: PlainRule[] = [];
    const open = (continued: boolean) => {
      rules = [];
      nodes.push({
        filter: name,
        depth,
        chain: f.chain ?? 'root',
        priority: f.priority ?? null,
        class: classOf(name),
        rules,
        missing: false,
        ...(continued ? { continued: true } : {}),
      });
    };
    open(false);
    if (path.has(name)) return; // libvirt refuses loops; never recurse into one
    const inner = new Set(path).add(name);
    let afterRef = false;
    for (const { entry: e } of evaluationOrder(f, filters)) {
      if (e.kind === 'rule') {
        if (afterRef) open(true);
        afterRef = false;
        const m = e.rule.matches[0];
        rules.push({
          action: e.rule.action,
          direction: e.rule.direction,
          priority: e.rule.priority ?? null,
          protocol: m?.protocol ?? null,
          text: ruleWords(e.rule, vars, f.chain),
          attributes: e.rule.matches.flatMap((x) =>
            Object.entries(x.attrs).map(([n, v]) => ({ name: n, value: resolve(v, vars) })),
          ),
        });
      } else if (e.kind === 'filterref') {
        walk(e.ref.filter, depth + 1, withParameters(vars, e.ref.parameters), inner);
        afterRef = true;
      }
    }
  };
  walk(
    binding && !root ? binding.filterref.filter : root,
    0,
    withParameters(new Map(), parameters),
    new Set(),
  );
  return { nodes, parameters };
}
