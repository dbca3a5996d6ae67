import { describe, expect, it, vi } from 'vitest';
import {
  APP_ORIGIN,
  contentSecurityPolicy,
  denyPermissions,
  enforceCsp,
  guardWebContents,
  injectCspMeta,
  originOf,
  permissionGranted,
  windowOptions,
  withCsp,
} from './security';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(';').map((d) => {
      const [name = '', ...values] = d.trim().split(/\s+/);
      return [name, values];
    }),
  );
}

describe('window options', () => {
  it('isolate the page from Node and Electron', () => {
    const options = windowOptions({ preload: '/app/out/preload/index.cjs', devTools: false });
    expect(options.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      devTools: false,
    });
    expect(options.show).toBe(false);
  });

  it('offer developer tools only when asked (builds from source)', () => {
    expect(windowOptions({ preload: 'p', devTools: true }).webPreferences?.devTools).toBe(true);
  });
});

describe('Content-Security-Policy', () => {
  const csp = directives(contentSecurityPolicy());

  it('denies by default and allows scripts from the app only', () => {
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    for (const name of ['object-src', 'frame-src', 'worker-src', 'base-uri', 'form-action']) {
      expect(csp.get(name), name).toEqual(["'none'"]);
    }
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('never allows eval, and inline only for styles', () => {
    const text = contentSecurityPolicy();
    expect(text).not.toContain('unsafe-eval');
    const inline = [...csp].filter(([, values]) => values.includes("'unsafe-inline'"));
    expect(inline.map(([name]) => name)).toEqual(['style-src']);
    expect([...csp.values()].flat()).not.toContain('*');
  });

  it('lets a development server run its preamble and its HMR socket, and nothing more', () => {
    const dev = directives(contentSecurityPolicy('http://localhost:5173'));
    expect(dev.get('script-src')).toEqual(["'self'", 'http://localhost:5173', "'unsafe-inline'"]);
    expect(dev.get('connect-src')).toEqual([
      "'self'",
      'http://localhost:5173',
      'ws://localhost:5173',
    ]);
    expect(contentSecurityPolicy('http://localhost:5173')).not.toContain('unsafe-eval');
  });

  it('replaces whatever policy a response carried', () => {
    const headers = withCsp(
      { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] },
      "default-src 'none'",
    );
    expect(headers).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': ["default-src 'none'"],
    });
  });

  it('is set on every response of the session', () => {
    let listener: ((details: unknown, callback: (r: unknown) => void) => void) | undefined;
    const session = {
      webRequest: { onHeadersReceived: (l: typeof listener) => (listener = l) },
    };
    enforceCsp(session as never, 'the policy');
    const callback = vi.fn();
    listener?.({ responseHeaders: { 'Content-Security-Policy': ['script-src *'] } }, callback);
    expect(callback).toHaveBeenCalledWith({
      responseHeaders: { 'Content-Security-Policy': ['the policy'] },
    });
  });

  it('goes first into <head> as a meta tag, escaped', () => {
    const html = '<!doctype html><html><HEAD lang="en"><script src="/a.js"></script></head></html>';
    const out = injectCspMeta(html, `default-src 'none'; x "y" &`);
    expect(out).toBe(
      '<!doctype html><html><HEAD lang="en"><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; x &quot;y&quot; &amp;"><script src="/a.js"></script></head></html>',
    );
    expect(injectCspMeta('<p>no head</p>', 'p')).toMatch(/^<meta [^>]+><p>no head<\/p>$/);
  });

  it('leaves out of the meta tag what only a header can say', () => {
    const meta = injectCspMeta('<head></head>', contentSecurityPolicy());
    expect(meta).not.toContain('frame-ancestors');
    expect(meta).toContain("script-src 'self'");
    expect(meta).toContain("default-src 'none'");
  });
});

describe('navigation and new windows', () => {
  function standIn() {
    const listeners = new Map<string, (event: unknown) => void>();
    let openHandler: ((details: { url: string }) => unknown) | undefined;
    const contents = {
      on: (name: string, l: (event: unknown) => void) => listeners.set(name, l),
      setWindowOpenHandler: (h: typeof openHandler) => (openHandler = h),
    };
    const openExternal = vi.fn();
    guardWebContents(contents as never, { allowedOrigin: APP_ORIGIN, openExternal });
    const fire = (name: string, url: string) => {
      const event = { url, preventDefault: vi.fn() };
      listeners.get(name)?.(event);
      return event.preventDefault.mock.calls.length > 0;
    };
    return { fire, open: (url: string) => openHandler?.({ url }), openExternal };
  }

  it('keeps the page inside the app', () => {
    const { fire } = standIn();
    for (const event of ['will-navigate', 'will-redirect']) {
      expect(fire(event, `${APP_ORIGIN}/index.html`), event).toBe(false);
      for (const url of [
        'https://evil.example/',
        'file:///etc/passwd',
        'kvm-chaos://other/index.html',
        'http://127.0.0.1:8080/',
        'javascript:alert(1)',
        'not a url',
      ]) {
        expect(fire(event, url), `${event} ${url}`).toBe(true);
      }
    }
  });

  it('never attaches a <webview>', () => {
    expect(standIn().fire('will-attach-webview', `${APP_ORIGIN}/`)).toBe(true);
  });

  it('never opens a window; https links go to the browser, nothing else does', () => {
    const { open, openExternal } = standIn();
    for (const url of [
      'https://libvirt.org/formatnwfilter.html',
      'http://example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      `${APP_ORIGIN}/index.html`,
      'smb://host/share',
    ]) {
      expect(open(url), url).toEqual({ action: 'deny' });
    }
    expect(openExternal.mock.calls).toEqual([['https://libvirt.org/formatnwfilter.html']]);
  });

  it('reads origins of custom schemes (URL.origin says "null" for them)', () => {
    expect(originOf('kvm-chaos://app/assets/x.js')).toBe(APP_ORIGIN);
    expect(originOf('http://localhost:5173/')).toBe('http://localhost:5173');
    expect(originOf('about:blank')).toBeNull();
    expect(originOf('%%')).toBeNull();
  });
});

describe('permissions', () => {
  it('are denied, except writing text to the clipboard', () => {
    let request: ((c: unknown, p: string, cb: (granted: boolean) => void) => void) | undefined;
    let check: ((c: unknown, p: string) => boolean) | undefined;
    denyPermissions({
      setPermissionRequestHandler: (h: typeof request) => (request = h),
      setPermissionCheckHandler: (h: typeof check) => (check = h),
    } as never);
    const denied = [
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'clipboard-read',
      'fullscreen',
      'pointerLock',
      'hid',
      'serial',
      'usb',
      'fileSystem',
      'unknown',
    ];
    for (const permission of denied) {
      const callback = vi.fn();
      request?.({}, permission, callback);
      expect(callback, permission).toHaveBeenCalledWith(false);
      expect(check?.({}, permission), permission).toBe(false);
    }
    const callback = vi.fn();
    request?.({}, 'clipboard-sanitized-write', callback);
    expect(callback).toHaveBeenCalledWith(true);
    expect(permissionGranted('clipboard-sanitized-write')).toBe(true);
  });
});
