import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// The server refuses every request that does not carry the random token it printed in its URL.
// The page gets it once as ?token=..., trades it for an HttpOnly SameSite=Strict cookie and
// drops it from the address bar; the browser then sends the cookie on every page request and on
// the WebSocket upgrade. Non-browser clients (tests, scripts) may pass ?token= on the upgrade.

export const TOKEN_COOKIE = 'kvm_chaos_token';

/** 32 random bytes, base64url: 43 characters, URL and cookie safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokensEqual(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === TOKEN_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/**
 * A browser always sends Origin on a WebSocket upgrade; it must be this server's own origin,
 * so a page from elsewhere cannot drive the engine even if it learnt the port. Clients that are
 * not browsers send none and are judged by the token alone.
 */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The Host header names this server: 127.0.0.1, localhost or [::1] with its port (or the
 * address it was told to listen on). Anything else is a page of another site that had its name
 * resolve to us (DNS rebinding), so it never reaches the token check.
 */
export function hostAllowed(req: IncomingMessage, listenHost: string, port: number): boolean {
  const given = req.headers.host?.toLowerCase();
  if (given === undefined) return false;
  const names = [...LOOPBACK_NAMES];
  if (!['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost'].includes(listenHost))
    names.push(listenHost.includes(':') ? `[${listenHost}]` : listenHost.toLowerCase());
  return names.some((name) => given === `${name}:${port}`);
}
