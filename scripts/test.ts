// `npm test`: every test. As root on Linux it brings the lab up (idempotent, quick when it is
// already up) and runs the unit and lab projects inside the lab's namespace; when they pass, it
// adds the lab's second libvirt host (`up --hosts 2`) and runs the hosts project there. Elsewhere
// it runs the unit project and says in one line why the lab suites did not run; with CI=true that
// is a failure.
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
// One lab, one writer: bringing it up (or changing its hosts) and each test run hold the lock.
const upCode = run('flock', [LAB_LOCK, 'npx', 'tsx', 'lab/cli.ts', 'up']);
if (upCode !== 0) {
  console.error('test: the lab did not come up (see above); no test ran');
  process.exit(upCode);
}
const inLab = ['ip', 'netns', 'exec', NAMESPACE, 'npx', 'vitest', 'run'];
// A file filter may name suites of one phase only: the other then has nothing to run.
const filtered = args.some((a) => !a.startsWith('-'));
const passEmpty = filtered ? ['--passWithNoTests'] : [];
const single = run('flock', [
  LAB_LOCK,
  ...inLab,
  '--project',
  'unit',
  '--project',
  'lab',
  ...passEmpty,
  ...args,
]);
if (single !== 0) process.exit(single);
// A filter that cannot match a *.hosts.test.ts file spares adding host 2.
if (filtered && !args.some((a) => !a.startsWith('-') && a.includes('hosts'))) process.exit(0);
// The cross-host suites: host 2 joins the lab (host 1 keeps running) and stays until the next
// plain `up`. Under one lock, so nothing changes the lab between the two.
process.exit(
  run('flock', [
    LAB_LOCK,
    'sh',
    '-c',
    'npx tsx lab/cli.ts up --hosts 2 && exec "$@"',
    'sh',
    ...inLab,
    '--project',
    'hosts',
    ...passEmpty,
    ...args,
  ]),
);
