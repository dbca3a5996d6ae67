import { readFile } from 'node:fs/promises';
import { resolveStatic } from '../server/static';
import { APP_ORIGIN, injectCspMeta } from './security';

// Serves the built renderer (renderer/dist) on kvm-chaos://app/: the page gets an origin of its
// own instead of file://, every response carries the Content-Security-Policy header, and
// index.html also carries it as a meta tag. Nothing outside the renderer's folder is readable.

export function appProtocolHandler(
  rendererDir: string,
  csp: string,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    if (`${url.protocol}//${url.host}` !== APP_ORIGIN || request.method !== 'GET') {
      return new Response('Not found', { status: 404 });
    }
    const file = await resolveStatic(rendererDir, url.pathname);
    if (!file) return new Response('Not found', { status: 404 });
    const headers = {
      'Content-Type': file.contentType,
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
    };
    if (file.contentType.startsWith('text/html')) {
      const html = await readFile(file.path, 'utf8');
      return new Response(injectCspMeta(html, csp), { headers });
    }
    return new Response(await readFile(file.path), { headers });
  };
}
