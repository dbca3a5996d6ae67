// The ssh handshake's own deadline, against a TCP server that accepts and never says a word
// (the real sshd is exercised by the lab suites).
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '../errors';
import { dialSsh } from './ssh';

let silent: Server;
let port: number;
const sockets: Socket[] = [];

beforeAll(async () => {
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const query = () => ({ host: '127.0.0.1', port, user: 'root', knownHostsFile: '/dev/null' });
const noConfig = { configFile: null, home: '/nonexistent', env: {} };

describe('the ssh handshake', () => {
  it('gives up after readyTimeoutMs when nothing answers, and says so', async () => {
    const started = Date.now();
    const dial = dialSsh(query(), 'true', { ...noConfig, readyTimeoutMs: 300 });
    await expect(dial).rejects.toBeInstanceOf(TransportError);
    await expect(dial).rejects.toThrow(
      `root@127.0.0.1:${port}: no ssh handshake within 0.3 s (nothing answered, or not an ssh server)`,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up as fast when prompt callbacks are given but no prompt is ever reached', async () => {
    const started = Date.now();
    const dial = dialSsh(query(), 'true', {
      ...noConfig,
      readyTimeoutMs: 300,
      onUnknownHostKey: () => 'reject',
      passphrase: () => null,
    });
    await expect(dial).rejects.toThrow(/no ssh handshake within 0\.3 s/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
