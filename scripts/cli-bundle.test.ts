import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  cp,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The `kvm-chaos` command runs a bundle (scripts/cli-bundle.mjs), not TypeScript through tsx.
// Each case works on a copy of the sources, so the tree's own dist/ is never touched.

const ROOT = resolve(import.meta.dirname, '..');
let copy: string;
const made: string[] = [];

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'kvm-chaos-bundle-'));
  for (const dir of ['bin', 'electron', 'shared', 'scripts'])
    await cp(join(ROOT, dir), join(copy, dir), { recursive: true });
  await cp(join(ROOT, 'package.json'), join(copy, 'package.json'));
  await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const built = spawnSync(process.execPath, ['scripts/cli-bundle.mjs'], {
    cwd: copy,
    encoding: 'utf8',
  });
  expect(built.status, built.stderr).toBe(0);
}, 60_000);
afterAll(async () => {
  for (const dir of [copy, ...made]) await rm(dir, { recursive: true, force: true });
});

const kvmChaos = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, ['bin/kvm-chaos.js', ...args], { cwd, encoding: 'utf8' });

/** A project root whose node_modules holds only what `npm ci --omit=dev` would install. */
async function runtimeOnly(): Promise<string> {
  // Outside the copy, whose node_modules (all of them) Node would find by walking up.
  const root = await mkdtemp(join(tmpdir(), 'kvm-chaos-runtime-'));
  made.push(root);
  await mkdir(join(root, 'node_modules', '@types'), { recursive: true });
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    const name = path.replace(/^node_modules\//, '');
    if (!path.startsWith('node_modules/') || name.includes('/node_modules/') || entry.dev) continue;
    await mkdir(join(root, 'node_modules', name, '..'), { recursive: true });
    await symlink(join(ROOT, path), join(root, 'node_modules', name));
  }
  // The sources too, dated as they were: the command checks the bundle is not older.
  for (const dir of ['bin', 'scripts', 'electron', 'shared', 'dist'])
    await cp(join(copy, dir), join(root, dir), { recursive: true, preserveTimestamps: true });
  return root;
}

describe('the kvm-chaos bundle', () => {
  it('runs with only the runtime dependencies installed: no tsx, no build tools', async () => {
    const root = await runtimeOnly();
    for (const tool of ['tsx', 'esbuild', 'vite', 'react'])
      expect(
        spawnSync(process.execPath, ['-p', `require.resolve('${tool}')`], { cwd: root }).status,
      ).not.toBe(0);
    const r = kvmChaos(root, '--help');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: kvm-chaos');
    expect(r.stderr).toBe('');
    const bundle = await readFile(join(root, 'dist', 'cli', 'kvm-chaos.cjs'), 'utf8');
    expect(bundle).not.toMatch(/from ['"]tsx|import\(['"]tsx|require\(['"]tsx/);
  });

  it('is run as it is when fresh, and rebuilt first (saying so once) when a source is newer', async () => {
    const fresh = kvmChaos(copy, '--help');
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(fresh.stderr).toBe('');

    // An edit that changes what the command prints, made after the build (dated back, so the
    // two cannot share a clock tick).
    const main = join(copy, 'electron', 'cli', 'main.ts');
    const source = await readFile(main, 'utf8');
    const edited = source.replace(
      "'list guests with their interfaces",
      "'EDITED: list guests with their interfaces",
    );
    expect(edited).not.toBe(source);
    await writeFile(main, edited);
    const earlier = new Date(Date.now() - 60_000);
    await utimes(join(copy, 'dist', 'cli', 'kvm-chaos.cjs'), earlier, earlier);

    const rebuilt = kvmChaos(copy, '--help');
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(rebuilt.stderr).toMatch(
      /^kvm-chaos: rebuilding dist\/cli\/kvm-chaos\.cjs \(older than \S+\.ts\)\n$/,
    );
    expect(rebuilt.stdout).toContain('EDITED: list guests');

    const again = kvmChaos(copy, '--help');
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain('EDITED: list guests');
  }, 60_000);

  it('is built when missing', async () => {
    await rm(join(copy, 'dist'), { recursive: true, force: true });
    const r = kvmChaos(copy, '--help');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('kvm-chaos: rebuilding dist/cli/kvm-chaos.cjs (missing)\n');
  }, 60_000);

  it('writes its code cache on the first run after a build, and runs from it after', async () => {
    const cache = join(copy, 'dist', 'cli', 'kvm-chaos.cjs.cache');
    const built = spawnSync(process.execPath, ['scripts/cli-bundle.mjs'], { cwd: copy });
    expect(built.status).toBe(0);
    expect(existsSync(cache)).toBe(false);
    expect(kvmChaos(copy, '--help').status).toBe(0);
    const written = await stat(cache);
    expect(written.size).toBeGreaterThan(0);
    const r = kvmChaos(copy, '--help');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: kvm-chaos');
    // Accepted, so not written again.
    expect((await stat(cache)).mtimeMs).toBe(written.mtimeMs);
  }, 60_000);
});
