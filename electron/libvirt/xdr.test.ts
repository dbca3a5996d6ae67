import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvent } from './events';
import { procedures } from './procedures';
import { domain, optString, remoteError, uuid } from './protocol';
import { type AnyCodec, decode, encode, XdrError, XdrReader, xdr } from './xdr';

const hex = (s: string) => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('XDR primitives (RFC 4506 byte layouts)', () => {
  it('encodes int as 4-byte two-complement big-endian', () => {
    expect(toHex(encode(xdr.int(), 1))).toBe('00000001');
    expect(toHex(encode(xdr.int(), -1))).toBe('ffffffff');
    expect(toHex(encode(xdr.int(), -2147483648))).toBe('80000000');
    expect(decode(xdr.int(), hex('fffffffe'))).toBe(-2);
  });

  it('encodes unsigned int and rejects out-of-range values', () => {
    expect(toHex(encode(xdr.uint(), 0xffffffff))).toBe('ffffffff');
    expect(decode(xdr.uint(), hex('80000000'))).toBe(0x80000000);
    expect(() => encode(xdr.uint(), -1)).toThrow(XdrError);
    expect(() => encode(xdr.int(), 2 ** 31)).toThrow(XdrError);
    expect(() => encode(xdr.int(), 1.5)).toThrow(XdrError);
  });

  it('encodes hypers as 8-byte bigints', () => {
    expect(toHex(encode(xdr.hyper(), -1n))).toBe('ffffffffffffffff');
    expect(toHex(encode(xdr.uhyper(), 9000000n))).toBe('0000000000895440');
    expect(decode(xdr.uhyper(), hex('ffffffffffffffff'))).toBe(2n ** 64n - 1n);
    expect(decode(xdr.hyper(), hex('8000000000000000'))).toBe(-(2n ** 63n));
    expect(() => encode(xdr.uhyper(), -1n)).toThrow(XdrError);
  });

  it('encodes bool as 0/1 and refuses other values', () => {
    expect(toHex(encode(xdr.bool(), true))).toBe('00000001');
    expect(decode(xdr.bool(), hex('00000000'))).toBe(false);
    expect(() => decode(xdr.bool(), hex('00000002'))).toThrow(XdrError);
  });

  it('pads strings and opaque data to 4 bytes with zeros', () => {
    expect(toHex(encode(xdr.string(), 'test'))).toBe('0000000474657374');
    expect(toHex(encode(xdr.string(), 'hello'))).toBe('0000000568656c6c6f000000');
    expect(toHex(encode(xdr.string(), ''))).toBe('00000000');
    expect(toHex(encode(xdr.opaque(), Uint8Array.of(1, 2)))).toBe('0000000201020000');
    expect(decode(xdr.string(), hex('0000000568656c6c6f000000'))).toBe('hello');
  });

  it('counts string length in UTF-8 bytes', () => {
    const bytes = encode(xdr.string(), 'é€');
    expect(toHex(bytes)).toBe('00000005c3a9e282ac000000');
    expect(decode(xdr.string(), bytes)).toBe('é€');
  });

  it('enforces maximum lengths on both sides', () => {
    expect(() => encode(xdr.string(3), 'four')).toThrow(XdrError);
    expect(() => decode(xdr.string(3), hex('0000000474657374'))).toThrow(/exceeds maximum 3/);
    expect(() => encode(xdr.array(xdr.int(), 1), [1, 2])).toThrow(XdrError);
  });

  it('fixed opaque has no length word', () => {
    const id = Uint8Array.from({ length: 16 }, (_, i) => i);
    expect(toHex(encode(xdr.fixedOpaque(16), id))).toBe('000102030405060708090a0b0c0d0e0f');
    expect(toHex(encode(xdr.fixedOpaque(3), Uint8Array.of(9, 9, 9)))).toBe('09090900');
    expect(() => encode(xdr.fixedOpaque(16), Uint8Array.of(1))).toThrow(XdrError);
  });

  it('optional is a bool then the value', () => {
    expect(toHex(encode(optString, null))).toBe('00000000');
    expect(toHex(encode(optString, undefined))).toBe('00000000');
    expect(toHex(encode(optString, 'test'))).toBe('000000010000000474657374');
    expect(decode(optString, hex('00000000'))).toBeNull();
  });

  it('encodes variable arrays as a count then elements', () => {
    const c = xdr.array(xdr.int(), 20);
    expect(toHex(encode(c, [0, 2]))).toBe('000000020000000000000002');
    expect(decode(c, hex('00000001 00000000'))).toEqual([0]);
  });

  it('encodes structs field by field in declaration order, with defaults', () => {
    const c = xdr.struct({ a: xdr.int(), flags: xdr.defaulted(xdr.uint(), 7) });
    expect(toHex(encode(c, { a: 1 }))).toBe('0000000100000007');
    expect(toHex(encode(c, { a: 1, flags: 0 }))).toBe('0000000100000000');
    expect(decode(c, hex('0000000200000003'))).toEqual({ a: 2, flags: 3 });
  });

  it('names the failing field when a struct cannot be encoded', () => {
    const c = xdr.struct({ name: xdr.string(), id: xdr.int() });
    expect(() => encode(c, { name: 'x', id: 'no' as unknown as number })).toThrow(/^id: /);
  });

  it('refuses trailing bytes and truncated input', () => {
    expect(() => decode(xdr.int(), hex('0000000100'))).toThrow(/trailing/);
    expect(() => decode(xdr.hyper(), hex('00000001'))).toThrow(XdrError);
  });

  it('refuses a huge length without allocating it', () => {
    // 4 GiB string claimed in 8 bytes: must fail on the bounds check.
    expect(() => decode(xdr.string(), hex('ffffffff00000000'))).toThrow(XdrError);
    expect(() => decode(xdr.opaque(2 ** 32), hex('fffffff0 00000000'))).toThrow(/need/);
    // An array count the remaining bytes cannot hold.
    expect(() => decode(xdr.array(domain, 16384), hex('00004000 00000000'))).toThrow(/cannot fit/);
  });

  it('shows uuids as canonical text and accepts them with or without dashes', () => {
    const bytes = hex('6695eb01f6a4862342a4fa3e9aa28de0');
    expect(decode(uuid, bytes)).toBe('6695eb01-f6a4-8623-42a4-fa3e9aa28de0');
    expect(toHex(encode(uuid, '6695eb01f6a4862342a4fa3e9aa28de0'))).toBe(toHex(bytes));
    expect(() => encode(uuid, 'not-a-uuid')).toThrow(XdrError);
  });

  it('the reader reports offsets in errors', () => {
    const r = new XdrReader(hex('00000001'));
    r.int32();
    expect(() => r.int32()).toThrow(/at byte 4/);
  });
});

