import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import type { HostSummary } from '../../shared/api';
import { MENU_COMMANDS, type MenuCommand } from '../../shared/api/bridge';
import { HostId } from '../../shared/api/values';
import { aboutBox, type MenuActions, menuTemplate, windowTitle } from './menu';

function actions(overrides: Partial<MenuActions> = {}) {
  return {
    command: vi.fn<(c: MenuCommand) => void>(),
    about: vi.fn(),
    useUserKnownHosts: false,
    setUseUserKnownHosts: vi.fn<(use: boolean) => void>(),
    devTools: false,
    ...overrides,
  };
}

/** Every item of a template, submenus included. */
function items(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.flatMap((item) => [
    item,
    ...(Array.isArray(item.submenu) ? items(item.submenu) : []),
  ]);
}

const click = (item: MenuItemConstructorOptions | undefined, checked = false) =>
  item?.click?.({ checked } as never, undefined, {} as never);

describe('menu', () => {
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    it(`offers every app command with its shortcut on ${platform}`, () => {
      const a = actions();
      const all = items(menuTemplate(a, platform));
      for (const [command, { label, accelerator }] of Object.entries(MENU_COMMANDS)) {
        const item = all.find((i) => i.id === command);
        expect(item, command).toMatchObject({ label, accelerator, registerAccelerator: false });
        click(item);
        expect(a.command).toHaveBeenLastCalledWith(command);
      }
      expect(a.command).toHaveBeenCalledTimes(Object.keys(MENU_COMMANDS).length);
      click(all.find((i) => i.id === 'about'));
      expect(a.about).toHaveBeenCalledTimes(1);
      expect(all.some((i) => i.role === 'quit')).toBe(true);
    });
  }

  it('has no developer tools in a packaged app', () => {
    expect(items(menuTemplate(actions(), 'linux')).some((i) => i.role === 'toggleDevTools')).toBe(
      false,
    );
    const dev = items(menuTemplate(actions({ devTools: true }), 'linux'));
    expect(dev.some((i) => i.role === 'toggleDevTools')).toBe(true);
  });

  it('leaves Ctrl/Cmd+Z to the page (no undo role fighting "undo last cut")', () => {
    const all = items(menuTemplate(actions(), 'darwin'));
    expect(all.filter((i) => i.accelerator === 'CmdOrCtrl+Z').map((i) => i.id)).toEqual([
      'chaos.undo',
    ]);
    expect(all.some((i) => i.role === 'undo')).toBe(false);
  });

  it('switches which known_hosts the app trusts', () => {
    const a = actions({ useUserKnownHosts: true });
    const item = items(menuTemplate(a, 'linux')).find((i) => i.id === 'known-hosts.user');
    expect(item).toMatchObject({ type: 'checkbox', checked: true });
    click(item, false);
    expect(a.setUseUserKnownHosts).toHaveBeenCalledWith(false);
  });
});

const since = 1_764_000_000_000;
function host(id: string, state: HostSummary['status']['state'], extra: Partial<HostSummary> = {}) {
  const hostId = HostId.parse(id);
  return {
    id: hostId,
    uri: `ssh://${id}`,
    label: '',
    auth: { method: 'agent' },
    status: { hostId, state, since },
    ...extra,
  } satisfies HostSummary;
}

describe('about box', () => {
  const versions = { app: '0.1.0', electron: '45.5.0', chrome: '142.0.1', node: '22.20.0' };

  it('shows the app, Electron and libvirt of each connected host', () => {
    const box = aboutBox(versions, [
      host('root@kvm1:22', 'connected', { label: 'kvm1', libvirtVersion: '9.0.0' }),
      host('lab', 'connected', { hostname: 'kvmchaos-lab', libvirtVersion: '11.3.0' }),
      host('root@kvm2:22', 'lost', { libvirtVersion: '8.0.0' }),
    ]);
    expect(box.message).toBe('kvm-chaos 0.1.0');
    expect(box.detail).toContain('Electron 45.5.0');
    expect(box.detail).toContain('libvirt 9.0.0 on kvm1');
    expect(box.detail).toContain('libvirt 11.3.0 on kvmchaos-lab');
    expect(box.detail).not.toContain('8.0.0');
  });

  it('says when no host is connected', () => {
    expect(aboutBox(versions, [host('lab', 'connecting')]).detail).toContain(
      'libvirt: no host connected',
    );
  });
});

describe('window title', () => {
  it('names the connected hosts', () => {
    expect(windowTitle([host('root@kvm1:22', 'connected', { label: 'kvm1' })])).toBe(
      'kvm-chaos — kvm1',
    );
    expect(
      windowTitle([
        host('a', 'connected', { label: 'kvm1', hostname: 'kvm1.example' }),
        host('b', 'connected', { hostname: 'kvm2' }),
        host('c', 'disconnected'),
      ]),
    ).toBe('kvm-chaos — kvm1 (kvm1.example), kvm2');
  });

  it('says what happens when none is connected', () => {
    expect(windowTitle([])).toBe('kvm-chaos — no host connected');
    expect(windowTitle([host('root@kvm1:22', 'reconnecting')])).toBe(
      'kvm-chaos — connecting to ssh://root@kvm1:22…',
    );
    expect(windowTitle([host('lab', 'lost'), host('x', 'disconnected')])).toBe(
      'kvm-chaos — connection lost',
    );
  });
});
