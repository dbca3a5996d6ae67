import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from './options';
import { serve } from './serve';

let dir: string;
let taken: Server;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-serve-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html>');
  process.env.KVM_CHAOS_CONFIG = dir;
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  port = (taken.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  delete process.env.KVM_CHAOS_CONFIG;
  await rm(dir, { recursive: true, force: true });
});

describe('kvm-chaos serve', () => {
  it('on a taken port: one line that says what to do, as a usage error (exit 2)', async () => {
    const started = serve({
      host: '127.0.0.1',
      port,
      knownHostsPath: join(dir, 'known_hosts'),
      staticDir: dir,
    });
    await expect(started).rejects.toBeInstanceOf(UsageError);
    await expect(started).rejects.toThrow(
      `127.0.0.1:${port} is taken (another kvm-chaos serve?): choose another --port, or --port 0 for a free one`,
    );
  });
});
