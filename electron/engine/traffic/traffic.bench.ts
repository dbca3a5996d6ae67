// `npm run bench -- traffic` (issue 15, item 1: "about once a second, cheap"): what sampling live
// traffic costs one host, in the same run against a baseline of the same engine not watching.
// Three phases of PHASE_S seconds on the lab over its real sshd (the engine as the app runs it,
// bindings polled every second): not watched, watched without a cut (interface stats only),
// watched with one cut (stats plus the rule counters over an ssh exec channel). For each: the
// CPU libvirtd used (its /proc stat), the CPU of this process, and the wall time of a sample.
// Changes the lab (a cut, healed at the end): run it under the lab's lock.
import { readFileSync } from 'node:fs';
import Table from 'cli-table3';
import { unwrap } from '../../../shared/api';
import { cutBetween, labEngine } from '../lab-support';

const PHASE_S = Number(process.env.BENCH_SECONDS ?? 20);
const TICK_MS = 1000 / 100; // USER_HZ

function libvirtdCpuMs(): number {
  const pid = readFileSync('/run/libvirtd.pid', 'utf8').trim();
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const lab = await labEngine();
const costs: { ms: number; countersRead: boolean; calls: number }[] = [];
let samples = 0;
lab.engine.subscribe((e) => {
  if (e.type !== 'traffic.sample') return;
  samples++;
  // biome-ignore lint/suspicious/noExplicitAny: the bench reads the engine's own figures
  const c = (lab.engine as any).traffic.samplerOf(lab.hostId)?.lastCost;
  if (c) costs.push({ ms: c.ms, countersRead: c.countersRead, calls: c.statsCalls });
});

async function phase(name: string, watch: boolean) {
  costs.length = 0;
  samples = 0;
  const [l0, o0, t0] = [libvirtdCpuMs(), ownCpuMs(), performance.now()];
  const renew = watch
    ? setInterval(() => void lab.engine['traffic.watch']({ seconds: 10 }), 4000)
    : undefined;
  if (watch) unwrap(await lab.engine['traffic.watch']({ seconds: 10 }));
  await new Promise((r) => setTimeout(r, PHASE_S * 1000));
  clearInterval(renew);
  const seconds = (performance.now() - t0) / 1000;
  const ms = costs.map((c) => c.ms).sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)];
  const row = {
    name,
    libvirtd: (libvirtdCpuMs() - l0) / seconds,
    ours: (ownCpuMs() - o0) / seconds,
    perSecond: samples / seconds,
    median,
    p95: ms[Math.floor(ms.length * 0.95)],
    calls: costs[0]?.calls,
    counters: costs.filter((c) => c.countersRead).length,
  };
  // Let the watch run out before the next phase.
  await new Promise((r) => setTimeout(r, watch ? 11_000 : 0));
  return row;
}

const rows = [await phase('not watched (baseline)', false)];
rows.push(await phase('watched, no cut', true));
const [n1, n2] = [await lab.guest('lab-node1'), await lab.guest('lab-node2')];
unwrap(await lab.engine['chaos.apply']({ cuts: [cutBetween(n1, n2)] }));
try {
  rows.push(await phase('watched, one cut (counters)', true));
} finally {
  await lab.engine['chaos.heal']({ all: true });
  await lab.close();
}

const base = rows[0] as (typeof rows)[number];
const table = new Table({
  head: [
    'phase',
    'libvirtd CPU ms/s',
    'vs baseline',
    'our CPU ms/s',
    'vs baseline',
    'samples/s',
    'sample wall ms (median / p95)',
    'stats calls',
    'counter reads',
  ],
});
for (const r of rows)
  table.push([
    r.name,
    r.libvirtd.toFixed(1),
    `+${(r.libvirtd - base.libvirtd).toFixed(1)}`,
    r.ours.toFixed(1),
    `+${(r.ours - base.ours).toFixed(1)}`,
    r.perSecond.toFixed(2),
    r.median === undefined ? '-' : `${r.median.toFixed(0)} / ${r.p95?.toFixed(0)}`,
    r.calls ?? '-',
    r.counters,
  ]);
console.log(`traffic sampling, one host (the lab over ssh), ${PHASE_S} s per phase`);
console.log(table.toString());
