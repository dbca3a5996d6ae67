// An in-memory transport: two connected Duplex ends. Unit tests of framing, the RPC layer and
// its error paths play the daemon's side by hand; behaviour against libvirtd is proven in the
// lab suites, not here.
import { Duplex } from 'node:stream';

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
