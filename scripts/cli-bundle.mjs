// The `kvm-chaos` command as one built file: electron/cli/bin.ts and everything it imports,
// bundled by esbuild into dist/cli/kvm-chaos.mjs, so a start parses JavaScript once instead of
// compiling TypeScript (tsx) and resolving a few hundred modules. Plain JavaScript, Node's
// modules only (esbuild is loaded when a build is needed): bin/kvm-chaos.js imports it to check
// freshness on every start, `npm run build` and `prepare` run it as a script.
import { mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRY = 'electron/cli/bin.ts';
export const BUNDLE = join(ROOT, 'dist', 'cli', 'kvm-chaos.mjs');
/** Our source files the bundle was built from (esbuild's metafile), for the freshness check. */
export const INPUTS = join(ROOT, 'dist', 'cli', 'kvm-chaos.inputs.json');
const SELF = fileURLToPath(import.meta.url);

/**
 * Why the bundle must be (re)built, or null when it is newer than every source it was built
 * from. Costs one stat per source file (a few milliseconds), never a directory walk: a new file
 * only matters once an existing source imports it, and that source is then newer.
 */
export function staleReason(root = ROOT) {
  const bundle = join(root, 'dist', 'cli', 'kvm-chaos.mjs');
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return 'missing';
  }
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(root, 'dist', 'cli', 'kvm-chaos.inputs.json'), 'utf8'));
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

function relativeToRoot(path, root) {
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

/**
 * Builds the bundle. Written beside and renamed into place, so processes starting at the same
 * time (parallel test suites) never run a half-written file; stamped with the time the build
 * began, so a source saved during the build still counts as newer.
 */
export async function buildCli(root = ROOT) {
  const began = new Date();
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // ssh2 loads optional native bindings (cpu-features, its crypto addon) by relative path.
    external: ['ssh2'],
    // Bundled CommonJS dependencies call require(): give the ES module one.
    banner: {
      js: "import { createRequire as __kvmChaosRequire } from 'node:module';\nconst require = __kvmChaosRequire(import.meta.url);",
    },
    outfile: relativeToRoot(join(root, 'dist', 'cli', 'kvm-chaos.mjs'), root),
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  const dir = join(root, 'dist', 'cli');
  mkdirSync(dir, { recursive: true });
  const tmp = `.${process.pid}.tmp`;
  const ours = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'));
  writeFileSync(join(dir, `kvm-chaos.inputs.json${tmp}`), `${JSON.stringify(ours, null, 1)}\n`);
  renameSync(join(dir, `kvm-chaos.inputs.json${tmp}`), join(dir, 'kvm-chaos.inputs.json'));
  for (const file of result.outputFiles) {
    writeFileSync(`${file.path}${tmp}`, file.contents);
    utimesSync(`${file.path}${tmp}`, began, began);
    renameSync(`${file.path}${tmp}`, file.path);
  }
  return { ms: Date.now() - began.getTime(), sources: ours.length };
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  const { ms, sources } = await buildCli();
  console.log(`built ${relativeToRoot(BUNDLE, ROOT)} from ${sources} sources in ${ms} ms`);
}
