// libvirt RPC framing (virnetprotocol.x): a 4-byte length that counts itself, a 24-byte
// header, then the payload. Knows nothing about procedures.
import { XdrError, XdrReader, XdrWriter } from './xdr';

export const MessageType = {
  Call: 0,
  Reply: 1,
  Message: 2,
  Stream: 3,
  CallWithFds: 4,
  ReplyWithFds: 5,
  StreamHole: 6,
} as const;

export const MessageStatus = { Ok: 0, Error: 1, Continue: 2 } as const;

export const HEADER_SIZE = 24;
export const LENGTH_SIZE = 4;
/** VIR_NET_MESSAGE_MAX (header + payload) plus the length word itself. */
export const MAX_FRAME_LENGTH = 33_554_432 + LENGTH_SIZE;
export const MIN_FRAME_LENGTH = LENGTH_SIZE + HEADER_SIZE;

export interface Header {
  prog: number;
  vers: number;
  proc: number;
  type: number;
  serial: number;
  status: number;
}

export interface Frame {
  header: Header;
  payload: Buffer;
}

export function readHeader(bytes: Uint8Array): Header {
  const r = new XdrReader(bytes);
  return {
    prog: r.uint32(),
    vers: r.uint32(),
    proc: r.int32(),
    type: r.int32(),
    serial: r.uint32(),
    status: r.int32(),
  };
}

function writeHeader(w: XdrWriter, h: Header): void {
  w.uint32(h.prog);
  w.uint32(h.vers);
  w.int32(h.proc);
  w.int32(h.type);
  w.uint32(h.serial);
  w.int32(h.status);
}

/**
 * Builds a whole frame. `writePayload` writes straight after the header so the payload is
 * never copied; the length is patched in at the end.
 */
export function encodeFrame(header: Header, writePayload?: (w: XdrWriter) => void): Buffer {
  const w = new XdrWriter(256, LENGTH_SIZE);
  writeHeader(w, header);
  writePayload?.(w);
  if (w.length > MAX_FRAME_LENGTH) {
    throw new XdrError(`message of ${w.length} bytes exceeds ${MAX_FRAME_LENGTH}`);
  }
  w.patchUint32(0, w.length);
  return w.finish();
}

/**
 * Reassembles frames from chunks cut anywhere. A length outside [28, 33554436] is a
 * protocol error (XdrError) after which the stream cannot be resynchronised.
 */
export class FrameDecoder {
  private readonly lengthWord = Buffer.alloc(LENGTH_SIZE);
  private lengthHave = 0;
  private body: Buffer | null = null;
  private bodyHave = 0;
  private broken: XdrError | null = null;

  push(chunk: Uint8Array): Frame[] {
    if (this.broken) throw this.broken;
    const frames: Frame[] = [];
    let off = 0;
    while (off < chunk.length) {
      if (this.body === null) {
        const take = Math.min(LENGTH_SIZE - this.lengthHave, chunk.length - off);
        this.lengthWord.set(chunk.subarray(off, off + take), this.lengthHave);
        this.lengthHave += take;
        off += take;
        if (this.lengthHave < LENGTH_SIZE) break;
        const length = this.lengthWord.readUInt32BE(0);
        if (length < MIN_FRAME_LENGTH || length > MAX_FRAME_LENGTH) {
          this.broken = new XdrError(
            `frame length ${length} outside [${MIN_FRAME_LENGTH}, ${MAX_FRAME_LENGTH}]`,
          );
          throw this.broken;
        }
        this.body = Buffer.allocUnsafe(length - LENGTH_SIZE);
        this.bodyHave = 0;
      }
      const take = Math.min(this.body.length - this.bodyHave, chunk.length - off);
      this.body.set(chunk.subarray(off, off + take), this.bodyHave);
      this.bodyHave += take;
      off += take;
      if (this.bodyHave === this.body.length) {
        frames.push({
          header: readHeader(this.body),
          payload: this.body.subarray(HEADER_SIZE),
        });
        this.body = null;
        this.lengthHave = 0;
      }
    }
    return frames;
  }

  /** True when no partial frame is buffered (a clean place for the stream to end). */
  get idle(): boolean {
    return this.body === null && this.lengthHave === 0;
  }
}
