// `npm run start:electron`: starts the desktop app from a build of the sources (out/), with the
// Electron binary the `electron` package installed. Where that binary is missing (these build
// machines cannot download it) it says so in one line, and with --or-serve starts the browser
// mode (`npm run serve`) instead. Plain Node: nothing here runs inside Electron.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

async function main(args: string[]): Promise<number> {
  const binary = electronBinary();
  if (!binary.found) {
    if (!args.includes('--or-serve')) {
      console.error(`start: cannot start the desktop app: ${binary.why}`);
      return 1;
    }
    console.error(`start: ${binary.why}; starting the browser mode instead (npm run serve)`);
    return run('npm', ['run', 'serve'], process.env);
  }
  for (const [file, build] of [
    [MAIN_ENTRY, 'npm run build:electron'],
    [join(ROOT, 'renderer', 'dist', 'index.html'), 'npm run build:renderer'],
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
