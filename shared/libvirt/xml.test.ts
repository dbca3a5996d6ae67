import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBinding } from './binding';
import { parseDomain } from './domain';
import { isXmlModelError, XmlModelError } from './errors';
import { fixture, fixtureNames } from './fixtures';
import { parseNetwork } from './network';
import { parseNwfilter } from './nwfilter';
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
