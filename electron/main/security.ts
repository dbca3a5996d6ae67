import type {
  BrowserWindowConstructorOptions,
  HandlerDetails,
  Session,
  WebContents,
  WindowOpenHandlerResponse,
} from 'electron';

// Everything that decides what the window's page may do, as plain values and small functions
// the unit tests check without Electron: the window's options, the Content-Security-Policy, the
// navigation and new-window guards, and the permission answer.

/** The page is served from this privileged scheme (not file://, which every local file shares). */
export const APP_SCHEME = 'kvm-chaos';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

export function windowOptions(options: {
  preload: string;
  /** Developer tools: only in a build from source, never in a packaged app. */
  devTools: boolean;
  icon?: string;
}): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'kvm-chaos',
    // Shown at ready-to-show: no white flash before the first paint.
    show: false,
    backgroundColor: '#111418',
    ...(options.icon ? { icon: options.icon } : {}),
    webPreferences: {
      preload: options.preload,
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
      safeDialogs: true,
      spellcheck: false,
      devTools: options.devTools,
    },
  };
}

/**
 * The page's Content-Security-Policy. Scripts only from the app's own origin; styles also inline
 * (React Flow positions nodes with style attributes); no network: the page talks to the engine
 * over IPC only. A development server (Vite) needs its inline preamble and its HMR socket.
 */
export function contentSecurityPolicy(devServer?: string): string {
  const self = devServer ? `'self' ${devServer}` : "'self'";
  const dev = devServer ? new URL(devServer) : null;
  return [
    "default-src 'none'",
    dev ? `script-src ${self} 'unsafe-inline'` : `script-src ${self}`,
    `style-src ${self} 'unsafe-inline'`,
    `img-src ${self} data: blob:`,
    `font-src ${self} data:`,
    dev ? `connect-src ${self} ws://${dev.host}` : `connect-src ${self}`,
    `manifest-src ${self}`,
    "object-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Response headers with our policy in place of any the response carried (any letter case). */
export function withCsp(
  headers: Record<string, string[]> | undefined,
  csp: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  }
  out['Content-Security-Policy'] = [csp];
  return out;
}

/** The policy on every response the session receives (the development server's included). */
export function enforceCsp(session: Pick<Session, 'webRequest'>, csp: string): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCsp(details.responseHeaders, csp) });
  });
}

/** Directives a meta tag cannot carry (Chromium ignores them there, with a console warning). */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

/** The same policy as a meta tag at the top of <head>, for responses no header reaches. */
export function injectCspMeta(html: string, csp: string): string {
  const content = csp
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d && !HEADER_ONLY.has(d.split(/\s+/)[0] ?? ''))
    .join('; ');
  const meta = `<meta http-equiv="Content-Security-Policy" content="${content.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">`;
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (!head) return meta + html;
  const at = head.index + head[0].length;
  return html.slice(0, at) + meta + html.slice(at);
}

/** scheme://host of a URL (URL.origin is "null" for schemes Node does not know), or null. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.host ? `${u.protocol}//${u.host}` : null;
  } catch {
    return null;
  }
}

/** Permissions a page may get: writing plain text to the clipboard ("copy XML"), nothing else. */
const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

export function permissionGranted(permission: string): boolean {
  return GRANTED_PERMISSIONS.has(permission);
}

export function denyPermissions(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
): void {
  session.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(permissionGranted(permission)),
  );
  session.setPermissionCheckHandler((_contents, permission) => permissionGranted(permission));
}

/** What happens to a window.open or target=_blank link: never a new window; https goes to the browser. */
export function windowOpenDecision(url: string): { openExternally: boolean } {
  try {
    return { openExternally: new URL(url).protocol === 'https:' };
  } catch {
    return { openExternally: false };
  }
}

type GuardedContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/**
 * Keeps a page where it is: navigation and redirects only within the app's own origin, no new
 * windows (https links open in the user's browser instead), no <webview>.
 */
export function guardWebContents(
  contents: GuardedContents,
  options: { allowedOrigin: string; openExternal: (url: string) => void },
): void {
  const allowed = (url: string) => originOf(url) === options.allowedOrigin;
  contents.on('will-navigate', (event) => {
    if (!allowed(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!allowed(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler((details: HandlerDetails): WindowOpenHandlerResponse => {
    if (windowOpenDecision(details.url).openExternally) options.openExternal(details.url);
    return { action: 'deny' };
  });
}