describe('libvirt payloads observed on the wire (libvirt-rpc.md)', () => {
  it('AUTH_LIST reply payload: an array of one auth type, NONE', () => {
    expect(decode(procedures.authList.ret, hex('00000001 00000000'))).toEqual([0]);
  });

  it('decodes the NO_NWFILTER error reply (208 bytes of payload, frame length 0xec)', () => {
    const message = "Network filter not found: no nwfilter with matching name 'no-such-filter'";
    const tail = "no nwfilter with matching name 'no-such-filter'";
    const str = (s: string) => {
      const b = Buffer.from(s);
      const padded = Buffer.alloc(Math.ceil(b.length / 4) * 4);
      b.copy(padded);
      return `00000001 ${b.length.toString(16).padStart(8, '0')} ${padded.toString('hex')}`;
    };
    const payload = hex(
      [
        '0000003e', // code 62
        '00000021', // domain 33
        str(message),
        '00000002', // level
        '00000000', // dom NULL
        str('Network filter not found: %s'),
        str(tail),
        '00000000', // str3 NULL
        'ffffffff',
        'ffffffff',
        '00000000', // net NULL
      ].join(''),
    );
    expect(payload.length).toBe(0xec - 28);
    expect(decode(remoteError, payload)).toEqual({
      code: 62,
      domain: 33,
      message,
      level: 2,
      dom: null,
      str1: 'Network filter not found: %s',
      str2: tail,
      str3: null,
      int1: -1,
      int2: -1,
      net: null,
    });
  });

  it('decodes a lifecycle event payload whose size matches the observed frame (0x44)', () => {
    const payload = hex(
      [
        '00000000', // callbackID 0
        '00000004 74657374', // "test", the test driver's domain
        '6695eb01f6a4862342a4fa3e9aa28de0',
        '00000001', // id
        '00000003', // SUSPENDED
        '00000000', // PAUSED
      ].join(''),
    );
    expect(payload.length).toBe(0x44 - 28);
    expect(decodeEvent(318, payload)).toEqual({
      callbackID: 0,
      event: {
        kind: 'domain-lifecycle',
        dom: { name: 'test', uuid: '6695eb01-f6a4-8623-42a4-fa3e9aa28de0', id: 1 },
        event: 'suspended',
        detail: 'paused',
        raw: { event: 3, detail: 0 },
      },
    });
  });

  it('encodes CONNECT_OPEN args with a NULL or given name', () => {
    const { args } = procedures.connectOpen;
    expect(toHex(encode(args, { name: null }))).toBe('0000000000000000');
    expect(toHex(encode(args, { name: 'qemu:///system', flags: 1 }))).toBe(
      '00000001 0000000e 71656d753a2f2f2f73797374656d0000 00000001'.replace(/ /g, ''),
    );
  });

  it('LIST_ALL_* defaults need_results to 1 and flags to 0', () => {
    expect(toHex(encode(procedures.connectListAllDomains.args, {}))).toBe('0000000100000000');
    // OBS: need_results=0 gives an empty array and the count.
    expect(decode(procedures.connectListAllNwfilters.ret, hex('00000000 00000018'))).toEqual({
      filters: [],
      ret: 24,
    });
  });
});

