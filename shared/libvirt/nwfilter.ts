// nwfilter XML (virsh nwfilter-dumpxml / nwfilter-define): a named filter, its chain and priority,
// and an ordered list of entries, each a rule or a reference to another filter.
import { XmlModelError } from './errors';
import { canonicalParameters, type FilterRef, filterRefElement, parseFilterRef } from './filterref';
import { compact, type FilterName, filterName, type Uuid, uuid } from './values';
import {
  type Aside,
  type Attrs,
  asidesOf,
  child,
  el,
  isElement,
  parseXml,
  requireAttr,
  serializeXml,
  textEl,
  textOf,
  withAsides,
  type XmlElement,
  type XmlNode,
} from './xml';

export type RuleDirection = 'in' | 'out' | 'inout';

/** One protocol element of a rule (<mac .../>, <ip .../>, <tcp .../>...), attributes as written. */
export interface ProtocolMatch {
  readonly protocol: string;
  readonly attrs: Attrs;
  /** Whatever the element holds (libvirt expects nothing; a comment is kept). */
  readonly children?: readonly XmlNode[];
}

export interface FilterRule {
  /** drop, accept, reject, return or continue. */
  readonly action: string;
  /** in: traffic to the guest; out: traffic from the guest. */
  readonly direction: RuleDirection;
  readonly priority?: number;
  readonly statematch?: boolean;
  /** Usually one; none means "every frame" in the filter's chain. */
  readonly matches: readonly ProtocolMatch[];
  /** Attributes of <rule> we do not model, kept in order. */
  readonly otherAttrs?: Attrs;
  /** Comments among the protocol elements, kept in place. */
  readonly asides?: readonly Aside[];
}

export type FilterEntry =
  | { readonly kind: 'rule'; readonly rule: FilterRule }
  | { readonly kind: 'filterref'; readonly ref: FilterRef }
  /** Anything else found among the entries (an unknown element, a comment), kept in place. */
  | { readonly kind: 'other'; readonly node: XmlNode };

/** What a filter is; enough to build its XML. */
export interface FilterDef {
  readonly name: FilterName;
  /** Needed to redefine an existing filter; libvirt assigns one on first definition. */
  readonly uuid?: Uuid;
  /** root (the default), mac, ipv4, arp... or a prefixed name such as ipv4-ip. */
  readonly chain?: string;
  readonly priority?: number;
  readonly entries: readonly FilterEntry[];
  readonly otherAttrs?: Attrs;
}

/** A filter as libvirt returned it, with the parsed tree kept. */
export interface NwFilter extends FilterDef {
  readonly xml: XmlElement;
}

const RULE_KNOWN = new Set(['action', 'direction', 'priority', 'statematch']);
const FILTER_KNOWN = new Set(['name', 'chain', 'priority']);

function integer(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(text.trim()))
    throw new XmlModelError('invalid-value', `${what} is not an integer: ${JSON.stringify(text)}`);
  return Number(text);
}

function others(attrs: Attrs, known: Set<string>): Attrs | undefined {
  const rest = Object.entries(attrs).filter(([k]) => !known.has(k));
  return rest.length > 0 ? Object.fromEntries(rest) : undefined;
}

function parseDirection(text: string): RuleDirection {
  if (text === 'in' || text === 'out' || text === 'inout') return text;
  throw new XmlModelError('invalid-value', `rule direction ${JSON.stringify(text)}`);
}

function parseStatematch(text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  const t = text.trim().toLowerCase();
  if (t === 'false' || t === '0') return false;
  if (t === 'true' || t === '1') return true;
  throw new XmlModelError('invalid-value', `statematch ${JSON.stringify(text)}`);
}

export function parseRule(e: XmlElement): FilterRule {
  const rule: FilterRule = {
    action: requireAttr(e, 'action'),
    direction: parseDirection(requireAttr(e, 'direction')),
    priority: integer(e.attrs.priority, 'rule priority'),
    statematch: parseStatematch(e.attrs.statematch),
    matches: e.children
      .filter(isElement)
      .map((m) =>
        m.children.length > 0
          ? { protocol: m.name, attrs: m.attrs, children: m.children }
          : { protocol: m.name, attrs: m.attrs },
      ),
    otherAttrs: others(e.attrs, RULE_KNOWN),
    asides: asidesOf(e),
  };
  return compact(rule);
}

