import { join } from 'node:path';

// Where the built app finds its parts, relative to the built main process (out/main/index.js).
// The same layout holds in the repository and inside the packaged app.asar; packaging.test.ts
// checks it against the build configs and electron-builder's file list.

export function appPaths(mainDir: string) {
  return {
    preload: join(mainDir, '..', 'preload', 'index.cjs'),
    renderer: join(mainDir, '..', '..', 'renderer', 'dist'),
    icon: join(mainDir, '..', '..', 'assets', 'icon.png'),
  };
}
