// An in-memory transport: two connected Duplex ends, and a MemoryPeer that plays libvirtd's
// side frame by frame. Unit tests use it for framing and error paths (timeouts, disconnects,
// dead peers, garbage) that a healthy daemon never produces on demand; behaviour against
// libvirtd itself is proven in the lab suites.
import { Duplex } from 'node:stream';
import { encodeFrame, type Frame, FrameDecoder, MessageStatus, MessageType } from './framing';
import { type ProcedureName, procedures } from './procedures';
import { remoteError } from './protocol';
import type { AnyCodec } from './xdr';

export function memoryDuplexPair(): [Duplex, Duplex] {
  let a: Duplex;
  let b: Duplex;
  const make = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        const p = peer();
        if (!p.destroyed) p.push(chunk);
        done();
      },
      final(done) {
        peer().push(null);
        done();
      },
      destroy(err, done) {
        const p = peer();
        if (!p.destroyed && !p.readableEnded) p.push(null);
        done(err);
      },
    });
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}

export const procedureName = (proc: number): string =>
  Object.entries(procedures).find(([, p]) => p.proc === proc)?.[0] ?? `#${proc}`;

/** A handler's answer that leaves the call pending forever (a hung daemon). */
export const NO_REPLY = Symbol('no reply');

type Handler = (frame: Frame) => unknown;

/** The daemon's end of the pipe: collects frames and answers them by hand or by table. */
export class MemoryPeer {
  readonly frames: Frame[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly decoder = new FrameDecoder();

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      this.frames.push(...this.decoder.push(chunk));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Waits for the n-th frame (1-based) to arrive. */
  async nth(n: number): Promise<Frame> {
    while (this.frames.length < n) await new Promise<void>((r) => this.waiters.push(r));
    return this.frames[n - 1] as Frame;
  }

  reply(to: Frame, codec: AnyCodec | null, value?: unknown): void {
    this.send({ ...to.header, type: MessageType.Reply, status: MessageStatus.Ok }, (w) =>
      codec?.encode(w, value),
    );
  }

  replyError(to: Frame, code: number, domain: number, message: string): void {
    this.send({ ...to.header, type: MessageType.Reply, status: MessageStatus.Error }, (w) =>
      remoteError.encode(w, { code, domain, message, level: 2, str1: message, int1: -1, int2: -1 }),
    );
  }

  send(header: Frame['header'], write?: Parameters<typeof encodeFrame>[1]): void {
    if (!this.stream.destroyed) this.stream.write(encodeFrame(header, write));
  }

  /** Answers the open sequence like libvirtd does for root on the local socket. */
  async serveOpen(authTypes: number[] = [0]): Promise<void> {
    let n = 1;
    for (;;) {
      const f = await this.nth(n++);
      const name = procedureName(f.header.proc);
      if (name === 'authList') this.reply(f, procedures.authList.ret, authTypes);
      else if (name === 'authPolkit') this.reply(f, procedures.authPolkit.ret, 1);
      else if (name === 'connectSupportsFeature')
        this.reply(f, procedures.connectSupportsFeature.ret, 1);
      else if (name === 'connectOpen') {
        this.reply(f, null);
        return;
      } else throw new Error(`unexpected ${name} during open`);
    }
  }

  /**
   * Answers every call from a table (after the open sequence) until the stream ends; a
   * procedure missing from the table gets libvirt's NO_SUPPORT error.
   */
  async serve(handlers: Partial<Record<ProcedureName, Handler>>): Promise<void> {
    await this.serveOpen();
    let n = this.frames.length + 1;
    while (!this.stream.destroyed) {
      const f = await this.nth(n++);
      if (f.header.type !== MessageType.Call) continue;
      const name = procedureName(f.header.proc) as ProcedureName;
      const handler = handlers[name];
      if (handler) {
        const value = handler(f);
        if (value !== NO_REPLY) this.reply(f, procedures[name].ret, value);
      } else this.replyError(f, 3, 7, `this peer does not implement ${name}`);
    }
  }
}
