// The one XML configuration of the project: fast-xml-parser in preserve-order mode reads, and a
// small writer below writes, so element order (rules and filterrefs interleave in a filter),
// unknown and namespaced elements and comments survive a round trip. Everything above this file
// works on the small immutable tree below; every string that reaches XML is escaped here
// (escapeAttribute, escapeText), never by the callers.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { XmlModelError } from './errors';

export type Attrs = Readonly<Record<string, string>>;

export interface XmlElement {
  readonly name: string;
  /** In document order. */
  readonly attrs: Attrs;
  readonly children: readonly XmlNode[];
}
export type XmlNode = XmlElement | { readonly text: string } | { readonly comment: string };

const OPTIONS = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Values stay text: a uuid or a MAC must never become a number.
  parseTagValue: false,
  parseAttributeValue: false,
  // Values are kept exactly (a name may start with a space); whitespace-only text between
  // elements is dropped in fromFxp below, since it is layout, not content.
  trimValues: false,
  processEntities: true,
  // The XML entities and numeric references (&#233;). This also decodes a few HTML names
  // (&nbsp;) that libvirt never sends; the validator has already refused undeclared syntax.
  htmlEntities: true,
  commentPropName: '#comment',
  textNodeName: '#text',
} as const;

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/**
 * An attribute value as XML text. Beyond the five markup characters, tab, newline and carriage
 * return become references: written raw, a conforming parser reads each back as a space.
 */
export function escapeAttribute(value: string): string {
  return value.replace(/[&<>"'\t\n\r]/g, (c) => ESCAPES[c] ?? c);
}

/** Character data as XML text; a raw carriage return would be read back as a newline. */
export function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => ESCAPES[c] ?? c);
}

const parser = new XMLParser(OPTIONS as ConstructorParameters<typeof XMLParser>[0]);

/** An XML name, with at most one namespace prefix (kc:cut, xmlns:kc, dnsmasq:options). */
const QNAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/;

// Markup in document order: comments, CDATA and processing instructions are skipped over so that
// only real start tags are touched.
const MARKUP =
  /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<[A-Za-z_][^\s/>]*(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*\/?>/g;

/**
 * XML 1.0 end-of-line handling (2.11) and attribute-value normalisation (3.3.3): a literal tab,
 * newline or carriage return inside an attribute value is a space; only &#9; &#10; &#13; keep them.
 * The parser library does neither, and decodes references before we could tell the two apart.
 */
function normaliseWhitespace(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(MARKUP, (m) =>
      m.startsWith('<!') || m.startsWith('<?')
        ? m
        : m.replace(/"[^"]*"|'[^']*'/g, (quoted) => quoted.replace(/[\t\n]/g, ' ')),
    );
}

// fast-xml-parser's preserve-order shape: [{ tag: [children], ':@': { attr: value } }, { '#text': 'x' }]
type FxpNode = Record<string, unknown>;

function fromFxp(node: FxpNode): XmlNode | null {
  const key = Object.keys(node).find((k) => k !== ':@');
  if (key === undefined) return null;
  if (key === '#text') {
    const text = String(node[key]);
    return text.trim() === '' ? null : { text };
  }
  if (key === '#comment') {
    const inner = (node[key] as FxpNode[])[0];
    return { comment: inner ? String(inner['#text'] ?? '') : '' };
  }
  if (key.startsWith('?') || key.startsWith('!')) return null;
  const rawAttrs = (node[':@'] ?? {}) as Record<string, unknown>;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawAttrs)) attrs[k] = String(v);
  const children = ((node[key] ?? []) as FxpNode[])
    .map(fromFxp)
    .filter((n): n is XmlNode => n !== null);
  return { name: key, attrs, children };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function checkText(s: string, where: string): string {
  if (NOT_XML_CHAR.test(s))
    throw new XmlModelError('invalid-value', `${where} holds a character XML cannot carry`);
  return s;
}

function checkName(name: string, what: string): string {
  if (!QNAME.test(name))
    throw new XmlModelError('invalid-value', `not an XML ${what} name: ${JSON.stringify(name)}`);
  return name;
}

function checkComment(comment: string): string {
  // XML 1.0 production 15: no "--" inside, and no "-" before the closing "-->". A comment has
  // no references, so a carriage return in it would be read back as a newline (2.11).
  if (comment.includes('--') || comment.endsWith('-') || comment.includes('\r'))
    throw new XmlModelError(
      'invalid-value',
      'a comment cannot contain "--" or a carriage return, or end in "-"',
    );
  return checkText(comment, 'a comment');
}

function startTag(e: XmlElement): string {
  const attrs = Object.entries(e.attrs).map(
    ([k, v]) =>
      ` ${checkName(k, 'attribute')}="${escapeAttribute(checkText(v, `attribute ${k}`))}"`,
  );
  return `<${checkName(e.name, 'element')}${attrs.join('')}`;
}

/** Exactly as is: inside an element that holds text, whitespace would change the content. */
function writeInline(node: XmlNode): string {
  if ('text' in node) return escapeText(checkText(node.text, 'a text node'));
  if ('comment' in node) return `<!--${checkComment(node.comment)}-->`;
  if (node.children.length === 0) return `${startTag(node)}/>`;
  return `${startTag(node)}>${node.children.map(writeInline).join('')}</${node.name}>`;
}