describe('decoders never fail in any other way than XdrError', () => {
  const decoders: [string, AnyCodec][] = [
    ['remoteError', remoteError],
    ...Object.entries(procedures).flatMap(([name, p]): [string, AnyCodec][] => [
      [`${name}.args`, p.args],
      [`${name}.ret`, p.ret],
    ]),
  ];
  const codecs = decoders.map(([, c]) => c);

  /** The decoded value, or undefined when the decoder refused with an XdrError. */
  const valueOrXdrError = (run: () => unknown): unknown => {
    try {
      return run();
    } catch (err) {
      if (err instanceof XdrError) return undefined;
      throw err;
    }
  };

  const wordsToBytes = (words: number[]) => {
    const bytes = Buffer.alloc(words.length * 4);
    for (const [i, w] of words.entries()) bytes.writeUInt32BE(w, i * 4);
    return bytes;
  };

  it.each(decoders)('%s: random bytes give a value or an XdrError', (_name, codec) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        valueOrXdrError(() => decode(codec, bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('event decoders: random bytes give an event, null or an XdrError', () => {
    const procs = fc.constantFrom(315, 318, 333, 354, 1, 9999);
    fc.assert(
      fc.property(procs, fc.uint8Array({ maxLength: 256 }), (proc, bytes) => {
        valueOrXdrError(() => decodeEvent(proc, bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('structured garbage (plausible lengths) also gives a value or an XdrError', () => {
    const word = fc.oneof(
      fc.constantFrom(0, 1, 2, 3, 4, 16, 0xffffffff, 0x7fffffff, 0x400000),
      fc.nat({ max: 64 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...codecs), fc.array(word, { maxLength: 64 }), (codec, words) => {
        valueOrXdrError(() => decode(codec, wordsToBytes(words)));
      }),
      { numRuns: 2000 },
    );
  });

  it('re-encoding a decoded value gives back the same bytes', () => {
    const words = fc.array(fc.nat({ max: 3 }), { maxLength: 40 });
    fc.assert(
      fc.property(fc.constantFrom(...codecs), words, (codec, w) => {
        const bytes = wordsToBytes(w);
        const value = valueOrXdrError(() => decode(codec, bytes));
        if (value !== undefined) expect(toHex(encode(codec, value))).toBe(toHex(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
