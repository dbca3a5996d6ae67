// `npm run bench -- <name>`: runs the benchmark file named <name>.bench.ts. Benchmarks that use
// the lab run inside its namespace (root, Linux); each prints its own ratios against a baseline
// measured in the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { NAMESPACE } from '../lab/config';

const name = process.argv[2];
const roots = ['shared', 'electron', 'renderer', 'lab', 'e2e'];

function benches(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...benches(p));
    else if (entry.endsWith('.bench.ts')) out.push(p);
  }
  return out;
}

const all = roots.flatMap((r) => {
  try {
    return benches(r);
  } catch {
    return [];
  }
});
const pick = all.find((p) => p.endsWith(`/${name}.bench.ts`));
if (!name || !pick) {
  console.error(
    `usage: npm run bench -- <name>; available: ${all.map((p) => p.split('/').pop()?.replace('.bench.ts', '')).join(', ') || 'none'}`,
  );
  process.exit(2);
}
const inLab = process.platform === 'linux' && process.getuid?.() === 0;
const argv = ['tsx', relative(process.cwd(), pick), ...process.argv.slice(3)];
const r = inLab
  ? spawnSync('ip', ['netns', 'exec', NAMESPACE, 'npx', ...argv], { stdio: 'inherit' })
  : spawnSync('npx', argv, { stdio: 'inherit' });
process.exit(r.status ?? 1);
