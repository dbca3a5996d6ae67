import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ok, type Result } from '../../shared/api';
import {
  type EngineTestDouble,
  engineTestDouble,
  LAB_HOST,
  labInventory,
} from '../../shared/api/fixtures';
import { type ChaosServer, createServer } from './server';

let staticDir: string;
let engine: EngineTestDouble;
let server: ChaosServer;
const logged: string[] = [];

beforeAll(async () => {
  staticDir = await mkdtemp(join(tmpdir(), 'kvm-chaos-static-'));
  await mkdir(join(staticDir, 'assets'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>kvm-chaos</title>');
  await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  engine = engineTestDouble({
    'hosts.list': () => ok([]),
    'inventory.get': () => ok(labInventory(3)),
  });
  server = await createServer({ api: engine.api, staticDir, log: (l) => logged.push(l) });
});

afterAll(async () => {
  await server.close();
  await rm(staticDir, { recursive: true, force: true });
});

const clients: WebSocket[] = [];
afterEach(() => {
  for (const ws of clients.splice(0)) {
    ws.on('error', () => {}); // aborting a refused handshake reports an error we do not need
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  }
  engine.calls.length = 0;
});

type Reply = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
};

/** A raw HTTP GET: no URL normalisation, so traversal attempts reach the server as written. */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: server.host, port: server.port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const cookie = () => ({ Cookie: `kvm_chaos_token=${server.token}` });

/** Opens a socket; resolves once open, or with the HTTP status the upgrade was refused with. */
function connect(query = `?token=${server.token}`, headers: Record<string, string> = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws${query}`, { headers });
  clients.push(ws);
  const messages: unknown[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  const opened = new Promise<{ ws: WebSocket; status: number }>((resolve, reject) => {
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? 0 }));
    ws.once('error', reject);
  });
  return { opened, messages, ws };
}

async function waitFor<T>(probe: () => T | undefined, ms = 2000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function call(
  ws: WebSocket,
  messages: unknown[],
  id: number,
  name: string,
  params: unknown,
  ms?: number,
) {
  ws.send(JSON.stringify({ kind: 'call', id, name, params }));
  return waitFor(
    () =>
      messages.find(
        (m): m is { kind: 'result'; id: number; result: Result<unknown> } =>
          (m as { kind: string }).kind === 'result' && (m as { id: number }).id === id,
      ),
    ms,
  );
}

describe('start-up', () => {
  it('binds to loopback by default and prints a URL with a fresh 32-byte token', async () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    const other = await createServer({ api: engine.api, staticDir });
    try {
      expect(other.token).not.toBe(server.token);
      expect(other.port).not.toBe(server.port);
    } finally {
      await other.close();
    }
  });
});

describe('pages', () => {
  it('refuses a page request without the token, or with a wrong one', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong')).status).toBe(401);
    expect((await get('/assets/app.js')).status).toBe(401);
    const forged = await get('/', { Cookie: `kvm_chaos_token=${server.token.slice(1)}x` });
    expect(forged.status).toBe(401);
    expect(forged.body).toContain('Token needed');
  });

  it('trades the URL token for an HttpOnly SameSite=Strict cookie and drops it from the URL', async () => {
    const first = await get(`/?token=${server.token}&host=lab`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/?host=lab');
    expect(first.headers['set-cookie']).toEqual([
      `kvm_chaos_token=${server.token}; HttpOnly; SameSite=Strict; Path=/`,
    ]);
    expect(first.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves the built UI with the cookie, under a strict content security policy', async () => {
    const page = await get('/', cookie());
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>kvm-chaos</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`ws://127.0.0.1:${server.port}`);
    const script = await get('/assets/app.js', cookie());
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe('console.log(1)');
    expect((await get('/inspector', cookie())).body).toContain('<title>kvm-chaos</title>');
    expect((await get('/assets/missing.js', cookie())).status).toBe(404);
    expect((await get('/', cookie(), 'POST')).status).toBe(405);
  });

  it('never reads outside the UI folder', async () => {
    for (const path of [
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
    ]) {
      const reply = await get(path, cookie());
      expect(reply.body, path).not.toContain('root:');
    }
  });
});