/** Indented like libvirt's output, two spaces a level, where no text makes it content. */
function writeIndented(node: XmlNode, indent: string, out: string[]): void {
  if (!('name' in node) || node.children.length === 0 || node.children.some((c) => 'text' in c)) {
    out.push(indent + writeInline(node));
    return;
  }
  out.push(`${indent}${startTag(node)}>`);
  for (const c of node.children) writeIndented(c, `${indent}  `, out);
  out.push(`${indent}</${node.name}>`);
}

/**
 * Parses one XML document and returns its root element. Throws XmlModelError: malformed-xml for
 * anything that is not a single well-formed element (DOCTYPEs are refused: libvirt never sends
 * one), unexpected-root when `expectedRoot` is given and differs.
 */
export function parseXml(text: string, expectedRoot?: string): XmlElement {
  if (typeof text !== 'string' || text.trim() === '')
    throw new XmlModelError('malformed-xml', 'empty document');
  if (/<!DOCTYPE/i.test(text))
    throw new XmlModelError('malformed-xml', 'a DOCTYPE is not accepted');
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    throw new XmlModelError('malformed-xml', valid.err.msg, {
      line: valid.err.line,
      col: valid.err.col,
    });
  let tree: FxpNode[];
  try {
    tree = parser.parse(normaliseWhitespace(text)) as FxpNode[];
  } catch (e) {
    throw new XmlModelError('malformed-xml', e instanceof Error ? e.message : String(e));
  }
  const roots = tree.map(fromFxp).filter((n): n is XmlElement => n !== null && 'name' in n);
  const strayText = tree.map(fromFxp).some((n) => n !== null && 'text' in n);
  if (roots.length !== 1 || strayText)
    throw new XmlModelError(
      'malformed-xml',
      `expected exactly one root element, found ${roots.length}${strayText ? ' and text' : ''}`,
    );
  const root = roots[0] as XmlElement;
  if (expectedRoot !== undefined && root.name !== expectedRoot)
    throw new XmlModelError('unexpected-root', `expected <${expectedRoot}>, found <${root.name}>`);
  return root;
}

/** The element as indented XML text (no declaration), ending in a newline like virsh output. */
export function serializeXml(root: XmlElement): string {
  const out: string[] = [];
  writeIndented(root, '', out);
  return `${out.join('\n')}\n`;
}

// ---- building and reading the tree -------------------------------------------------------------

/** An element; attributes whose value is undefined are left out (order kept). */
export function el(
  name: string,
  attrs: Readonly<Record<string, string | number | undefined>> = {},
  children: readonly (XmlNode | null | undefined | false)[] = [],
): XmlElement {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[k] = String(v);
  return { name, attrs: a, children: children.filter((c): c is XmlNode => !!c) };
}

/** <name>text</name> */
export function textEl(name: string, text: string): XmlElement {
  return { name, attrs: {}, children: [{ text }] };
}

export function isElement(n: XmlNode): n is XmlElement {
  return 'name' in n;
}

export function elements(parent: XmlElement, name?: string): XmlElement[] {
  return parent.children.filter(
    (c): c is XmlElement => isElement(c) && (name === undefined || c.name === name),
  );
}

export function child(parent: XmlElement, name: string): XmlElement | undefined {
  return elements(parent, name)[0];
}

/** The concatenated text directly inside an element, or undefined when it has none. */
export function textOf(e: XmlElement | undefined): string | undefined {
  if (!e) return undefined;
  const parts = e.children.filter((c): c is { text: string } => 'text' in c).map((c) => c.text);
  return parts.length > 0 ? parts.join('') : undefined;
}

export function attr(e: XmlElement | undefined, name: string): string | undefined {
  return e?.attrs[name];
}

/** Reads a required attribute; a typed `missing` error names the element and the attribute. */
export function requireAttr(e: XmlElement, name: string): string {
  const v = e.attrs[name];
  if (v === undefined) throw new XmlModelError('missing', `<${e.name}> has no ${name} attribute`);
  return v;
}

/** A comment (or text) among an element's children, placed after `after` child elements. */
export interface Aside {
  readonly after: number;
  readonly node: XmlNode;
}

/**
 * The comments and text of an element, each with its place among the child elements, so that
 * a model that rebuilds the element from parsed values (a rule, a filterref) puts them back.
 */
export function asidesOf(e: XmlElement): Aside[] | undefined {
  const out: Aside[] = [];
  let after = 0;
  for (const c of e.children) {
    if (isElement(c)) after++;
    else out.push({ after, node: c });
  }
  return out.length > 0 ? out : undefined;
}

/** Child elements with the asides put back in their places. */
export function withAsides(
  children: readonly XmlElement[],
  asides: readonly Aside[] | undefined,
): XmlNode[] {
  if (!asides || asides.length === 0) return [...children];
  const out: XmlNode[] = [];
  children.forEach((c, i) => {
    for (const a of asides) if (a.after === i) out.push(a.node);
    out.push(c);
  });
  for (const a of asides) if (a.after >= children.length) out.push(a.node);
  return out;
}

/** A copy of `parent` with its children replaced. */
export function withChildren(parent: XmlElement, children: readonly XmlNode[]): XmlElement {
  return { name: parent.name, attrs: parent.attrs, children };
}
