// XDR (RFC 4506) as libvirt uses it: big-endian, 4-byte units, zero padding.
// Codecs are values, so procedures are described by a table instead of hand-written encoders.
// Every decode failure is an XdrError; lengths are checked against the bytes that remain
// before anything is allocated, so a bogus length costs nothing.

export class XdrError extends Error {
  override readonly name = 'XdrError';
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
  }
}

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

export class XdrReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.bytes.byteLength - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new XdrError(`${what}: need ${n} bytes, ${this.remaining} left`, this.pos);
    }
  }

  int32(): number {
    this.need(4, 'int');
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4, 'unsigned int');
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8, 'hyper');
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  uint64(): bigint {
    this.need(8, 'unsigned hyper');
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }

  /** n bytes plus their padding; a copy, so decoded values never pin the frame buffer. */
  padded(n: number, what: string): Uint8Array {
    this.need(n + pad4(n), what);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.skipPadding(n, what);
    return out;
  }

  /** Padding must be zero (RFC 4506 4.10), which keeps every decoded value canonical. */
  private skipPadding(n: number, what: string): void {
    this.pos += n;
    for (let i = pad4(n); i > 0; i--) {
      if (this.bytes[this.pos] !== 0) throw new XdrError(`${what}: non-zero padding`, this.pos);
      this.pos++;
    }
  }

  /** Length-prefixed byte count, bounded by `max` and by what is left in the buffer. */
  length(max: number, what: string): number {
    const at = this.pos;
    const n = this.uint32();
    if (n > max) throw new XdrError(`${what}: length ${n} exceeds maximum ${max}`, at);
    return n;
  }

  paddedText(n: number, what: string): string {
    this.need(n + pad4(n), what);
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, n).toString('utf8');
    this.skipPadding(n, what);
    return s;
  }
}

export class XdrWriter {
  private buf: Buffer;
  private pos: number;

  /** `reserve` leaves room at the front (the frame's length word and header). */
  constructor(initial = 256, reserve = 0) {
    this.buf = Buffer.allocUnsafe(Math.max(initial, reserve + 16));
    this.buf.fill(0, 0, reserve);
    this.pos = reserve;
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int32(v: number): void {
    if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
      throw new XdrError(`int out of range: ${v}`);
    }
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  uint32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > UINT32_MAX) {
      throw new XdrError(`unsigned int out of range: ${v}`);
    }
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  int64(v: bigint): void {
    if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) {
      throw new XdrError(`hyper out of range: ${String(v)}`);
    }
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  uint64(v: bigint): void {
    if (typeof v !== 'bigint' || v < 0n || v > UINT64_MAX) {
      throw new XdrError(`unsigned hyper out of range: ${String(v)}`);
    }
    this.ensure(8);
    this.buf.writeBigUInt64BE(v, this.pos);
    this.pos += 8;
  }

  padded(bytes: Uint8Array): void {
    const p = pad4(bytes.length);
    this.ensure(bytes.length + p);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    this.buf.fill(0, this.pos, this.pos + p);
    this.pos += p;
  }

