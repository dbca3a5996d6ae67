// A filter expanded into its rules in plain words, depth first through its filterrefs, with the
// variables ($IP, $KC_PEER...) taking the values the port's binding and the filterrefs give them:
// "drop frames to this guest from 52:54:00:00:00:22". Pure.
import type { FilterParameter, FilterTreeNode, OwnershipClass, PlainRule } from '../api';
import type { FilterRule, NwFilter, ProtocolMatch } from '../libvirt';
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

const PROTOCOL_WORDS: Record<string, string> = {
  mac: 'frames',
  vlan: 'VLAN frames',
  stp: 'STP frames',
  arp: 'ARP',
  rarp: 'RARP',
  ip: 'IPv4',
  ipv6: 'IPv6',
  tcp: 'TCP',
  udp: 'UDP',
  icmp: 'ICMP',
  igmp: 'IGMP',
  sctp: 'SCTP',
  all: 'IPv4',
  'tcp-ipv6': 'TCP over IPv6',
  'udp-ipv6': 'UDP over IPv6',
  icmpv6: 'ICMPv6',
  'all-ipv6': 'IPv6',
};

const ATTRIBUTE_WORDS: Record<string, (v: string) => string> = {
  srcmacaddr: (v) => `from ${v}`,
  dstmacaddr: (v) => `to ${v}`,
  srcipaddr: (v) => `from address ${v}`,
  dstipaddr: (v) => `to address ${v}`,
  arpsrcmacaddr: (v) => `claiming MAC ${v}`,
  arpsrcipaddr: (v) => `claiming address ${v}`,
  dstportstart: (v) => `to port ${v}`,
  srcportstart: (v) => `from port ${v}`,
  protocolid: (v) => `carrying ${v}`,
  protocol: (v) => `of protocol ${v}`,
};

function matchWords(m: ProtocolMatch, vars: Vars): { what: string; details: string[] } {
  const attrs = m.attrs;
  let what = PROTOCOL_WORDS[m.protocol] ?? `${m.protocol} traffic`;
  if (m.protocol === 'ip' && attrs.protocol) what = attrs.protocol.toUpperCase();
  const details: string[] = [];
  for (const [name, raw] of Object.entries(attrs)) {
    if (m.protocol === 'ip' && name === 'protocol') continue;
    const value = resolve(raw, vars);
    const neg = value.startsWith('!');
    const word = ATTRIBUTE_WORDS[name]?.(neg ? value.slice(1) : value) ?? `${name}=${value}`;
    details.push(neg ? `not ${word}` : word);
    if (name === 'dstportend' || name === 'srcportend') details.pop();
  }
  return { what, details };
}

export function ruleWords(rule: FilterRule, vars: Vars): string {
  const where =
    rule.direction === 'in'
      ? 'to this guest'
      : rule.direction === 'out'
        ? 'from this guest'
        : 'to or from this guest';
  const matches = rule.matches.length
    ? rule.matches.map((m) => matchWords(m, vars))
    : [{ what: 'frames', details: [] }];
  const parts = matches.map((m) => [m.what, where, ...m.details].join(' '));
  const action = rule.action === 'return' ? 'stop checking this chain for' : rule.action;
  return `${action} ${parts.join('; ')}`;
}

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
    const rules: PlainRule[] = [];
    const node: FilterTreeNode = {
      filter: name,
      depth,
      chain: f.chain ?? 'root',
      priority: f.priority ?? null,
      class: classOf(name),
      rules,
      missing: false,
    };
    nodes.push(node);
    if (path.has(name)) return; // libvirt refuses loops; never recurse into one
    const inner = new Set(path).add(name);
    for (const e of f.entries) {
      if (e.kind === 'rule') {
        const m = e.rule.matches[0];
        rules.push({
          action: e.rule.action,
          direction: e.rule.direction,
          priority: e.rule.priority ?? null,
          protocol: m?.protocol ?? null,
          text: ruleWords(e.rule, vars),
          attributes: e.rule.matches.flatMap((x) =>
            Object.entries(x.attrs).map(([n, v]) => ({ name: n, value: resolve(v, vars) })),
          ),
        });
      } else if (e.kind === 'filterref') {
        walk(e.ref.filter, depth + 1, withParameters(vars, e.ref.parameters), inner);
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
