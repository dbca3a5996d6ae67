// Runs first in `npm start` and `npm test`, so a fresh clone needs no `npm ci` beforehand: when
// node_modules is missing it runs `npm ci`, when it is older than package-lock.json (a pull that
// changed dependencies) `npm install`, each saying so in one line; otherwise nothing (one stat).
// Plain JavaScript with Node's modules only: nothing else is installed yet when it runs.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, utimesSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
// npm writes this after every install: the time node_modules last matched a lockfile.
const installed = join(root, 'node_modules', '.package-lock.json');

const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : null);

function need() {
  if (!existsSync(join(root, 'node_modules'))) return ['ci', 'node_modules is missing'];
  const done = mtime(installed);
  if (done === null) return ['install', 'node_modules was not installed by npm'];
  if (done < (mtime(lock) ?? 0)) return ['install', 'package-lock.json is newer than node_modules'];
  return null;
}

const todo = need();
if (todo) {
  const [command, why] = todo;
  console.error(`${why}: running npm ${command} first`);
  const r = spawnSync('npm', [command, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`npm ${command} failed (exit ${r.status ?? r.signal}): nothing else ran`);
    process.exit(r.status || 1);
  }
  // npm may save package-lock.json after its own record: mark node_modules as matching it now.
  if (existsSync(installed)) {
    const now = new Date();
    utimesSync(installed, now, now);
  }
}
