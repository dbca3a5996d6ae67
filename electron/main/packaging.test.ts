import type { Stats } from 'node:fs';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Configuration } from 'app-builder-lib';
import { FileMatcher } from 'app-builder-lib/out/fileMatcher';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import type { UserConfig } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import preloadBuild from '../preload/vite.config';
import { ROOT } from './launch';
import { appPaths } from './paths';
import mainBuild from './vite.config';

// electron-builder downloads Electron to package, which these machines cannot: its config is
// checked here instead, by electron-builder's own loader and schema validation, and against
// what the build writes and what the main process loads.

let config: Configuration;
beforeAll(async () => {
  config = await getConfig(ROOT, join(ROOT, 'electron-builder.yml'), null);
  await validateConfiguration(config, new DebugLogger(false));
});

function targets(platform: 'linux' | 'mac' | 'win'): string[] {
  const target = config[platform]?.target;
  const list = Array.isArray(target) ? target : target ? [target] : [];
  return list.map((t) => (typeof t === 'string' ? t : t.target));
}

/** Whether electron-builder would copy a file (path relative to the project) into the app. */
function packed(file: string): boolean {
  // getConfig normalises `files` to [{ filter: [...] }].
  const [files] = config.files as Array<{ filter: string[] }>;
  const matcher = new FileMatcher(ROOT, '/', (p) => p, files?.filter);
  const stat = { isDirectory: () => false } as Stats;
  return matcher.createFilter()(join(ROOT, file), stat);
}

/** Where a Vite build config writes its entry, relative to the project. */
function buildOutput(build: UserConfig): string {
  const output = build.build?.rollupOptions?.output;
  const entry = Array.isArray(output) ? undefined : output?.entryFileNames;
  if (typeof entry !== 'string' || !build.build?.outDir) throw new Error('no fixed entry name');
  return join(build.build.outDir, entry);
}

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own validation, with an app id', () => {
    expect(config.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){2,}$/);
    expect(config.productName).toBe('kvm-chaos');
  });

  it('builds AppImage and .deb for Linux, a dmg for macOS and an NSIS installer for Windows', () => {
    expect(targets('linux')).toEqual(['AppImage', 'deb']);
    expect(targets('mac')).toEqual(['dmg']);
    expect(targets('win')).toEqual(['nsis']);
    expect(config.linux?.maintainer).toMatch(/<.+@.+>/);
  });

  it('packs what the build writes and the main process loads, and no sources', () => {
    const main = buildOutput(mainBuild as UserConfig);
    const preload = buildOutput(preloadBuild as UserConfig);
    expect(config.extraMetadata?.main).toBe(main);
    const parts = appPaths(join(ROOT, 'out', 'main'));
    expect(relative(ROOT, parts.preload)).toBe(preload);
    for (const file of [
      main,
      preload,
      'package.json',
      join(relative(ROOT, parts.renderer), 'index.html'),
      join(relative(ROOT, parts.renderer), 'assets', 'index-abc123.js'),
      relative(ROOT, parts.icon),
    ]) {
      expect(packed(file), file).toBe(true);
    }
    for (const file of [
      'electron/main/index.ts',
      'shared/api/calls.ts',
      'renderer/src/main.tsx',
      'out/main/index.js.map',
      'lab/cli.ts',
      'e2e/electron.e2e.test.ts',
      '.ci/run',
    ]) {
      expect(packed(file), file).toBe(false);
    }
  });

  it('uses the app icon, a 512x512 PNG made from assets/icon.svg', () => {
    for (const platform of ['linux', 'mac', 'win'] as const) {
      expect(config[platform]?.icon, platform).toBe('assets/icon.png');
    }
    const png = readFileSync(join(ROOT, 'assets', 'icon.png'));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
    expect(existsSync(join(ROOT, 'assets', 'icon.svg'))).toBe(true);
  });

  it('locks a packaged app down with Electron’s fuses', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
    });
  });
});
