import { join } from 'node:path';
import { z } from 'zod';
import { type JsonFileProblem, readJsonFile, writeJsonFile } from './json-file';

// The desktop app's own preferences, in <userData>/settings.json.

export const AppSettings = z.strictObject({
  /**
   * Which known_hosts the engine trusts and appends accepted keys to: the app's own file in its
   * data folder (the default: the app never edits the user's OpenSSH files unasked), or the
   * user's ~/.ssh/known_hosts (keys OpenSSH already trusts are trusted without a prompt).
   */
  knownHosts: z.enum(['app', 'user']),
});
export type AppSettings = z.infer<typeof AppSettings>;

export const DEFAULT_SETTINGS: AppSettings = { knownHosts: 'app' };

export function loadSettings(
  path: string,
  onProblem: (problem: JsonFileProblem) => void,
): Promise<AppSettings> {
  return readJsonFile(path, AppSettings, DEFAULT_SETTINGS, onProblem);
}

export async function saveSettings(path: string, settings: AppSettings): Promise<void> {
  await writeJsonFile(path, AppSettings.parse(settings));
}

/** The files the desktop app keeps in its data folder. */
export function appFiles(userData: string) {
  return {
    hosts: join(userData, 'hosts.json'),
    settings: join(userData, 'settings.json'),
    knownHosts: join(userData, 'known_hosts'),
  };
}

export function knownHostsPath(
  settings: AppSettings,
  dirs: { userData: string; home: string },
): string {
  return settings.knownHosts === 'user'
    ? join(dirs.home, '.ssh', 'known_hosts')
    : appFiles(dirs.userData).knownHosts;
}