describe('WebSocket', () => {
  it('refuses an upgrade without the token, with a wrong one, or from another origin', async () => {
    expect((await connect('').opened).status).toBe(401);
    expect((await connect('?token=nope').opened).status).toBe(401);
    const foreign = connect(`?token=${server.token}`, { Origin: 'http://evil.example' });
    expect((await foreign.opened).status).toBe(403);
    const elsewhere = new WebSocket(`ws://127.0.0.1:${server.port}/other?token=${server.token}`);
    clients.push(elsewhere);
    const status = await new Promise((resolve) =>
      elsewhere.once('unexpected-response', (_q, res) => resolve(res.statusCode)),
    );
    expect(status).toBe(404);
    expect(engine.listeners.size).toBe(0);
  });

  it("accepts the page's cookie from its own origin", async () => {
    const { opened } = connect('', {
      ...cookie(),
      Origin: `http://127.0.0.1:${server.port}`,
    });
    expect((await opened).status).toBe(101);
  });

  it('carries calls to the engine and results back', async () => {
    const { opened, messages } = connect();
    const { ws } = await opened;
    const reply = await call(ws, messages, 7, 'inventory.get', { hostId: LAB_HOST });
    expect(reply.result).toEqual({ ok: true, value: labInventory(3) });
    expect(engine.calls).toEqual([{ name: 'inventory.get', params: { hostId: 'lab' } }]);
  });

  it('answers invalid params and unknown calls with errors the engine never sees', async () => {
    const { opened, messages } = connect();
    const { ws } = await opened;
    const invalid = await call(ws, messages, 1, 'chaos.heal', { all: 'yes' });
    expect(invalid.result).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    const unknown = await call(ws, messages, 2, 'engine.shutdown', {});
    expect(unknown.result).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
    ws.send(JSON.stringify({ kind: 'call', id: 3, name: 'hosts.list', params: {}, extra: 1 }));
    const extra = await waitFor(() => messages.find((m) => (m as { id?: number }).id === 3));
    expect(extra).toMatchObject({ result: { ok: false, error: { code: 'invalid-request' } } });
    expect(engine.calls).toEqual([]);
  });

  it('closes the socket on frames that are not call messages', async () => {
    for (const [frame, code] of [
      ['not json', 1007],
      ['"a string"', 1008],
      [Buffer.from([1, 2, 3]), 1003],
    ] as const) {
      const { opened, ws } = connect();
      await opened;
      const closed = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
      ws.send(frame, { binary: typeof frame !== 'string' });
      expect(await closed).toBe(code);
    }
  });

  it('forwards engine events inside the contract, drops the rest, and unsubscribes on close', async () => {
    const { opened, messages } = connect();
    const { ws } = await opened;
    await waitFor(() => (engine.listeners.size === 1 ? true : undefined));
    const event = {
      type: 'host.state',
      status: { hostId: 'lab', state: 'reconnecting', attempt: 2, since: 1 },
    };
    engine.emit({ type: 'host.state', status: { hostId: 'lab', state: 'on fire', since: 1 } });
    engine.emit(event);
    const received = await waitFor(() =>
      messages.find((m) => (m as { kind: string }).kind === 'event'),
    );
    expect(received).toEqual({ kind: 'event', event });
    expect(messages.filter((m) => (m as { kind: string }).kind === 'event')).toHaveLength(1);
    expect(logged.some((line) => line.includes('outside the contract'))).toBe(true);
    ws.close();
    await waitFor(() => (engine.listeners.size === 0 ? true : undefined));
  });

  it('closes its clients when the server closes', async () => {
    const extra = await createServer({ api: engine.api, staticDir });
    const ws = new WebSocket(`ws://127.0.0.1:${extra.port}/ws?token=${extra.token}`);
    await new Promise((resolve) => ws.once('open', resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    await extra.close();
    expect(await closed).toBe(1001);
  });
});

describe('a hostile client', () => {
  /** Resolves with the close code once the socket closes. */
  const closedWith = (ws: WebSocket) =>
    new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

  async function stillServes() {
    const { opened, messages } = connect();
    const { ws } = await opened;
    const reply = await call(ws, messages, 1, 'hosts.list', {});
    expect(reply.result).toEqual({ ok: true, value: [] });
  }

  it('is closed alone, 1007, for a frame that is not UTF-8', async () => {
    const { opened, ws } = connect();
    await opened;
    const closed = closedWith(ws);
    ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await closed).toBe(1007);
    expect(logged.some((l) => l.includes('invalid UTF-8 sequence; closing it'))).toBe(true);
    await stillServes();
  });

  it('is closed alone, 1009, for a 10 MB message', async () => {
    const { opened, ws } = connect();
    await opened;
    const closed = closedWith(ws);
    ws.send('x'.repeat(10 * 1024 * 1024));
    expect(await closed).toBe(1009);
    expect(logged.some((l) => l.includes('Max payload size exceeded; closing it'))).toBe(true);
    await stillServes();
  });

  it('gets 404, never a crash, for files renamed while they are served', async () => {
    const js = join(staticDir, 'assets', 'app.js');
    let renaming = true;
    const renamer = (async () => {
      while (renaming) {
        await rename(js, `${js}.old`);
        await rename(`${js}.old`, js);
      }
    })();
    const statuses = new Set<number>();
    for (let i = 0; i < 400; i++) statuses.add((await get('/assets/app.js', cookie())).status);
    renaming = false;
    await renamer;
    expect(
      [...statuses].every((s) => s === 200 || s === 404),
      [...statuses].join(),
    ).toBe(true);
    await stillServes();
  });

  it('is refused with 421 when the Host header names another site (DNS rebinding)', async () => {
    const evil = { Host: `evil.example:${server.port}` };
    expect((await get('/', { ...cookie(), ...evil })).status).toBe(421);
    expect((await connect(`?token=${server.token}`, evil).opened).status).toBe(421);
    for (const name of ['127.0.0.1', 'localhost', '[::1]'])
      expect((await get('/', { ...cookie(), Host: `${name}:${server.port}` })).status).toBe(200);
    expect((await get('/', { ...cookie(), Host: `127.0.0.1:${server.port + 1}` })).status).toBe(
      421,
    );
  });

  it('is logged when it connects and leaves', async () => {
    logged.length = 0;
    const { opened, ws } = connect();
    await opened;
    ws.close();
    await waitFor(() => (logged.some((l) => / left \(/.test(l)) ? true : undefined));
    expect(logged.some((l) => /^client #\d+ connected from 127\.0\.0\.1:\d+$/.test(l))).toBe(true);
  });

  it('is closed, 1008, when it sends far more frames than it waits answers for', async () => {
    const tight = await createServer({
      api: engine.api,
      staticDir,
      limits: { ratePerSecond: 10, burst: 2, inFlight: 1, queued: 4 },
    });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${tight.port}/ws?token=${tight.token}`);
      await new Promise((resolve) => ws.once('open', resolve));
      const closed = closedWith(ws);
      const frame = JSON.stringify({ kind: 'call', id: 1, name: 'hosts.list', params: {} });
      for (let i = 0; i < 50; i++) ws.send(frame);
      expect(await closed).toBe(1008);
    } finally {
      await tight.close();
    }
  });
});

describe('a flooding client', () => {
  it("delays another client's heal by far less than a second", { timeout: 20_000 }, async () => {
    // One change at a time per host, like the engine's queue; each takes 40 ms.
    let hostQueue: Promise<unknown> = Promise.resolve();
    const exclusive = <T>(task: () => Promise<T>) => {
      const run = hostQueue.then(task, task);
      hostQueue = run.catch(() => {});
      return run;
    };
    const healed = {
      applyId: 'a1',
      dryRun: false,
      plan: { operations: [], cuts: [], portsTouched: [], unfilteredWindows: [] },
      cutIds: [],
    };
    const api = {
      ...engine.api,
      subscribe: engine.api.subscribe,
      'chaos.heal': () =>
        exclusive(async () => {
          await new Promise((r) => setTimeout(r, 40));
          return ok(healed);
        }),
    } as unknown as typeof engine.api;
    const flooded = await createServer({ api, staticDir });
    const open = async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${flooded.port}/ws?token=${flooded.token}`);
      clients.push(ws);
      const messages: unknown[] = [];
      ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
      await new Promise((resolve) => ws.once('open', resolve));
      return { ws, messages };
    };
    try {
      const flooder = await open();
      const frame = (id: number) =>
        JSON.stringify({ kind: 'call', id, name: 'chaos.heal', params: { all: true } });
      for (let id = 0; id < 100; id++) flooder.ws.send(frame(id));
      const victim = await open();
      const started = Date.now();
      const reply = await call(victim.ws, victim.messages, 7, 'chaos.heal', { all: true }, 10_000);
      const latency = Date.now() - started;
      expect(reply.result.ok, JSON.stringify(reply.result)).toBe(true);
      expect(latency).toBeLessThan(1000);
    } finally {
      await flooded.close();
    }
  });
});
