import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { electronBinary, uiStale } from './launch';

// Where the Electron binary is, as `require('electron')` would say, without downloading it. The
// e2e smoke test and `npm run start:electron` both decide by this.

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kvm-chaos-launch-'));
  dirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

const PKG = 'node_modules/electron/package.json';

describe('electronBinary', () => {
  it('finds the binary the electron package recorded in path.txt', async () => {
    const root = await project({
      [PKG]: '{}',
      'node_modules/electron/path.txt': 'electron',
      'node_modules/electron/dist/electron': '',
    });
    expect(electronBinary(root, {})).toEqual({
      found: true,
      path: join(root, 'node_modules/electron/dist/electron'),
    });
  });

  it('says why when there is none', async () => {
    expect(electronBinary(await project({}), {})).toMatchObject({
      found: false,
      why: expect.stringContaining('npm install'),
    });
    expect(electronBinary(await project({ [PKG]: '{}' }), {})).toMatchObject({
      found: false,
      why: expect.stringContaining('npx install-electron'),
    });
    const recorded = await project({ [PKG]: '{}', 'node_modules/electron/path.txt': 'electron' });
    expect(electronBinary(recorded, {})).toMatchObject({
      found: false,
      why: expect.stringContaining('missing at'),
    });
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH as the electron package does', async () => {
    const root = await project({ [PKG]: '{}', 'custom/electron': '' });
    expect(electronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: join(root, 'custom') })).toEqual({
      found: true,
      path: join(root, 'custom', 'electron'),
    });
  });
});

describe('uiStale', () => {
  it('builds the UI when it is missing or older than a renderer or shared source, not otherwise', async () => {
    const root = await project({
      'renderer/src/App.tsx': '',
      'shared/api/calls.ts': '',
      'renderer/dist/index.html': '',
    });
    const at = (path: string, seconds: number) =>
      utimes(join(root, path), new Date(seconds * 1000), new Date(seconds * 1000));
    for (const dir of ['renderer/src', 'renderer', 'shared/api', 'shared']) await at(dir, 100);
    await at('renderer/src/App.tsx', 100);
    await at('shared/api/calls.ts', 100);
    await at('renderer/dist/index.html', 200);
    expect(uiStale(root)).toBeNull();
    await at('shared/api/calls.ts', 300);
    expect(uiStale(root)).toBe('renderer/dist is older than shared');
    await rm(join(root, 'renderer/dist'), { recursive: true });
    expect(uiStale(root)).toBe('renderer/dist is missing');
  });
});
