import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer } from 'ws';
import type { ChaosApi } from '../../shared/api';
import {
  cookieToken,
  hostAllowed,
  newToken,
  originAllowed,
  tokenCookie,
  tokensEqual,
} from './auth';
import { type ClientLimits, DEFAULT_LIMITS, type Log, serveConnection } from './socket';
import { openStatic, resolveStatic } from './static';

// `kvm-chaos serve`: the built renderer over HTTP and the contract over a WebSocket at /ws, on
// 127.0.0.1 unless told otherwise, refusing anything without the random token of its URL.

export const SOCKET_PATH = '/ws';
const HEARTBEAT_MS = 30_000;
/** Larger messages close their client with 1009; the biggest call (an apply) is a few kB. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export type ServerOptions = {
  api: ChaosApi;
  /** The built renderer (renderer/dist). */
  staticDir: string;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Only for tests that need a known token; otherwise a fresh random one. */
  token?: string;
  log?: Log;
  /** Per-client bounds (rate, queue, calls at once); tests lower them. */
  limits?: ClientLimits;
};

export type ChaosServer = {
  /** The URL to open, token included: print it, nothing else gives access. */
  url: string;
  host: string;
  port: number;
  token: string;
  close(): Promise<void>;
};

export async function createServer(options: ServerOptions): Promise<ChaosServer> {
  const { api, staticDir, host = '127.0.0.1', port = 0, log = () => {} } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;
  let boundPort = port;
  const token = options.token ?? newToken();

  const authorised = (req: IncomingMessage, url: URL) =>
    tokensEqual(token, url.searchParams.get('token') ?? undefined) ||
    tokensEqual(token, cookieToken(req));

  const http = createHttpServer((req, res) => {
    handlePage(req, res).catch((error: unknown) => {
      log(`page request failed: ${error instanceof Error ? error.message : error}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  async function handlePage(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    setSecurityHeaders(req, res);
    if (!hostAllowed(req, host, boundPort)) {
      res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(
        `kvm-chaos answers only as 127.0.0.1:${boundPort}, localhost:${boundPort} or [::1]:${boundPort}`,
      );
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (!authorised(req, url)) {
      res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8' }).end(UNAUTHORISED_PAGE);
      return;
    }
    if (url.searchParams.has('token')) {
      // Trade the token for a cookie and take it out of the address bar and the history.
      url.searchParams.delete('token');
      res
        .writeHead(303, { 'Set-Cookie': tokenCookie(token), Location: url.pathname + url.search })
        .end();
      return;
    }
    const file = await resolveStatic(staticDir, url.pathname);
    const opened = file && (await openStatic(file));
    if (!file || !opened) {
      const missingBuild = (await resolveStatic(staticDir, '/index.html')) === null;
      res.writeHead(missingBuild ? 503 : 404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(missingBuild ? `The UI is not built: run \`npx vite build\` (${staticDir}).` : '');
      return;
    }
    res.writeHead(200, {
      'Content-Type': file.contentType,
      'Content-Length': opened.size,
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') {
      await opened.handle.close();
      res.end();
      return;
    }
    // A read error after the headers can only cut the response short; it is logged, never thrown.
    await pipeline(opened.handle.createReadStream(), res).catch((error: unknown) => {
      log(`sending ${url.pathname} failed: ${error instanceof Error ? error.message : error}`);
    });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const alive = new WeakSet<object>();
  let clientCount = 0;
  wss.on('connection', (ws, req: IncomingMessage) => {
    const name = `client #${++clientCount}`;
    log(`${name} connected from ${req.socket.remoteAddress}:${req.socket.remotePort}`);
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    serveConnection(ws, api, log, name, limits);
  });
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!hostAllowed(req, host, boundPort)) return refuse(421, 'Misdirected Request');
    if (url.pathname !== SOCKET_PATH) return refuse(404, 'Not Found');
    if (!authorised(req, url)) return refuse(401, 'Unauthorized');
    if (!originAllowed(req)) return refuse(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const bound = http.address() as AddressInfo;
  boundPort = bound.port;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;

  return {
    url: `http://${shownHost}:${bound.port}/?token=${token}`,
    host: bound.address,
    port: bound.port,
    token,
    close: async () => {
      clearInterval(heartbeat);
      for (const ws of wss.clients) {
        ws.close(1001, 'server closing');
        ws.resume(); // a client paused for flooding must still read the closing handshake
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function setSecurityHeaders(req: IncomingMessage, res: ServerResponse) {
  const host = req.headers.host;
  const socketSource = host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? ` ws://${host}` : '';
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      "script-src 'self'",
      // React Flow positions nodes with inline styles.
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      `connect-src 'self'${socketSource}`,
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // The first URL carries the token: never let it leave in a Referer.
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

const UNAUTHORISED_PAGE = `<!doctype html><meta charset="utf-8"><title>kvm-chaos: token needed</title>
<body style="font:18px system-ui;margin:3em;max-width:40em">
<h1>Token needed</h1>
<p>This kvm-chaos server only answers the URL it printed when it started, token included
(<code>http://127.0.0.1:PORT/?token=...</code>). Copy that URL from the terminal where
<code>kvm-chaos serve</code> runs.</p></body>`;
