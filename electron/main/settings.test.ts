import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonFileProblem } from './json-file';
import { appFiles, DEFAULT_SETTINGS, knownHostsPath, loadSettings, saveSettings } from './settings';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-settings-'));
  dirs.push(dir);
  return dir;
}

describe('settings', () => {
  it('start from the defaults and survive a save', async () => {
    const dir = await tempDir();
    const path = join(dir, 'nested', 'settings.json');
    const problems: JsonFileProblem[] = [];
    expect(await loadSettings(path, (p) => problems.push(p))).toEqual(DEFAULT_SETTINGS);
    await saveSettings(path, { knownHosts: 'user' });
    expect(await loadSettings(path, (p) => problems.push(p))).toEqual({ knownHosts: 'user' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'nested'))).toEqual(['settings.json']);
    expect(problems).toEqual([]);
  });

  it('keep a damaged file aside instead of overwriting it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'settings.json');
    for (const text of ['{"knownHosts": "app"', '{"knownHosts": "everyone"}', '[]']) {
      await writeFile(path, text);
      const problems: JsonFileProblem[] = [];
      expect(await loadSettings(path, (p) => problems.push(p))).toEqual(DEFAULT_SETTINGS);
      expect(problems).toHaveLength(1);
      expect(await readFile(problems[0]?.movedTo ?? '', 'utf8')).toBe(text);
    }
  });

  it('refuse to save what is not a setting', async () => {
    const dir = await tempDir();
    await expect(
      saveSettings(join(dir, 's.json'), { knownHosts: 'all' as never }),
    ).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });

  it('choose the app’s own known_hosts unless the user’s is preferred', () => {
    const dirs = { userData: '/home/u/.config/kvm-chaos', home: '/home/u' };
    expect(knownHostsPath({ knownHosts: 'app' }, dirs)).toBe(
      '/home/u/.config/kvm-chaos/known_hosts',
    );
    expect(knownHostsPath({ knownHosts: 'user' }, dirs)).toBe('/home/u/.ssh/known_hosts');
    expect(appFiles(dirs.userData).hosts).toBe('/home/u/.config/kvm-chaos/hosts.json');
  });
});
