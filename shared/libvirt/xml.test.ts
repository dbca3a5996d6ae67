import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBinding } from './binding';
import { parseDomain } from './domain';
import { isXmlModelError, XmlModelError } from './errors';
import { fixture, fixtureNames } from './fixtures';
import { parseNetwork } from './network';
import { buildFilterXml, parseNwfilter } from './nwfilter';
import { hasControlCharacters } from './values';
import { el, parseXml, serializeXml, textEl, textOf } from './xml';

describe('the XML configuration', () => {
  it('parses and re-serialises every fixture to the same tree', () => {
    const names = fixtureNames();
    expect(names.length).toBeGreaterThanOrEqual(15);
    for (const name of names) {
      const tree = parseXml(fixture(name));
      const again = parseXml(serializeXml(tree));
      expect(again, name).toEqual(tree);
      // Serialising is a fixed point after one pass.
      expect(serializeXml(again)).toBe(serializeXml(tree));
    }
  });

  it('keeps unknown elements, attributes and comments, in order', () => {
    const text = `<filter name='x' chain='root' future='yes'>
      <!-- a note -->
      <uuid>919ca31a-1613-4087-8b8c-611217297ea3</uuid>
      <shiny kind='new'><deeper a='1'>text</deeper></shiny>
      <rule action='drop' direction='in' whatever='2'><mac srcmacaddr='$P' extra='e'/><novel/></rule>
    </filter>`;
    const out = serializeXml(parseXml(text));
    for (const piece of [
      'future="yes"',
      '<!-- a note -->',
      '<shiny kind="new">',
      '<deeper a="1">text</deeper>',
      'whatever="2"',
      'extra="e"',
      '<novel/>',
    ])
      expect(out).toContain(piece);
    expect(out.indexOf('a note')).toBeLessThan(out.indexOf('<uuid>'));
    expect(out.indexOf('<shiny')).toBeLessThan(out.indexOf('<rule'));
  });

  it('decodes entities and numeric references and escapes on the way out', () => {
    const tree = parseXml(
      `<owner><name>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;t&#xE9; 😀</name></owner>`,
    );
    const name = tree.children[0];
    expect(name && 'name' in name ? textOf(name) : null).toBe(`a&b <c> "d" 'e' été 😀`);
    const out = serializeXml(tree);
    expect(out).not.toMatch(/<c>/);
    expect(parseXml(out)).toEqual(tree);
  });

  it('round-trips hostile text and attribute values through the library', () => {
    const xmlSafe = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
      .filter((s) => s.trim() !== '' && !hasControlCharacters(s));
    const hostile = fc.oneof(
      xmlSafe,
      fc.constantFrom(
        `'`,
        `"`,
        '&',
        '<',
        '>',
        '&amp;',
        '&#233;',
        ']]>',
        '<!--',
        `'"&<>`,
        ' lead',
        'trail ',
      ),
    );
    fc.assert(
      fc.property(hostile, hostile, (text, value) => {
        const tree = el('root', { v: value }, [textEl('t', text)]);
        const back = parseXml(serializeXml(tree));
        expect(back).toEqual(tree);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what XML cannot carry instead of writing it', () => {
    expect(() => serializeXml(textEl('t', 'bell\u0007'))).toThrow(XmlModelError);
    expect(() => serializeXml(el('bad name'))).toThrow(XmlModelError);
    expect(() => serializeXml(el('a', { 'x y': '1' }))).toThrow(XmlModelError);
  });

  it('gives a typed error for malformed input', () => {
    const cases = [
      '',
      '   ',
      'not xml',
      '<a>',
      '<a><b></a>',
      '<a x="1" x="2"/>',
      '<a/><b/>',
      'text<a/>',
      '<a x=1/>',
      '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
    ];
    for (const c of cases) {
      try {
        parseXml(c);
        throw new Error(`accepted ${JSON.stringify(c)}`);
      } catch (e) {
        expect(isXmlModelError(e, 'malformed-xml'), `${c}: ${e}`).toBe(true);
      }
    }
  });

  it('names the root it expected', () => {
    expect(() => parseXml('<network/>', 'filter')).toThrow(/expected <filter>/);
    let caught: unknown;
    try {
      parseNwfilter(fixture('network-kvmchaos-lab.xml'));
    } catch (e) {
      caught = e;
    }
    expect(isXmlModelError(caught, 'unexpected-root')).toBe(true);
  });

  it('never throws anything but XmlModelError on arbitrary input', () => {
    const parsers = [parseXml, parseNwfilter, parseDomain, parseNetwork, parseBinding];
    const arbitrary = fc.oneof(
      fc.string({ maxLength: 200 }),
      // Mutations of a real document: truncations and inserted junk.
      fc
        .tuple(
          fc.constantFrom(...fixtureNames().map(fixture)),
          fc.nat(),
          fc.string({ maxLength: 5 }),
        )
        .map(
          ([doc, at, junk]) => doc.slice(0, at % doc.length) + junk + doc.slice(at % doc.length),
        ),
    );
    fc.assert(
      fc.property(arbitrary, fc.constantFrom(...parsers), (text, parse) => {
        try {
          parse(text);
        } catch (e) {
          expect(e).toBeInstanceOf(XmlModelError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('what the XML layer writes back', () => {
  it('keeps namespaced elements and attributes: domain metadata, dnsmasq options', () => {
    const domain = `<domain type='kvm'><name>g</name><metadata>
      <kc:cut xmlns:kc='https://kvm-chaos.dev/xmlns/intent/1/abc' kc:scope='udp:53'/>
      <app:x xmlns:app="urn:app" xml:lang='en'>hi</app:x>
    </metadata></domain>`;
    const network = `<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>
      <name>n</name>
      <dnsmasq:options><dnsmasq:option value='dhcp-authoritative'/></dnsmasq:options>
    </network>`;
    for (const [text, pieces] of [
      [
        domain,
        [
          '<kc:cut xmlns:kc="https://kvm-chaos.dev/xmlns/intent/1/abc" kc:scope="udp:53"/>',
          '<app:x xmlns:app="urn:app" xml:lang="en">hi</app:x>',
        ],
      ],
      [
        network,
        [
          '<network xmlns:dnsmasq="http://libvirt.org/schemas/network/dnsmasq/1.0">',
          '<dnsmasq:options>',
          '<dnsmasq:option value="dhcp-authoritative"/>',
        ],
      ],
    ] as const) {
      const out = serializeXml(parseXml(text));
      for (const p of pieces) expect(out).toContain(p);
      expect(parseXml(out)).toEqual(parseXml(text));
    }
    expect(parseNetwork(network).name).toBe('n');
    expect(() => serializeXml(el('a:b:c'))).toThrow(XmlModelError);
  });

  it('keeps comments inside a rule, a protocol element and a filterref, in place', () => {
    const text = `<filter name='f' chain='root'>
  <!-- before -->
  <rule action='drop' direction='in' priority='10'>
    <!-- first -->
    <mac srcmacaddr='52:54:00:00:00:01'><!-- inside --></mac>
    <!-- between -->
    <ip srcipaddr='10.0.0.1'/>
    <!-- last -->
  </rule>
  <filterref filter='clean-traffic'>
    <!-- the guest's address -->
    <parameter name='IP' value='10.0.0.2'/>
  </filterref>
</filter>`;
    const f = parseNwfilter(text);
    const out = buildFilterXml(f);
    const order = ['before', 'first', '<mac', 'inside', 'between', '<ip', 'last', 'address', 'IP'];
    const at = order.map((p) => out.indexOf(p));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(parseXml(out)).toEqual(parseXml(text));
    // The model still reads the rule as before.
    const rule = f.entries.find((e) => e.kind === 'rule');
    expect(rule?.kind === 'rule' && rule.rule.matches.map((m) => m.protocol)).toEqual([
      'mac',
      'ip',
    ]);
  });

  it('escapes newlines, tabs, carriage returns, markup and quotes in attribute values', () => {
    const out = serializeXml(el('a', { v: `1\n2\t3\r4<5&6"7'8>9` }));
    expect(out).toBe('<a v="1&#10;2&#9;3&#13;4&lt;5&amp;6&quot;7&apos;8&gt;9"/>\n');
    expect(parseXml(out).attrs.v).toBe(`1\n2\t3\r4<5&6"7'8>9`);
  });

  it('reads raw whitespace in attribute values as a conforming parser does', () => {
    // XML 1.0 3.3.3: literal tab, newline and CR become spaces; references keep the character.
    const e = parseXml(`<a x='1\n2\t3\r\n4' y="&#10;&#x9;&#13;" z='>'><b>t\r\nu</b></a>`);
    expect(e.attrs).toEqual({ x: '1 2 3 4', y: '\n\t\r', z: '>' });
    expect(textOf(e.children[0] as Parameters<typeof textOf>[0])).toBe('t\nu');
  });

  it('round-trips random well-formed documents: parse, serialise, parse is equal; serialise is stable', () => {
    const name = fc
      .tuple(
        fc.option(fc.stringMatching(/^[A-Za-z_][\w.-]{0,5}$/), { nil: undefined }),
        fc.stringMatching(/^[A-Za-z_][\w.-]{0,7}$/),
      )
      .map(([prefix, local]) => (prefix === undefined ? local : `${prefix}:${local}`))
      .filter((n) => n !== '__proto__' && !/^xmlns:?$/i.test(n));
    const xmlChar = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 1 })
      .filter((c) => !hasControlCharacters(c));
    const special = fc.constantFrom('\t', '\n', '\r', ' ', '&', '<', '>', '"', "'", ']]>', '&amp;');
    const chars = (max: number) =>
      fc.array(fc.oneof(xmlChar, special), { maxLength: max }).map((a) => a.join(''));
    const text = chars(12).filter((t) => t.trim() !== '');
    const comment = chars(12).filter(
      (c) => !c.includes('--') && !c.endsWith('-') && !c.includes('\r'),
    );
    const attrs = fc
      .uniqueArray(fc.tuple(name, chars(10)), { maxLength: 3, selector: ([k]) => k })
      .map((pairs) => Object.fromEntries(pairs) as Record<string, string>);

    type Node = ReturnType<typeof parseXml> | { text: string } | { comment: string };
    const { element } = fc.letrec<{ element: ReturnType<typeof parseXml>; node: Node }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        text.map((t) => ({ text: t })),
        comment.map((c) => ({ comment: c })),
        tie('element'),
      ),
      element: fc
        .record({ name, attrs, children: fc.array(tie('node'), { maxLength: 4 }) })
        .map((e) => ({ ...e, children: mergeTexts(e.children) })),
    }));

    // An independent writer with the freedoms XML allows: either quote, references in any
    // form, layout whitespace wherever no text makes it content.
    const style = fc.record({
      quote: fc.constantFrom(`'`, `"`),
      hex: fc.boolean(),
      pretty: fc.boolean(),
    });
    const write = (n: Node, s: { quote: string; hex: boolean; pretty: boolean }): string => {
      const ref = (c: string) =>
        s.hex ? `&#x${c.codePointAt(0)?.toString(16)};` : `&#${c.codePointAt(0)};`;
      if ('text' in n) return n.text.replace(/[&<>\r]/g, (c) => (c === '>' ? '&gt;' : ref(c)));
      if ('comment' in n) return `<!--${n.comment}-->`;
      const a = Object.entries(n.attrs)
        .map(([k, v]) => {
          const val = v.replace(/[&<\t\n\r"']/g, (c) =>
            (c === '"' || c === "'") && c !== s.quote ? c : ref(c),
          );
          return ` ${k}=${s.quote}${val}${s.quote}`;
        })
        .join('');
      if (n.children.length === 0) return `<${n.name}${a}/>`;
      const gap = s.pretty && !n.children.some((c) => 'text' in c) ? '\n  ' : '';
      return `<${n.name}${a}>${n.children.map((c) => gap + write(c, s)).join('')}${gap ? '\n' : ''}</${n.name}>`;
    };

    fc.assert(
      fc.property(element, style, (tree, s) => {
        const parsed = parseXml(write(tree, s));
        expect(parsed).toEqual(tree);
        const once = serializeXml(parsed);
        const again = parseXml(once);
        expect(again).toEqual(parsed);
        expect(serializeXml(again)).toBe(once);
      }),
      { numRuns: 400 },
    );
  });
});

/** Adjacent text nodes are one text node once written. */
function mergeTexts<T extends object>(nodes: readonly T[]): T[] {
  const out: T[] = [];
  for (const n of nodes) {
    const prev = out.at(-1);
    if (prev && 'text' in prev && 'text' in n)
      out[out.length - 1] = { text: `${prev.text}${n.text}` } as T;
    else out.push(n);
  }
  return out;
}