export function parseNwfilterElement(root: XmlElement): NwFilter {
  if (root.name !== 'filter')
    throw new XmlModelError('unexpected-root', `expected <filter>, found <${root.name}>`);
  const uuidText = textOf(child(root, 'uuid'));
  const entries: FilterEntry[] = [];
  for (const c of root.children) {
    if (isElement(c) && c.name === 'uuid') continue;
    if (isElement(c) && c.name === 'rule') entries.push({ kind: 'rule', rule: parseRule(c) });
    else if (isElement(c) && c.name === 'filterref')
      entries.push({ kind: 'filterref', ref: parseFilterRef(c) });
    else entries.push({ kind: 'other', node: c });
  }
  return compact({
    name: filterName(requireAttr(root, 'name')),
    uuid: uuidText === undefined ? undefined : uuid(uuidText),
    chain: root.attrs.chain,
    priority: integer(root.attrs.priority, 'filter priority'),
    entries,
    otherAttrs: others(root.attrs, FILTER_KNOWN),
    xml: root,
  });
}

export function parseNwfilter(xml: string): NwFilter {
  return parseNwfilterElement(parseXml(xml, 'filter'));
}

export function ruleElement(rule: FilterRule): XmlElement {
  return el(
    'rule',
    {
      action: rule.action,
      direction: rule.direction,
      priority: rule.priority,
      statematch: rule.statematch === undefined ? undefined : String(rule.statematch),
      ...rule.otherAttrs,
    },
    withAsides(
      rule.matches.map((m) => el(m.protocol, m.attrs, m.children ?? [])),
      rule.asides,
    ),
  );
}

export function filterElement(def: FilterDef): XmlElement {
  return el(
    'filter',
    {
      name: filterName(def.name),
      chain: def.chain,
      priority: def.priority,
      ...def.otherAttrs,
    },
    [
      def.uuid !== undefined && textEl('uuid', uuid(def.uuid)),
      ...def.entries.map((e) =>
        e.kind === 'rule'
          ? ruleElement(e.rule)
          : e.kind === 'filterref'
            ? filterRefElement(e.ref)
            : e.node,
      ),
    ],
  );
}

/** Filter XML for nwfilter-define. */
export function buildFilterXml(def: FilterDef): string {
  return serializeXml(filterElement(def));
}

/** The filterrefs of a filter, in order. */
export function filterRefs(f: FilterDef): FilterRef[] {
  return f.entries.flatMap((e) => (e.kind === 'filterref' ? [e.ref] : []));
}

/** The rules of a filter, in order. */
export function filterRules(f: FilterDef): FilterRule[] {
  return f.entries.flatMap((e) => (e.kind === 'rule' ? [e.rule] : []));
}

/**
 * Whether two definitions mean the same filter, however each was spelled: uuid and kept tree
 * aside, attribute order ignored, parameters grouped by name as libvirt prints them.
 */
export function sameFilterContent(a: FilterDef, b: FilterDef): boolean {
  return canonicalFilter(a) === canonicalFilter(b);
}

function sortedAttrs(attrs: Attrs | undefined): [string, string][] {
  return Object.entries(attrs ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

function canonicalFilter(f: FilterDef): string {
  return JSON.stringify({
    name: f.name,
    chain: f.chain ?? 'root',
    priority: f.priority ?? null,
    other: sortedAttrs(f.otherAttrs),
    entries: f.entries.map((e) =>
      e.kind === 'rule'
        ? {
            rule: [
              e.rule.action,
              e.rule.direction,
              e.rule.priority ?? null,
              e.rule.statematch ?? null,
            ],
            other: sortedAttrs(e.rule.otherAttrs),
            matches: e.rule.matches.map((m) => [m.protocol, sortedAttrs(m.attrs)]),
          }
        : e.kind === 'filterref'
          ? { ref: e.ref.filter, params: canonicalParameters(e.ref.parameters) }
          : { node: 'name' in e.node ? serializeXml(e.node) : e.node },
    ),
  });
}
