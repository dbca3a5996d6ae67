import type { MenuItemConstructorOptions, MessageBoxOptions } from 'electron';
import type { HostSummary } from '../../shared/api';
import { MENU_COMMANDS, type MenuCommand } from '../../shared/api/bridge';

// The native menu, the About box and the window title, as plain data built from plain inputs.

export type MenuActions = {
  /** Sends a command to the page (knife, heal all, undo, inspector, reload inventory). */
  command(command: MenuCommand): void;
  about(): void;
  /** Whether the engine trusts ~/.ssh/known_hosts instead of the app's own file. */
  useUserKnownHosts: boolean;
  setUseUserKnownHosts(use: boolean): void;
  /** Developer tools in the View menu: builds from source only. */
  devTools: boolean;
};

function commandItem(actions: MenuActions, command: MenuCommand): MenuItemConstructorOptions {
  const { label, accelerator } = MENU_COMMANDS[command];
  return {
    id: command,
    label,
    accelerator,
    // The page handles the key itself (as it does in a browser); the menu only shows it.
    registerAccelerator: false,
    click: () => actions.command(command),
  };
}

export function menuTemplate(
  actions: MenuActions,
  platform: NodeJS.Platform,
): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const about: MenuItemConstructorOptions = {
    id: 'about',
    label: 'About kvm-chaos',
    click: () => actions.about(),
  };
  const knownHosts: MenuItemConstructorOptions = {
    id: 'known-hosts.user',
    label: 'Trust ~/.ssh/known_hosts',
    type: 'checkbox',
    checked: actions.useUserKnownHosts,
    click: (item) => actions.setUseUserKnownHosts(item.checked),
  };
  return [
    ...(mac
      ? [
          {
            label: 'kvm-chaos',
            submenu: [
              about,
              { type: 'separator' },
              knownHosts,
              { type: 'separator' },
              { role: 'services' },
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { role: 'unhide' },
              { type: 'separator' },
              { role: 'quit' },
            ],
          } satisfies MenuItemConstructorOptions,
        ]
      : [
          {
            label: '&File',
            submenu: [knownHosts, { type: 'separator' }, { role: 'quit' }],
          } satisfies MenuItemConstructorOptions,
        ]),
    {
      label: '&Edit',
      // No undo/redo roles: Ctrl/Cmd+Z is the page's "undo last cut" outside text fields.
      submenu: [{ role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
    },
    {
      label: '&Chaos',
      submenu: [
        commandItem(actions, 'tool.knife'),
        { type: 'separator' },
        commandItem(actions, 'chaos.healAll'),
        commandItem(actions, 'chaos.undo'),
      ],
    },
    {
      label: '&View',
      submenu: [
        commandItem(actions, 'inspector.toggle'),
        commandItem(actions, 'inventory.reload'),
        commandItem(actions, 'view.projector'),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        { role: 'forceReload', label: 'Reload Window', accelerator: 'CmdOrCtrl+Shift+R' },
        ...(actions.devTools ? [{ role: 'toggleDevTools' } as const] : []),
      ],
    },
    { role: 'windowMenu' },
    { label: '&Help', submenu: mac ? [] : [about] },
  ];
}

export type Versions = { app: string; electron: string; chrome: string; node: string };

/** The About box: the app's versions, and libvirt's on every connected host. */
export function aboutBox(versions: Versions, hosts: readonly HostSummary[]): MessageBoxOptions {
  const connected = hosts.filter((h) => h.status.state === 'connected');
  const libvirt =
    connected.length === 0
      ? ['libvirt: no host connected']
      : connected.map(
          (h) => `libvirt ${h.libvirtVersion ?? '(version unknown)'} on ${hostName(h)}`,
        );
  return {
    type: 'info',
    title: 'About kvm-chaos',
    message: `kvm-chaos ${versions.app}`,
    detail: [
      `Electron ${versions.electron}`,
      `Chromium ${versions.chrome}`,
      `Node.js ${versions.node}`,
      '',
      ...libvirt,
    ].join('\n'),
    buttons: ['OK'],
    noLink: true,
  };
}

function hostName(host: HostSummary): string {
  const shown = host.label || host.hostname || host.uri;
  return host.hostname && host.hostname !== shown ? `${shown} (${host.hostname})` : shown;
}

/** "kvm-chaos — kvm1": the connected hosts, or what the app is doing instead. */
export function windowTitle(hosts: readonly HostSummary[]): string {
  const connected = hosts.filter((h) => h.status.state === 'connected').map(hostName);
  if (connected.length > 0) return `kvm-chaos — ${connected.join(', ')}`;
  const busy = hosts.find((h) => ['connecting', 'reconnecting'].includes(h.status.state));
  if (busy) return `kvm-chaos — connecting to ${hostName(busy)}…`;
  if (hosts.some((h) => h.status.state === 'lost')) return 'kvm-chaos — connection lost';
  return 'kvm-chaos — no host connected';
}
