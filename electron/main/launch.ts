// `npm start` and `npm run start:electron`: starts the desktop app from a build of the sources
// (out/), with the Electron binary the `electron` package installed. Where that binary is missing
// (these build machines cannot download it) it says so in one line, and with --or-serve starts
// the browser mode (`kvm-chaos serve`) instead. Each mode builds only what it runs: the UI when
// it is older than its sources, the Electron main and preload only for the desktop app (the CLI
// bundle is kept fresh by bin/kvm-chaos.js). Plain Node: nothing here runs inside Electron.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

export type ElectronBinary = { found: true; path: string } | { found: false; why: string };

/**
 * Where `require('electron')` would point, without its side effect: when the binary is missing,
 * the package's index.js starts downloading it, which a launcher or a test must not do unasked
 * (and which cannot work on machines without internet access).
 */
export function electronBinary(root = ROOT, env = process.env): ElectronBinary {
  const pkg = join(root, 'node_modules', 'electron');
  if (!existsSync(join(pkg, 'package.json'))) {
    return { found: false, why: 'the electron package is not installed (run npm install)' };
  }
  const pathFile = join(pkg, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const path = env.ELECTRON_OVERRIDE_DIST_PATH
    ? join(env.ELECTRON_OVERRIDE_DIST_PATH, relative ?? 'electron')
    : relative && join(pkg, 'dist', relative);
  if (!path) {
    return {
      found: false,
      why: "Electron's binary is not downloaded (the electron package fetches it on demand): run `npx install-electron`, which needs internet access",
    };
  }
  if (!existsSync(path)) return { found: false, why: `Electron's binary is missing at ${path}` };
  return { found: true, path };
}

export const MAIN_ENTRY = join(ROOT, 'out', 'main', 'index.js');
const UI_INDEX = join(ROOT, 'renderer', 'dist', 'index.html');

function newestUnder(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestUnder(join(path, entry)));
  }
  return newest;
}

/** Why renderer/dist must be built (missing, or older than the renderer's or shared sources), or null. */
export function uiStale(root = ROOT): string | null {
  const index = join(root, 'renderer', 'dist', 'index.html');
  if (!existsSync(index)) return 'renderer/dist is missing';
  const built = statSync(index).mtimeMs;
  const newer = ['renderer', 'shared', 'package-lock.json'].find(
    (p) => existsSync(join(root, p)) && newestUnder(join(root, p)) > built,
  );
  return newer ? `renderer/dist is older than ${newer}` : null;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
    child.on('error', (error) => {
      console.error(`start: ${command}: ${error.message}`);
      done(1);
    });
  });
}

async function buildUiIfStale(): Promise<number> {
  const why = uiStale();
  if (!why) return 0;
  console.error(`start: building the UI (${why})`);
  return run('npm', ['run', '-s', 'build:renderer', '--', '--logLevel', 'error'], process.env);
}

async function main(args: string[]): Promise<number> {
  const binary = electronBinary();
  if (!binary.found) {
    if (!args.includes('--or-serve')) {
      console.error(`start: cannot start the desktop app: ${binary.why}`);
      return 1;
    }
    console.error(`start: ${binary.why}; starting the browser mode instead (kvm-chaos serve)`);
    const built = await buildUiIfStale();
    if (built !== 0) return built;
    return run(process.execPath, [join(ROOT, 'bin', 'kvm-chaos.js'), 'serve'], process.env);
  }
  const built =
    (await buildUiIfStale()) || (await run('npm', ['run', '-s', 'build:electron'], process.env));
  if (built !== 0) return built;
  for (const [file, build] of [
    [MAIN_ENTRY, 'npm run build:electron'],
    [UI_INDEX, 'npm run build:renderer'],
  ] as const) {
    if (!existsSync(file)) {
      console.error(`start: ${file} is missing: run '${build}' first`);
      return 1;
    }
  }
  // Electron started as plain Node would not open a window.
  const { ELECTRON_RUN_AS_NODE: _, ...env } = process.env;
  return run(binary.path, [MAIN_ENTRY, ...args.filter((a) => a !== '--or-serve')], env);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
