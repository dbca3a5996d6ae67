// The `kvm-chaos` command as one built file: electron/cli/bin.ts and everything it imports,
// bundled by esbuild into dist/cli/kvm-chaos.cjs, so a start parses JavaScript once instead of
// compiling TypeScript (tsx) and resolving a few hundred modules. It runs through a V8 code
// cache (kvm-chaos.cjs.cache, written by the first run after a build), which spares a third of
// the start-up; hence CommonJS, the one format Node 20's vm can cache. Plain JavaScript, Node's
// modules only (esbuild is loaded when a build is needed): bin/kvm-chaos.js checks freshness
// and runs the bundle with it; `npm run build:cli` and `prepare` run it as a script.
import {
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRY = 'electron/cli/bin.ts';
const OUT = ['dist', 'cli'];
export const BUNDLE = join(ROOT, ...OUT, 'kvm-chaos.cjs');
/** Our source files the bundle was built from (esbuild's metafile), for the freshness check. */
const INPUTS = 'kvm-chaos.inputs.json';
const SELF = fileURLToPath(import.meta.url);

function relativeToRoot(path, root) {
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

/**
 * Why the bundle must be (re)built, or null when it is newer than every source it was built
 * from. Costs one stat per source file (a few milliseconds), never a directory walk: a new file
 * only matters once an existing source imports it, and that source is then newer.
 */
export function staleReason(root = ROOT) {
  let built;
  try {
    built = statSync(join(root, ...OUT, 'kvm-chaos.cjs')).mtimeMs;
  } catch {
    return 'missing';
  }
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(root, ...OUT, INPUTS), 'utf8'));
  } catch {
    return 'missing its list of sources';
  }
  for (const file of [...inputs, relativeToRoot(SELF, root)]) {
    let modified;
    try {
      modified = statSync(join(root, file)).mtimeMs;
    } catch {
      return `${file} is gone`;
    }
    if (modified > built) return `older than ${file}`;
  }
  return null;
}

/** Writes beside and renames into place: a process starting meanwhile never reads half a file. */
function replace(path, contents, stamp) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  if (stamp) utimesSync(tmp, stamp, stamp);
  renameSync(tmp, path);
}

/**
 * Builds the bundle, stamped with the time the build began, so a source saved during the build
 * still counts as newer.
 */
export async function buildCli(root = ROOT) {
  const began = new Date();
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // ssh2 loads optional native bindings (cpu-features, its crypto addon) by relative path.
    external: ['ssh2'],
    // As CommonJS: import() becomes require() (vm scripts have no module loader of their own),
    // import.meta.url the bundle's own URL.
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': '__kvmChaosUrl' },
    banner: { js: "var __kvmChaosUrl = require('node:url').pathToFileURL(__filename).href;" },
    outfile: join(...OUT, 'kvm-chaos.cjs'),
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  const dir = join(root, ...OUT);
  mkdirSync(dir, { recursive: true });
  const ours = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'));
  replace(join(dir, INPUTS), `${JSON.stringify(ours, null, 1)}\n`);
  for (const file of result.outputFiles) replace(file.path, file.contents, began);
  rmSync(join(dir, 'kvm-chaos.cjs.cache'), { force: true });
  return { ms: Date.now() - began.getTime(), sources: ours.length };
}

/**
 * Runs the bundle as Node would run a CommonJS module, compiled with the code cache when there
 * is one V8 accepts (same bundle, same Node); otherwise writes one at exit, with every function
 * this run compiled.
 */
export function runCli(bundle = BUNDLE) {
  const cacheFile = `${bundle}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    { filename: bundle, cachedData },
  );
  if (!cachedData || script.cachedDataRejected)
    process.once('exit', () => {
      try {
        replace(cacheFile, script.createCachedData());
      } catch {
        // A read-only install runs without the cache, only slower.
      }
    });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  const { ms, sources } = await buildCli();
  console.log(`built ${relativeToRoot(BUNDLE, ROOT)} from ${sources} sources in ${ms} ms`);
}
