import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appProtocolHandler } from './app-protocol';
import { APP_ORIGIN } from './security';

let root: string;
let dist: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kvm-chaos-protocol-'));
  dist = join(root, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(
    join(dist, 'index.html'),
    '<!doctype html><html><head><title>x</title></head></html>',
  );
  await writeFile(join(dist, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(root, 'secret.txt'), 'not for the page');
});
afterAll(() => rm(root, { recursive: true, force: true }));

const CSP = "default-src 'none'; script-src 'self'";
const get = (url: string, method = 'GET') =>
  appProtocolHandler(dist, CSP)(new Request(url, { method }));

describe('kvm-chaos:// protocol', () => {
  it('serves the page with the policy as header and as meta tag', async () => {
    const res = await get(`${APP_ORIGIN}/index.html`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    const html = await res.text();
    expect(html).toContain(`<head><meta http-equiv="Content-Security-Policy" content="${CSP}">`);
  });

  it('serves assets with their type and the policy', async () => {
    const res = await get(`${APP_ORIGIN}/assets/app.js`);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('console.log(1)');
  });

  it('reads nothing outside the renderer folder, nor for another host or method', async () => {
    for (const url of [
      `${APP_ORIGIN}/../secret.txt`,
      `${APP_ORIGIN}/%2e%2e/secret.txt`,
      `${APP_ORIGIN}/assets/%2e%2e%2f%2e%2e%2fsecret.txt`,
      `${APP_ORIGIN}/missing.js`,
      'kvm-chaos://other/index.html',
    ]) {
      const res = await get(url);
      expect(res.status, url).toBe(404);
      expect(await res.text(), url).not.toContain('not for the page');
    }
    expect((await get(`${APP_ORIGIN}/index.html`, 'POST')).status).toBe(404);
  });
});
