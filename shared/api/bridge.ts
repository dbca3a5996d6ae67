import type { CallName } from './calls';
import type { ChaosEventListener, Unsubscribe } from './chaos-api';
import type { Invoke } from './wire';

// window.kvmChaos: what the Electron preload exposes to the page. This file imports types only:
// the sandboxed preload bundles it, and anything with a value import (zod, the schemas) would
// ride along into every page.
//
// In the renderer: `createRemoteApi(window.kvmChaos.invoke, window.kvmChaos.onEvent)` gives the
// typed, validated ChaosApi, exactly as over the WebSocket.

/** The page is ready for events (sent by the preload when the page first subscribes). */
export const IPC_READY_CHANNEL = 'chaos:ready';
/** Native menu items, main -> page: one MenuCommand per message. */
export const IPC_MENU_CHANNEL = 'chaos:menu';

/** The channel of one call. The same string as wire.ts's ipcChannel (a unit test holds them together). */
export function bridgeChannel(name: CallName): `chaos:${CallName}` {
  return `chaos:${name}`;
}
/** The same string as wire.ts's IPC_EVENT_CHANNEL. */
export const BRIDGE_EVENT_CHANNEL = 'chaos:event';

/** Every call of the contract, without importing the schemas (checked against CallName below). */
export const BRIDGE_CALL_NAMES = [
  'hosts.list',
  'hosts.add',
  'hosts.remove',
  'hosts.connect',
  'hosts.disconnect',
  'hostKey.answer',
  'passphrase.answer',
  'inventory.get',
  'chaos.apply',
  'chaos.heal',
  'chaos.undo',
  'protection.set',
  'protection.clear',
  'presets.list',
  'guests.labels',
  'bindings.xml',
  'filters.tree',
  'chaos.repair',
  'activity.list',
  'activity.export',
  'scenario.plan',
  'scenario.start',
  'scenario.control',
  'scenario.runs',
  'traffic.watch',
  'segments.list',
  'segments.join',
  'segments.split',
] as const satisfies readonly CallName[];

type MissingCall = Exclude<CallName, (typeof BRIDGE_CALL_NAMES)[number]>;
// Fails to compile when a call is added to calls.ts and not here.
const everyCallListed: [MissingCall] extends [never] ? true : MissingCall = true;
void everyCallListed;

/**
 * The app's commands with their shortcuts, in Electron's accelerator syntax. The page handles the
 * keys itself (it must in browser mode too); the native menu shows them and sends the command
 * when clicked, so a key is never handled twice and typing in a field is never taken over.
 */
export const MENU_COMMANDS = {
  'tool.knife': { label: 'Knife', accelerator: 'K' },
  'chaos.healAll': { label: 'Heal All', accelerator: 'CmdOrCtrl+Shift+H' },
  'chaos.undo': { label: 'Undo Last Cut', accelerator: 'CmdOrCtrl+Z' },
  'inspector.toggle': { label: 'Binding Inspector', accelerator: 'I' },
  'inventory.reload': { label: 'Reload Inventory', accelerator: 'CmdOrCtrl+R' },
  'view.projector': { label: 'Projector Mode', accelerator: 'P' },
} as const;
export type MenuCommand = keyof typeof MENU_COMMANDS;
export type MenuCommandListener = (command: MenuCommand) => void;

export function isMenuCommand(value: unknown): value is MenuCommand {
  return typeof value === 'string' && Object.hasOwn(MENU_COMMANDS, value);
}

/** window.kvmChaos, in Electron only (its absence means browser mode: use the WebSocket). */
export interface KvmChaosBridge {
  /** One call of the contract; resolves to a Result, never rejects for an unknown name. */
  invoke: Invoke;
  /** Engine events, in order; the first subscription tells the main process the page is ready. */
  onEvent(listener: ChaosEventListener): Unsubscribe;
  /** Commands from the native menu. */
  onMenuCommand(listener: MenuCommandListener): Unsubscribe;
}

declare global {
  interface Window {
    kvmChaos?: KvmChaosBridge;
  }
}
