import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  type Header,
  MAX_FRAME_LENGTH,
  MessageStatus,
  MessageType,
} from './framing';
import { KEEPALIVE_PROGRAM, REMOTE_PROGRAM } from './protocol';
import { XdrError } from './xdr';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const call = (proc: number, serial: number): Header => ({
  prog: REMOTE_PROGRAM,
  vers: 1,
  proc,
  type: MessageType.Call,
  serial,
  status: MessageStatus.Ok,
});

describe('frames seen on the wire (libvirt-rpc.md)', () => {
  it('AUTH_LIST request: 28 bytes, length word included', () => {
    expect(toHex(encodeFrame(call(66, 1)))).toBe(
      '0000001c 20008086 00000001 00000042 00000000 00000001 00000000'.replace(/ /g, ''),
    );
  });

  it('AUTH_LIST reply', () => {
    const frames = new FrameDecoder().push(
      hex('00000024 20008086 00000001 00000042 00000001 00000001 00000000 00000001 00000000'),
    );
    expect(frames).toHaveLength(1);
    expect(frames[0]?.header).toEqual({
      prog: REMOTE_PROGRAM,
      vers: 1,
      proc: 66,
      type: MessageType.Reply,
      serial: 1,
      status: MessageStatus.Ok,
    });
    expect(toHex(frames[0]?.payload ?? Buffer.alloc(0))).toBe('0000000100000000');
  });

  it('keepalive PING from the daemon and our PONG', () => {
    const ping = hex('0000001c 6b656570 00000001 00000001 00000002 00000000 00000000');
    const [frame] = new FrameDecoder().push(ping);
    expect(frame?.header).toMatchObject({ prog: KEEPALIVE_PROGRAM, proc: 1, type: 2, serial: 0 });
    const pong = encodeFrame({
      prog: KEEPALIVE_PROGRAM,
      vers: 1,
      proc: 2,
      type: MessageType.Message,
      serial: 0,
      status: 0,
    });
    expect(toHex(pong)).toBe('0000001c6b6565700000000100000002000000020000000000000000');
  });

  it('event header: type MESSAGE with serial 1', () => {
    const bytes = Buffer.concat([
      hex('00000044 20008086 00000001 0000013e 00000002 00000001 00000000'),
      Buffer.alloc(40),
    ]);
    const [frame] = new FrameDecoder().push(bytes);
    expect(frame?.header).toMatchObject({ proc: 318, type: MessageType.Message, serial: 1 });
    expect(frame?.payload.length).toBe(40);
  });

  it('NO_NWFILTER error reply header: status ERROR', () => {
    const head = hex('000000ec 20008086 00000001 000000af 00000001 00000007 00000001');
    const dec = new FrameDecoder();
    expect(dec.push(head)).toEqual([]);
    const [frame] = dec.push(Buffer.alloc(0xec - 28));
    expect(frame?.header).toMatchObject({ proc: 175, serial: 7, status: MessageStatus.Error });
  });
});

describe('FrameDecoder', () => {
  it('refuses lengths below the header size or above 33554436 (VIR_NET_MESSAGE_MAX + 4)', () => {
    expect(() => new FrameDecoder().push(hex('0000001b'))).toThrow(XdrError);
    expect(() => new FrameDecoder().push(hex('02000005'))).toThrow(/outside/);
    expect(() => new FrameDecoder().push(hex('ffffffff'))).toThrow(XdrError);
  });

  it('stays broken after a bad length (the stream cannot be resynchronised)', () => {
    const dec = new FrameDecoder();
    expect(() => dec.push(hex('00000000'))).toThrow(XdrError);
    expect(() => dec.push(encodeFrame(call(1, 1)))).toThrow(XdrError);
  });

  it('accepts the maximum length', () => {
    const dec = new FrameDecoder();
    const word = Buffer.alloc(4);
    word.writeUInt32BE(MAX_FRAME_LENGTH);
    expect(dec.push(word)).toEqual([]);
    expect(dec.idle).toBe(false);
  });

  it('encodeFrame refuses a payload beyond the maximum', () => {
    const big = Buffer.alloc(MAX_FRAME_LENGTH);
    expect(() => encodeFrame(call(1, 1), (w) => w.padded(big))).toThrow(XdrError);
  });

  const frameArb = fc.record({
    proc: fc.integer({ min: -5, max: 500 }),
    type: fc.integer({ min: 0, max: 6 }),
    serial: fc.nat(),
    status: fc.integer({ min: 0, max: 2 }),
    payload: fc.uint8Array({ maxLength: 300 }).map((b) => b.subarray(0, b.length & ~3)),
  });

  it('reassembles any sequence of frames from chunks cut anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 30 }),
        (specs, cuts) => {
          const encoded = specs.map((s) =>
            encodeFrame({ prog: REMOTE_PROGRAM, vers: 1, ...s }, (w) => w.padded(s.payload)),
          );
          const stream = Buffer.concat(encoded);
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort(
            (a, b) => a - b,
          );
          const dec = new FrameDecoder();
          const got: Frame[] = [];
          let prev = 0;
          for (const p of [...points, stream.length]) {
            got.push(...dec.push(stream.subarray(prev, p)));
            prev = p;
          }
          expect(dec.idle).toBe(true);
          expect(got.map((f) => ({ ...f.header, payload: toHex(f.payload) }))).toEqual(
            specs.map((s) => ({
              prog: REMOTE_PROGRAM,
              vers: 1,
              proc: s.proc,
              type: s.type,
              serial: s.serial,
              status: s.status,
              payload: toHex(s.payload),
            })),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('byte-at-a-time delivery yields the same frames', () => {
    const stream = Buffer.concat([encodeFrame(call(59, 3)), encodeFrame(call(60, 4))]);
    const dec = new FrameDecoder();
    const got: Frame[] = [];
    for (const byte of stream) got.push(...dec.push(Uint8Array.of(byte)));
    expect(got.map((f) => f.header.serial)).toEqual([3, 4]);
  });

  it('random bytes give frames or an XdrError, never anything else', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const dec = new FrameDecoder();
        try {
          for (const c of chunks) dec.push(c);
        } catch (err) {
          if (!(err instanceof XdrError)) throw err;
        }
      }),
    );
  });
});
