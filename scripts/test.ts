// `npm test`: every test. As root on Linux it brings the lab up (idempotent, quick when it is
// already up) and runs all projects inside the lab's namespace. Elsewhere it runs the unit
// project and says in one line why the lab suites did not run; with CI=true that is a failure.
import { spawnSync } from 'node:child_process';
import { LAB_LOCK, NAMESPACE } from '../lab/config';

const args = process.argv.slice(2);
const ci = process.env.CI === 'true' || process.env.CI === '1';
const canRunLab = process.platform === 'linux' && process.getuid?.() === 0;

function run(cmd: string, argv: string[]): number {
  const r = spawnSync(cmd, argv, { stdio: 'inherit' });
  return r.status ?? 1;
}

if (!canRunLab) {
  const why = `the lab suites need root on Linux (this is ${process.platform}, uid ${process.getuid?.() ?? 'n/a'})`;
  if (ci) {
    console.error(`test: CI=true but ${why}: refusing to skip them`);
    process.exit(1);
  }
  console.log(`test: lab suites skipped: ${why}`);
  process.exit(run('npx', ['vitest', 'run', '--project', 'unit', ...args]));
}

// The e2e suites drive the built UI.
if (run('npx', ['vite', 'build', '-c', 'renderer/vite.config.ts', '--logLevel', 'error']) !== 0) {
  console.error('test: the UI did not build; no test ran');
  process.exit(1);
}
// Suites spawn bin/kvm-chaos.js side by side: a bundle built once here spares each a rebuild.
if (run(process.execPath, ['scripts/cli-bundle.mjs']) !== 0) {
  console.error('test: the CLI did not build; no test ran');
  process.exit(1);
}
const upCode = run('npx', ['tsx', 'lab/cli.ts', 'up']);
if (upCode !== 0) {
  console.error('test: the lab did not come up (see above); no test ran');
  process.exit(upCode);
}
// One lab, one test run at a time: anything else that changes the lab takes the same lock.
process.exit(
  run('flock', [LAB_LOCK, 'ip', 'netns', 'exec', NAMESPACE, 'npx', 'vitest', 'run', ...args]),
);
