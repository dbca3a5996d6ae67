// The local dialer: libvirtd's unix socket, for running on the KVM host itself.
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import { TransportError } from '../errors';

export function dialUnix(socketPath: string, timeoutMs = 10_000): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TransportError('connect-failed', `${socketPath}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay?.(true);
      resolve(socket);
    });
    const onError = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const hint =
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? ' (is libvirtd running?)'
          : err.code === 'EACCES'
            ? ' (run as root or join the libvirt group)'
            : '';
      reject(
        new TransportError('connect-failed', `${socketPath}: ${err.message}${hint}`, {
          cause: err,
        }),
      );
    };
    socket.once('error', onError);
  });
}
