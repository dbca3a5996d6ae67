// `kvm-chaos watch` unattended, as a service runs it: started before one of its hosts answers, it
// dials that host again until it does and keeps the other meanwhile. Each host line names its
// host and says a change once (not at every dial), and "stopped" is the last line. The late host
// is the lab's sshd behind a port that opens only mid-test (a TCP relay in this process).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKvmChaos } from '../../lab/cli-process';
import { type LabState, readLabState } from '../../lab/lab-client';

type Line = { at: string; event: string; host?: string; state?: string; error?: string };

let lab: LabState;
let dir: string;
const servers: Server[] = [];

beforeAll(async () => {
  lab = await readLabState();
  dir = await mkdtemp(join(tmpdir(), 'kc-watch-'));
});

afterAll(async () => {
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return port;
}

/** From now on, `port` leads to the lab's sshd. */
async function relayToLabSsh(port: number): Promise<void> {
  const relay = createServer((downstream) => {
    const upstream = connect(lab.ssh.port, lab.ssh.host);
    downstream.pipe(upstream).pipe(downstream);
    for (const end of [downstream, upstream])
      end.on('error', () => {
        downstream.destroy();
        upstream.destroy();
      });
  });
  servers.push(relay);
  await new Promise<void>((r) => relay.listen(port, '127.0.0.1', r));
}

async function until(what: string, check: () => boolean, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('kvm-chaos watch, started before its host', () => {
  it('dials the late host until it answers, keeps the other meanwhile, and says each change once', async () => {
    const port = await freePort();
    // The lab host's own key, known under the relay's address.
    const key = (await readFile(lab.ssh.knownHosts, 'utf8'))
      .split('\n')
      .find((l) => l.startsWith(`[${lab.ssh.host}]:${lab.ssh.port} `))
      ?.split(' ')
      .slice(1)
      .join(' ');
    if (!key) throw new Error(`no key for the lab's sshd in ${lab.ssh.knownHosts}`);
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, `[127.0.0.1]:${port} ${key}\n`);
    const late = `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${lab.ssh.key}&known_hosts=${knownHosts}`;

    const w = startKvmChaos(['--json', 'watch'], { connect: ['qemu:///system', late] });
    const lines = () =>
      w
        .output()
        .stdout.split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Line);
    const hostLines = (host: string) =>
      lines()
        .filter((l) => l.event === 'host' && l.host === host)
        .map(({ state, error }) => (error ? { state, error } : { state }));
    try {
      await until(
        'the late host to be refused',
        () => hostLines(late).some((l) => l.state === 'disconnected'),
        20_000,
      );
      // Two more dials (after 1 s and 2 s) fail the same way: not news.
      await new Promise((r) => setTimeout(r, 3_500));
      expect(hostLines(late)).toEqual([
        { state: 'connecting' },
        {
          state: 'disconnected',
          error: expect.stringContaining(`connect ECONNREFUSED 127.0.0.1:${port}`),
        },
      ]);
      expect(lines().find((l) => l.host === late && l.state === 'disconnected')).toMatchObject({
        next: 'retrying',
      });
      expect(hostLines('qemu:///system')).toEqual([
        { state: 'connecting' },
        { state: 'connected' },
      ]);

      const opened = Date.now();
      await relayToLabSsh(port);
      await until(
        'the late host to connect',
        () => hostLines(late).some((l) => l.state === 'connected'),
        40_000,
      );
      const connectedAt = Date.parse(
        lines().find((l) => l.host === late && l.state === 'connected')?.at ?? '',
      );
      // The next dial comes at most 4 s after the port opened (dials 1, 2, 4 s apart so far).
      const took = connectedAt - opened;
      expect(took).toBeGreaterThan(0);
      expect(took).toBeLessThan(15_000);
      console.log(`watch reached the late host ${took} ms after its port opened`);
      expect(hostLines(late)).toEqual([
        { state: 'connecting' },
        { state: 'disconnected', error: expect.stringContaining('ECONNREFUSED') },
        { state: 'connected' },
      ]);
    } finally {
      process.kill(w.pid, 'SIGTERM');
    }
    const r = await w.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(lines().at(-1)?.event).toBe('stopped');
    expect(
      lines()
        .filter((l) => l.event === 'watching')
        .map((l) => l.host),
    ).toEqual(['qemu:///system', late]);
  });
});
