// The one XML configuration of the project: fast-xml-parser in preserve-order mode both ways, so
// element order (rules and filterrefs interleave in a filter) and unknown elements survive a
// round trip. Everything above this file works on the small immutable tree below; every string
// that reaches XML is escaped here, by the library, never by concatenation.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
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
  // Builder side: two-space indentation like libvirt, <a/> for empty elements.
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
} as const;

const parser = new XMLParser(OPTIONS as ConstructorParameters<typeof XMLParser>[0]);
const builder = new XMLBuilder(OPTIONS as ConstructorParameters<typeof XMLBuilder>[0]);

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

function toFxp(node: XmlNode): FxpNode {
  if ('text' in node) return { '#text': checkText(node.text, 'a text node') };
  if ('comment' in node) {
    if (node.comment.includes('--'))
      throw new XmlModelError('invalid-value', 'a comment cannot contain "--"');
    return { '#comment': [{ '#text': checkText(node.comment, 'a comment') }] };
  }
  if (!/^[A-Za-z_][\w.-]*$/.test(node.name))
    throw new XmlModelError(
      'invalid-value',
      `not an XML element name: ${JSON.stringify(node.name)}`,
    );
  const out: FxpNode = { [node.name]: node.children.map(toFxp) };
  const keys = Object.keys(node.attrs);
  if (keys.length > 0) {
    const attrs: Record<string, string> = {};
    for (const k of keys) {
      if (!/^[A-Za-z_][\w.-]*$/.test(k))
        throw new XmlModelError('invalid-value', `not an XML attribute name: ${JSON.stringify(k)}`);
      attrs[k] = checkText(node.attrs[k] ?? '', `attribute ${k}`);
    }
    out[':@'] = attrs;
  }
  return out;
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
    tree = parser.parse(text) as FxpNode[];
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
  const text = builder.build([toFxp(root)]) as string;
  return `${text.replace(/^\n+/, '').replace(/\n*$/, '')}\n`;
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

/** A copy of `parent` with its children replaced. */
export function withChildren(parent: XmlElement, children: readonly XmlNode[]): XmlElement {
  return { name: parent.name, attrs: parent.attrs, children };
}
