// `npm run bench -- chaos`: how long from asking for a partition to the first probe round that
// shows the traffic dropped, through our engine and through a shell script of virsh commands
// over ssh doing the same operations, with libvirtd's own binding-create time as the floor.
// Runs against the lab, inside its namespace. Prints medians and ratios; asserts nothing.
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConsoleWatch } from '../../lab/console-watch';
import { fullyConnected, virsh, waitForMatrix } from '../../lab/lab-client';
import { type ApplyRequest, unwrap } from '../../shared/api';
import { connect } from '../libvirt/connection';
import { labEngine } from './lab-support';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const lab = await labEngine();
const watch = new ConsoleWatch(lab.lab, 10);
await watch.start();
const idOf = async (name: string) => (await lab.guest(name)).id;
const node = (name: string) => Number(name.replace('lab-node', ''));

const scenarios: {
  name: string;
  request: () => Promise<ApplyRequest>;
  from: string;
  to: string;
}[] = [
  {
    name: 'isolate one',
    request: async () => ({
      partition: { topology: 'isolate', guestIds: [await idOf('lab-node1')] },
    }),
    from: 'lab-node2',
    to: 'lab-node1',
  },
  {
    name: 'halves',
    request: async () => ({
      partition: {
        topology: 'halves',
        guestIds: await Promise.all(['lab-node1', 'lab-node2', 'lab-node3'].map(idOf)),
      },
    }),
    from: 'lab-node3',
    to: 'lab-node1',
  },
];

async function settle() {
  await waitForMatrix(fullyConnected, { timeoutMs: 30_000, state: lab.lab, what: 'a healed lab' });
}

/** The same operations as our plan, one `virsh -c qemu+ssh://...` process each. */
async function viaVirsh(request: ApplyRequest): Promise<{ files: string[]; commands: string[][] }> {
  const plan = unwrap(await lab.engine['chaos.apply']({ ...request, dryRun: true })).plan;
  const files: string[] = [];
  const commands = await Promise.all(
    plan.operations.map(async (op, i) => {
      const words = op.virsh.split(' ').map((w) => w.replace(/^'|'$/g, ''));
      if (!op.xml) return words;
      const file = join(tmpdir(), `kc-bench-${process.pid}-${i}.xml`);
      await writeFile(file, op.xml);
      files.push(file);
      return [...words, file];
    }),
  );
  return { files, commands };
}

const results: { scenario: string; engine: number[]; virsh: number[]; ops: number }[] = [];
for (const s of scenarios) {
  const r = { scenario: s.name, engine: [] as number[], virsh: [] as number[], ops: 0 };
  for (let i = 0; i < ROUNDS; i++) {
    await settle();
    const request = await s.request();
    // Our engine: one persistent connection.
    let t0 = performance.now();
    const drop = watch.nextDrop(node(s.from), node(s.to), 'udp');
    unwrap(await lab.engine['chaos.apply'](request));
    r.engine.push((await drop).seenAt - t0);
    unwrap(await lab.engine['chaos.heal']({ all: true }));
    await settle();

    // A shell script of virsh over ssh doing the same operations.
    const { files, commands } = await viaVirsh(request);
    r.ops = commands.length;
    t0 = performance.now();
    const drop2 = watch.nextDrop(node(s.from), node(s.to), 'udp');
    for (const c of commands) await run('virsh', ['-q', '-c', lab.lab.virshUri, ...c]);
    r.virsh.push((await drop2).seenAt - t0);
    for (const f of files) await rm(f, { force: true });
    unwrap(await lab.engine['chaos.heal']({ all: true }));
  }
  results.push(r);
}
await settle();

// libvirtd's own floor: one plain binding-create (a one-rule drop filter), over the local socket.
const lv = await connect('qemu:///system');
const floor: number[] = [];
const port = (await lab.guest('lab-node1')).interfaces[0]?.portdev as string;
const g1 = await lab.guest('lab-node1');
await lv.nwfilterDefineXml(
  `<filter name='kvm-chaos-bench-floor' chain='root'><rule action='drop' direction='in' priority='-1000'><mac srcmacaddr='52:54:00:00:00:99'/></rule></filter>`,
);
for (let i = 0; i < 5; i++) {
  const xml = `<filterbinding><owner><name>${g1.name}</name><uuid>${g1.uuid}</uuid></owner><portdev name='${port}'/><mac address='${g1.interfaces[0]?.mac}'/><filterref filter='kvm-chaos-bench-floor'/></filterbinding>`;
  const t0 = performance.now();
  const b = await lv.nwfilterBindingCreateXml({ xml, flags: 0 });
  floor.push(performance.now() - t0);
  await lv.nwfilterBindingDelete(b);
}
await lv.nwfilterUndefine(await lv.nwfilterLookupByName('kvm-chaos-bench-floor'));
await lv.close();
watch.stop();
await lab.close();
await virsh(['nwfilter-list']);

const ms = (x: number) => `${(x / 1000).toFixed(2)} s`;
const floorMs = median(floor);
console.log(
  `\nchaos benchmark (${ROUNDS} rounds each; medians; time to the first probe round showing UDP dropped)`,
);
console.log(`libvirtd floor, one plain binding-create: ${ms(floorMs)} (median of ${floor.length})`);
console.log(
  'scenario      ops  engine    virsh over ssh   virsh/engine   engine/floor   (engine rounds; virsh rounds)',
);
for (const r of results) {
  const e = median(r.engine);
  const v = median(r.virsh);
  console.log(
    `${r.scenario.padEnd(13)} ${String(r.ops).padEnd(4)} ${ms(e).padEnd(9)} ${ms(v).padEnd(16)} ${(v / e).toFixed(2).padEnd(14)} ${(e / floorMs).toFixed(2).padEnd(14)} (${r.engine.map(ms).join(' ')}; ${r.virsh.map(ms).join(' ')})`,
  );
}
console.log(
  '(a probe round is ~0.3-0.5 s of guest time, so every figure includes up to one round of detection delay)',
);
process.exit(0);
