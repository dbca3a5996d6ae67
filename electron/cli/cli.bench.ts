// `npm run bench -- cli` (issue 14, items 1 and 6): how long the `kvm-chaos` command takes from
// exec to exit, side by side with Node's own start and with virsh, in the same run and inside
// the lab's namespace: `node -e 0`, `kvm-chaos --help`, `virsh list --all` against `kvm-chaos
// guests` on the local socket, and the same two over ssh to the lab's sshd (lab.json's
// virshUri and sshUri). Each round runs every command once, in a rotated order so none always
// runs on a warmer cache; medians of BENCH_ROUNDS rounds (default 9), printed with the issue's
// goals as ratios. Asserts nothing. Needs the lab up (`npm run lab -- up`).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Table from 'cli-table3';
import { paths } from '../../lab/config';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = resolve(ROOT, 'bin', 'kvm-chaos.js');
const LOCAL = 'qemu:///system';

interface Lab {
  sshUri: string;
  virshUri: string;
}

type Name = 'node' | 'help' | 'virshLocal' | 'guestsLocal' | 'virshSsh' | 'guestsSsh';

function commands(lab: Lab): Record<Name, { label: string; argv: string[] }> {
  const node = process.execPath;
  return {
    node: { label: 'node -e 0', argv: [node, '-e', '0'] },
    help: { label: 'kvm-chaos --help', argv: [node, BIN, '--help'] },
    virshLocal: {
      label: 'virsh list --all (local)',
      argv: ['virsh', '-c', LOCAL, 'list', '--all'],
    },
    guestsLocal: { label: 'kvm-chaos guests (local)', argv: [node, BIN, '-c', LOCAL, 'guests'] },
    virshSsh: {
      label: 'virsh list --all (ssh)',
      argv: ['virsh', '-c', lab.virshUri, 'list', '--all'],
    },
    guestsSsh: { label: 'kvm-chaos guests (ssh)', argv: [node, BIN, '-c', lab.sshUri, 'guests'] },
  };
}

/** Wall time from spawn to exit, in ms; a failing command stops the bench (a fast error is no figure). */
function time(argv: string[]): number {
  const [cmd, ...args] = argv as [string, ...string[]];
  for (;;) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
    // Someone saved a source meanwhile: that start built the bundle, which is not what is timed.
    if (!r.stderr.startsWith('kvm-chaos: rebuilding')) return ms;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function main(): void {
  const lab = JSON.parse(readFileSync(paths.labJson, 'utf8')) as Lab;
  const all = commands(lab);
  const names = Object.keys(all) as Name[];
  // Warm-up round, untimed: rebuilds a stale bundle, fills the page cache, opens ssh's way in.
  for (const n of names) time(all[n].argv);
  const ms = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const n = names[(round + i) % names.length] as Name;
      ms[n].push(time(all[n].argv));
    }
  }
  const m = Object.fromEntries(names.map((n) => [n, median(ms[n])])) as Record<Name, number>;
  const ratio = (a: number, b: number) => a / b;
  const row = (n: Name, base: Name | null, goal: number | null, baseLabel = '') => {
    const r = base ? ratio(m[n], m[base]) : null;
    return [
      all[n].label,
      `${m[n].toFixed(0)} ms`,
      r === null ? '' : `${r.toFixed(2)}x ${baseLabel}`,
      goal === null ? '' : `<= ${goal}x`,
      goal === null || r === null ? '' : r <= goal ? 'met' : 'missed',
    ];
  };
  const table = new Table({ head: ['', 'median', 'ratio', 'goal', ''] });
  table.push(
    row('node', null, null),
    row('help', 'node', 2, 'of node -e 0'),
    row('virshLocal', 'node', null, 'of node -e 0'),
    row('guestsLocal', 'node', 2.5, 'of node -e 0'),
    ['', '', `${ratio(m.guestsLocal, m.virshLocal).toFixed(2)}x of virsh (local)`, '', ''],
    row('virshSsh', null, null),
    row('guestsSsh', 'virshSsh', 1.2, 'of virsh (ssh)'),
  );
  console.log(
    `from exec to exit, ${ROUNDS} rounds, medians (lab: ${LOCAL} and ${lab.sshUri.replace(/\?.*/, '')})`,
  );
  console.log(table.toString());
  for (const n of names)
    console.log(`  ${all[n].label}: ${ms[n].map((x) => x.toFixed(0)).join(' ')} ms`);
}

main();
