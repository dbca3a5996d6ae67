import { join } from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  type IpcMainEvent,
  ipcMain,
  Menu,
  protocol,
  session,
  shell,
} from 'electron';
import { IPC_EVENT_CHANNEL } from '../../shared/api';
import { IPC_MENU_CHANNEL, IPC_READY_CHANNEL, type MenuCommand } from '../../shared/api/bridge';
import { createEngine, fileProfiles } from '../engine';
import { appProtocolHandler } from './app-protocol';
import { appSender, EventRelay, registerCallHandlers } from './ipc';
import { aboutBox, menuTemplate, windowTitle } from './menu';
import { appPaths } from './paths';
import {
  APP_ORIGIN,
  APP_SCHEME,
  contentSecurityPolicy,
  denyPermissions,
  enforceCsp,
  guardWebContents,
  originOf,
  windowOptions,
} from './security';
import { type AppSettings, appFiles, knownHostsPath, loadSettings, saveSettings } from './settings';

// The composition root of the desktop app: every part is built here, by hand, in order.
// Nothing below reaches for a global; the parts only know what they are given.

declare const __KVM_CHAOS_VERSION__: string;

const paths = appPaths(import.meta.dirname);

// Before `ready`: the app's name decides its data folder, and a scheme must be privileged early.
// Set explicitly: run from the sources, Electron would call the app "Electron". On Linux this is
// ~/.config/kvm-chaos, where the CLI keeps its hosts.json too (one list of hosts for both).
app.setName('kvm-chaos');
app.setPath(
  'userData',
  process.env.KVM_CHAOS_USER_DATA ?? join(app.getPath('appData'), 'kvm-chaos'),
);
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

// A development server for the renderer (`vite` in renderer/), only in a build from source.
const devServer = app.isPackaged ? undefined : process.env.KVM_CHAOS_RENDERER_URL;
const pageOrigin = devServer ? (originOf(devServer) ?? APP_ORIGIN) : APP_ORIGIN;
const csp = contentSecurityPolicy(devServer ? pageOrigin : undefined);

function log(message: string) {
  console.error(`kvm-chaos: ${message}`);
}

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the window (and the engine); it focuses itself on `second-instance`.
  app.quit();
} else {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`could not start: ${message}`);
    dialog.showErrorBox('kvm-chaos could not start', message);
    app.exit(1);
  });
}

async function main(): Promise<void> {
  await app.whenReady();

  const files = appFiles(app.getPath('userData'));
  const onProblem = (p: { path: string; message: string; movedTo: string }) =>
    log(`${p.path} was unreadable (${p.message}); kept as ${p.movedTo}`);
  let settings: AppSettings = await loadSettings(files.settings, onProblem);

  const engine = await createEngine({
    profiles: fileProfiles(files.hosts),
    knownHostsPath: knownHostsPath(settings, {
      userData: app.getPath('userData'),
      home: app.getPath('home'),
    }),
    autoLocal: true,
    face: 'app',
    keepPromises: true,
  });

  const ses = session.defaultSession;
  denyPermissions(ses);
  enforceCsp(ses, csp);
  protocol.handle(APP_SCHEME, appProtocolHandler(paths.renderer, csp));
  app.on('web-contents-created', (_event, contents) =>
    guardWebContents(contents, {
      allowedOrigin: pageOrigin,
      openExternal: (url) => void shell.openExternal(url),
    }),
  );

  const win = new BrowserWindow(
    windowOptions({ preload: paths.preload, devTools: !app.isPackaged, icon: paths.icon }),
  );
  const contents = win.webContents;
  const trusted = appSender(() => (win.isDestroyed() ? null : contents.id), pageOrigin);

  const relay = new EventRelay(
    (event) => {
      if (!contents.isDestroyed()) contents.send(IPC_EVENT_CHANNEL, event);
    },
    1000,
    (event) => log(`dropped an engine event outside the contract: ${JSON.stringify(event)}`),
  );
  const onReady = (event: IpcMainEvent) => {
    if (trusted(event)) relay.markReady();
  };
  ipcMain.on(IPC_READY_CHANNEL, onReady);
  contents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) relay.markNotReady();
  });
  const unregisterCalls = registerCallHandlers(ipcMain, engine, trusted);

  // The title (and the About box) follow the hosts; the page has its own, ours wins.
  win.on('page-title-updated', (event) => event.preventDefault());
  const hosts = async () => {
    const answer = await engine['hosts.list']({});
    return answer.ok ? answer.value : [];
  };
  const refreshTitle = async () => {
    const title = windowTitle(await hosts());
    if (!win.isDestroyed()) win.setTitle(title);
  };
  const unsubscribe = engine.subscribe((event) => {
    relay.push(event);
    if (event.type === 'host.state' || event.type === 'hosts.changed') void refreshTitle();
  });
  void refreshTitle();

  const versions = {
    // Stamped by the build; a run from the sources (the unit test) asks Electron.
    app: typeof __KVM_CHAOS_VERSION__ === 'string' ? __KVM_CHAOS_VERSION__ : app.getVersion(),
    electron: process.versions.electron ?? 'unknown',
    chrome: process.versions.chrome ?? 'unknown',
    node: process.versions.node,
  };
  const sendCommand = (command: MenuCommand) => {
    if (relay.ready) contents.send(IPC_MENU_CHANNEL, command);
  };
  const buildMenu = () =>
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate(
          {
            command: sendCommand,
            about: () =>
              void hosts().then((h) => dialog.showMessageBox(win, aboutBox(versions, h))),
            useUserKnownHosts: settings.knownHosts === 'user',
            setUseUserKnownHosts: (use) => void changeKnownHosts(use ? 'user' : 'app'),
            devTools: !app.isPackaged,
          },
          process.platform,
        ),
      ),
    );
  buildMenu();

  // The engine reads known_hosts' path once: a change takes a restart, offered at once.
  async function changeKnownHosts(choice: AppSettings['knownHosts']) {
    settings = { ...settings, knownHosts: choice };
    await saveSettings(files.settings, settings);
    buildMenu();
    const { response } = await dialog.showMessageBox(win, {
      type: 'question',
      message: 'Restart kvm-chaos to use the new known_hosts?',
      detail:
        choice === 'user'
          ? 'Host keys will be checked against ~/.ssh/known_hosts, and keys you accept added to it.'
          : `Host keys will be checked against ${files.knownHosts}.`,
      buttons: ['Restart Now', 'Later'],
      defaultId: 0,
      cancelId: 1,
    });
    if (response === 0) {
      app.relaunch();
      app.quit();
    }
  }

  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  });
  win.once('ready-to-show', () => win.show());
  app.on('window-all-closed', () => app.quit());

  // Closing the engine ends connections and timers; the cuts stay on the hosts (by design).
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    unsubscribe();
    unregisterCalls();
    ipcMain.removeListener(IPC_READY_CHANNEL, onReady);
    engine
      .close()
      .catch((error: unknown) => log(`closing the engine: ${error}`))
      .finally(() => {
        closed = true;
        app.quit();
      });
  });

  await win.loadURL(devServer ?? `${APP_ORIGIN}/index.html`);
}