  /** Overwrites 4 bytes already written (used to fill in the frame length). */
  patchUint32(at: number, v: number): void {
    this.buf.writeUInt32BE(v, at);
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/**
 * A codec decodes to `Out` and encodes from `In` (which may be looser: optional values,
 * defaulted fields). `minSize` is the fewest bytes one encoded value can take; decoders of
 * arrays use it to refuse counts the buffer cannot possibly hold.
 */
export interface Codec<Out, In = Out> {
  readonly minSize: number;
  /** What the codec puts on the wire, so a test can compare it with libvirt's .x files. */
  readonly shape?: WireShape;
  encode(w: XdrWriter, value: In): void;
  decode(r: XdrReader): Out;
}

/** The XDR type a codec encodes, in the terms of RFC 4506 (enums and bools are ints). */
export type WireShape =
  | { readonly t: 'void' | 'int' | 'uint' | 'hyper' | 'uhyper' }
  | { readonly t: 'string' | 'opaque'; readonly max: number }
  | { readonly t: 'fixed'; readonly size: number }
  | { readonly t: 'optional'; readonly of: WireShape }
  | { readonly t: 'array'; readonly of: WireShape; readonly max: number }
  | { readonly t: 'struct'; readonly fields: readonly (readonly [string, WireShape])[] };

const UNKNOWN: WireShape = { t: 'void' };

// biome-ignore lint/suspicious/noExplicitAny: a codec of any shape, used only in type positions
export type AnyCodec = Codec<any, any>;
export type Decoded<C> = C extends Codec<infer O, infer _I> ? O : never;
export type Encodable<C> = C extends Codec<infer _O, infer I> ? I : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<F extends Record<string, AnyCodec>> = {
  [K in keyof F]: undefined extends Encodable<F[K]> ? K : never;
}[keyof F];
export type StructIn<F extends Record<string, AnyCodec>> = Simplify<
  { [K in Exclude<keyof F, OptionalKeys<F>>]: Encodable<F[K]> } & {
    [K in OptionalKeys<F>]?: Encodable<F[K]>;
  }
>;
export type StructOut<F extends Record<string, AnyCodec>> = Simplify<{
  [K in keyof F]: Decoded<F[K]>;
}>;

/** libvirt's STRING_MAX: no string in the protocol may be longer. */
export const XDR_STRING_MAX = 4_194_304;

const int: Codec<number> = {
  minSize: 4,
  shape: { t: 'int' },
  encode: (w, v) => w.int32(v),
  decode: (r) => r.int32(),
};

const uint: Codec<number> = {
  minSize: 4,
  shape: { t: 'uint' },
  encode: (w, v) => w.uint32(v),
  decode: (r) => r.uint32(),
};

const hyper: Codec<bigint> = {
  minSize: 8,
  shape: { t: 'hyper' },
  encode: (w, v) => w.int64(v),
  decode: (r) => r.int64(),
};

const uhyper: Codec<bigint> = {
  minSize: 8,
  shape: { t: 'uhyper' },
  encode: (w, v) => w.uint64(v),
  decode: (r) => r.uint64(),
};

const bool: Codec<boolean> = {
  minSize: 4,
  shape: { t: 'int' },
  encode: (w, v) => w.int32(v ? 1 : 0),
  decode: (r) => {
    const at = r.offset;
    const v = r.int32();
    if (v !== 0 && v !== 1) throw new XdrError(`bool must be 0 or 1, got ${v}`, at);
    return v === 1;
  },
};

const voidCodec: Codec<undefined> = {
  minSize: 0,
  shape: { t: 'void' },
  encode: () => {},
  decode: () => undefined,
};

function string(max = XDR_STRING_MAX): Codec<string> {
  return {
    minSize: 4,
    shape: { t: 'string', max },
    encode: (w, v) => {
      if (typeof v !== 'string') throw new XdrError(`string expected, got ${typeof v}`);
      const bytes = Buffer.from(v, 'utf8');
      if (bytes.length > max) throw new XdrError(`string of ${bytes.length} bytes exceeds ${max}`);
      w.uint32(bytes.length);
      w.padded(bytes);
    },
    decode: (r) => r.paddedText(r.length(max, 'string'), 'string'),
  };
}

function opaque(max = XDR_STRING_MAX): Codec<Uint8Array> {
  return {
    minSize: 4,
    shape: { t: 'opaque', max },
    encode: (w, v) => {
      if (!(v instanceof Uint8Array)) throw new XdrError('opaque expects a Uint8Array');
      if (v.length > max) throw new XdrError(`opaque of ${v.length} bytes exceeds ${max}`);
      w.uint32(v.length);
      w.padded(v);
    },
    decode: (r) => r.padded(r.length(max, 'opaque'), 'opaque'),
  };
}

function fixedOpaque(size: number): Codec<Uint8Array> {
  return {
    minSize: size + pad4(size),
    shape: { t: 'fixed', size },
    encode: (w, v) => {
      if (!(v instanceof Uint8Array) || v.length !== size) {
        throw new XdrError(`fixed opaque expects exactly ${size} bytes`);
      }
      w.padded(v);
    },
    decode: (r) => r.padded(size, `opaque[${size}]`),
  };
}

/** `T *` in XDR: a bool then the value. Decodes to null when absent; encodes null/undefined. */
function optional<O, I>(inner: Codec<O, I>): Codec<O | null, I | null | undefined> {
  return {
    minSize: 4,
    shape: { t: 'optional', of: inner.shape ?? UNKNOWN },
    encode: (w, v) => {
      if (v === null || v === undefined) {
        w.uint32(0);
      } else {
        w.uint32(1);
        inner.encode(w, v);
      }
    },
    decode: (r) => (bool.decode(r) ? inner.decode(r) : null),
  };
}

/** `T name<max>`: a count then the elements. */
function array<O, I>(element: Codec<O, I>, max: number): Codec<O[], readonly I[]> {
  return {
    minSize: 4,
    shape: { t: 'array', of: element.shape ?? UNKNOWN, max },
    encode: (w, v) => {
      if (!Array.isArray(v)) throw new XdrError('array expected');
      if (v.length > max) throw new XdrError(`array of ${v.length} exceeds maximum ${max}`);
      w.uint32(v.length);
      for (const item of v) element.encode(w, item);
    },
    decode: (r) => {
      const at = r.offset;
      const n = r.length(max, 'array');
      if (element.minSize > 0 && n * element.minSize > r.remaining) {
        throw new XdrError(`array of ${n} cannot fit in ${r.remaining} bytes`, at);
      }
      const out: O[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = element.decode(r);
      return out;
    },
  };
}

function struct<F extends Record<string, AnyCodec>>(
  fields: F,
): Codec<StructOut<F>, StructIn<F>> & { readonly fields: F } {
  const entries = Object.entries(fields);
  return {
    fields,
    minSize: entries.reduce((sum, [, c]) => sum + c.minSize, 0),
    shape: { t: 'struct', fields: entries.map(([name, c]) => [name, c.shape ?? UNKNOWN] as const) },
    encode: (w, v) => {
      if (typeof v !== 'object' || v === null) throw new XdrError('struct expects an object');
      const record = v as Record<string, unknown>;
      for (const [name, codec] of entries) {
        try {
          codec.encode(w, record[name]);
        } catch (err) {
          if (err instanceof XdrError) throw new XdrError(`${name}: ${err.message}`);
          throw err;
        }
      }
    },
    decode: (r) => {
      const out: Record<string, unknown> = {};
      for (const [name, codec] of entries) out[name] = codec.decode(r);
      return out as StructOut<F>;
    },
  };
}

/** A field the caller may leave out (typically `flags`): encodes `fallback` when undefined. */
function defaulted<O, I>(inner: Codec<O, I>, fallback: I): Codec<O, I | undefined> {
  return {
    minSize: inner.minSize,
    ...(inner.shape ? { shape: inner.shape } : {}),
    encode: (w, v) => inner.encode(w, v === undefined ? fallback : v),
    decode: (r) => inner.decode(r),
  };
}

/** Same bytes, friendlier value: e.g. a 16-byte uuid shown as its canonical text. */
function transform<O, I, O2, I2>(
  inner: Codec<O, I>,
  fromWire: (v: O) => O2,
  toWire: (v: I2) => I,
): Codec<O2, I2> {
  return {
    minSize: inner.minSize,
    ...(inner.shape ? { shape: inner.shape } : {}),
    encode: (w, v) => inner.encode(w, toWire(v)),
    decode: (r) => fromWire(inner.decode(r)),
  };
}

export const xdr = {
  int: () => int,
  uint: () => uint,
  hyper: () => hyper,
  uhyper: () => uhyper,
  bool: () => bool,
  void: () => voidCodec,
  string,
  opaque,
  fixedOpaque,
  optional,
  array,
  struct,
  defaulted,
  transform,
};

export function encode<I>(codec: Codec<unknown, I>, value: I): Buffer {
  const w = new XdrWriter();
  codec.encode(w, value);
  return w.finish();
}

/** Decodes a whole buffer: leftover bytes mean the schema and the peer disagree. */
export function decode<O>(codec: Codec<O, unknown>, bytes: Uint8Array): O {
  const r = new XdrReader(bytes);
  const value = codec.decode(r);
  if (r.remaining !== 0) throw new XdrError(`${r.remaining} trailing bytes`, r.offset);
  return value;
}
