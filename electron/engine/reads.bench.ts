// `npm run bench -- reads` (issue 14, items 2 and 6): the inventory of 2000 guests from libvirt's
// test driver, served by the running libvirtd, against one virsh session doing `list --all` and a
// `dumpxml` per guest through the same libvirtd, in the same run. Prints time and peak memory side
// by side with the goal (at most half virsh's time, under 120 MB); asserts nothing.
// Each side runs in its own process, so its peak RSS is its own:
//   ours: a fresh Node process creates the engine, adds the host and waits for its inventory;
//         its time is from before the connect to the inventory in hand, its peak is maxRSS;
//   virsh: `virsh -c test+unix:///FILE 'list --all; dumpxml scale-1; ...'`, timed by /usr/bin/time;
//   and `kvm-chaos guests --json` (the built CLI) from exec to exit, as a user runs the same read.
// BENCH_GUESTS (default 2000) guests, BENCH_ROUNDS (default 3) runs of each side, medians shown.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { testDriverNodeXml } from '../../lab/test-driver-node';
import { unwrap } from '../../shared/api';

const GUESTS = Number(process.env.BENCH_GUESTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GOAL_RATIO = 0.5;
const GOAL_MB = 120;

interface Figures {
  ms: number;
  peakMb: number;
}

/** The child: one engine, one host, its first inventory. Prints JSON figures on stdout. */
async function child(uri: string): Promise<void> {
  const { createEngine, memoryProfiles } = await import('./index');
  const dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-reads-'));
  const baseMb = process.resourceUsage().maxRSS / 1024;
  const t0 = performance.now();
  const engine = await createEngine({
    profiles: memoryProfiles(),
    knownHostsPath: join(dir, 'known_hosts'),
  });
  const tEngine = performance.now();
  let tConnected = Number.NaN;
  let tPublished = Number.NaN;
  engine.subscribe((e) => {
    if (e.type === 'host.state' && e.status.state === 'connected' && Number.isNaN(tConnected))
      tConnected = performance.now();
    if (e.type === 'inventory.changed' && Number.isNaN(tPublished)) tPublished = performance.now();
  });
  const host = unwrap(await engine['hosts.add']({ uri, auth: { method: 'local' }, label: 'r' }));
  let read = await engine['inventory.get']({ hostId: host.id });
  while (!read.ok && performance.now() - t0 < 120_000) {
    await new Promise((r) => setTimeout(r, 5));
    read = await engine['inventory.get']({ hostId: host.id });
  }
  const inventory = unwrap(read);
  const ms = performance.now() - t0;
  const peakMb = process.resourceUsage().maxRSS / 1024;
  await engine.close();
  await rm(dir, { recursive: true, force: true });
  // Phases: engine created; libvirt's handshake and the driver's open; read, parse and build.
  const phases = {
    engine: tEngine - t0,
    open: tConnected - tEngine,
    read: tPublished - tConnected,
  };
  process.stdout.write(
    `${JSON.stringify({ ms, peakMb, baseMb, guests: inventory.guests.length, phases })}\n`,
  );
  process.exit(0);
}

type Phases = { engine: number; open: number; read: number };

function ours(uri: string): Figures & { baseMb: number; guests: number; phases: Phases } {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync('npx', ['tsx', self, '--child', uri], { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{'))
    throw new Error(`the read failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(line);
}

function virsh(file: string, guests: number): Figures {
  const commands = ['list --all'];
  for (let i = 1; i <= guests; i++) commands.push(`dumpxml scale-${i}`);
  const t0 = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', 'PEAK_KB=%M', 'virsh', '-q', '-c', `test+unix://${file}`, commands.join(' ; ')],
    { encoding: 'utf8', maxBuffer: 1 << 30 },
  );
  const ms = performance.now() - t0;
  const peak = /PEAK_KB=(\d+)/.exec(r.stderr);
  if (r.status !== 0 || !peak) throw new Error(`virsh failed (exit ${r.status}): ${r.stderr}`);
  const dumped = r.stdout.split('</domain>').length - 1;
  if (dumped !== guests) throw new Error(`virsh dumped ${dumped} domains, not ${guests}`);
  return { ms, peakMb: Number(peak[1]) / 1024 };
}

/** `kvm-chaos guests --json` from exec to exit: the same read as a user runs it (the bundle). */
function cli(uri: string): Figures {
  const t0 = performance.now();
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', 'PEAK_KB=%M', process.execPath, 'bin/kvm-chaos.js', '-c', uri, 'guests', '--json'],
    { encoding: 'utf8', maxBuffer: 1 << 30 },
  );
  const ms = performance.now() - t0;
  const peak = /PEAK_KB=(\d+)/.exec(r.stderr);
  if (r.status !== 0 || !peak)
    throw new Error(`kvm-chaos guests failed (exit ${r.status}): ${r.stderr}`);
  return { ms, peakMb: Number(peak[1]) / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-reads-bench-'));
  try {
    const file = join(dir, `node-${GUESTS}.xml`);
    await writeFile(file, testDriverNodeXml(GUESTS));
    const uri = `test://${file}`;
    const mine: ReturnType<typeof ours>[] = [];
    const theirs: Figures[] = [];
    const command: Figures[] = [];
    cli(uri); // builds the bundle first if a source is newer, outside the figures
    // Alternate the sides so neither always runs on a warmer libvirtd.
    for (let round = 0; round < ROUNDS; round++) {
      theirs.push(virsh(file, GUESTS));
      const o = ours(uri);
      if (o.guests !== GUESTS) throw new Error(`the inventory shows ${o.guests} guests`);
      mine.push(o);
      command.push(cli(uri));
    }
    const m = { ms: median(mine.map((x) => x.ms)), peakMb: median(mine.map((x) => x.peakMb)) };
    const base = median(mine.map((x) => x.baseMb));
    const v = { ms: median(theirs.map((x) => x.ms)), peakMb: median(theirs.map((x) => x.peakMb)) };
    const table = new Table({ head: ['', 'time', 'peak RSS', 'goal'] });
    table.push(
      [
        `kvm-chaos inventory (${GUESTS} guests)`,
        `${m.ms.toFixed(0)} ms`,
        `${m.peakMb.toFixed(0)} MB (Node + modules before the read: ${base.toFixed(0)} MB)`,
        `<= ${(v.ms * GOAL_RATIO).toFixed(0)} ms, < ${GOAL_MB} MB`,
      ],
      [
        'kvm-chaos guests --json (exec to exit)',
        `${median(command.map((x) => x.ms)).toFixed(0)} ms`,
        `${median(command.map((x) => x.peakMb)).toFixed(0)} MB`,
        '',
      ],
      [
        `virsh list --all + ${GUESTS} dumpxml`,
        `${v.ms.toFixed(0)} ms`,
        `${v.peakMb.toFixed(0)} MB`,
        '',
      ],
      [
        'ratio (ours / virsh)',
        `${(m.ms / v.ms).toFixed(2)}x ${m.ms / v.ms <= GOAL_RATIO ? '(goal met)' : '(goal missed)'}`,
        `${m.peakMb < GOAL_MB ? 'under' : 'over'} ${GOAL_MB} MB`,
        `<= ${GOAL_RATIO}x`,
      ],
    );
    console.log(
      `libvirt test driver through libvirtd, ${ROUNDS} rounds each, medians (each round: ` +
        `ours ${mine.map((x) => x.ms.toFixed(0)).join('/')} ms, virsh ${theirs.map((x) => x.ms.toFixed(0)).join('/')} ms)`,
    );
    console.log(table.toString());
    const phase = (k: keyof Phases) => median(mine.map((x) => x.phases[k])).toFixed(0);
    console.log(
      `ours by phase (medians): engine created ${phase('engine')} ms, connected (handshake and ` +
        `the test driver loading its file) ${phase('open')} ms, inventory read, parsed and ` +
        `built ${phase('read')} ms`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) await child(process.argv[childAt + 1] ?? '');
else await main();
