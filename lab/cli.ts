#!/usr/bin/env tsx
// `npm run lab -- up|down|status|matrix|exec|restart-libvirtd`: the real KVM lab that every
// test of kvm-chaos runs against.
import { Command, InvalidArgumentError } from 'commander';
import {
  DEFAULT_GUESTS,
  DEFAULT_HOSTS,
  type HostId,
  MAX_GUESTS,
  MAX_HOSTS,
  NAMESPACE,
} from './config';
import { allGuests, down, readLabState, readMatrix, restartLibvirtd, status, up } from './lab';
import { renderTable } from './matrix';
import { execInNs, LabError } from './run';

const log = (s: string) => console.error(`lab: ${s}`);

function wholeNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('not a whole number');
  return n;
}

const program = new Command('lab')
  .description('The kvm-chaos lab: libvirtd, guests and sshd in their own network namespace')
  .showHelpAfterError()
  .enablePositionalOptions();

program
  .command('up')
  .description('install, build, boot; returns once every guest reaches every other (idempotent)')
  .option('--guests <n>', `guests per host, 2-${MAX_GUESTS}`, wholeNumber, DEFAULT_GUESTS)
  .option(
    '--hosts <n>',
    `libvirt hosts, 1-${MAX_HOSTS} (host 2 and up are added or removed; host 1 is kept)`,
    wholeNumber,
    DEFAULT_HOSTS,
  )
  .option('--timeout <seconds>', 'how long to wait for full connectivity', wholeNumber, 240)
  .action(async (o: { guests: number; hosts: number; timeout: number }) => {
    const t0 = performance.now();
    const { state, timings } = await up(
      { guests: o.guests, hosts: o.hosts, timeoutMs: o.timeout * 1000 },
      log,
    );
    const total = ((performance.now() - t0) / 1000).toFixed(1);
    const parts = timings.map((t) => `${t.phase} ${t.seconds.toFixed(1)}s`).join(', ');
    const hosts = state.hosts.length > 1 ? ` on ${state.hosts.length} hosts` : '';
    console.log(
      `lab up: ${allGuests(state).length} guests${hosts} (${state.accel}), all reachable; ${parts}; total ${total}s`,
    );
  });

program
  .command('down')
  .description('remove every guest, network, daemon and namespace the lab made')
  .option('--purge', 'also delete the built guest image')
  .action(async (o: { purge?: boolean }) => {
    await down({ purge: o.purge ?? false }, log);
    console.log('lab down');
  });

program
  .command('status')
  .option('--json', 'machine-readable output')
  .action(async (o: { json?: boolean }) => {
    const s = await status();
    if (o.json) {
      console.log(JSON.stringify(s, null, 2));
    } else {
      for (const h of [s, ...s.others]) {
        const ns = h.id === 'h1' ? NAMESPACE : `${NAMESPACE}-${h.id}`;
        console.log(`${h.id}: namespace ${ns}: ${h.namespace ? 'present' : 'absent'}`);
        for (const d of h.daemons)
          console.log(
            `  ${d.name}: ${d.running ? `pid ${d.pid}${d.inNamespace ? '' : ' (NOT in the namespace)'}` : 'not running'}`,
          );
        for (const d of h.domains)
          console.log(`  ${d.name}: ${d.running ? 'running' : 'shut off'}`);
      }
      if (s.matrix) console.log(renderTable(s.matrix, ['icmp', 'tcp', 'udp']));
      console.log(s.up ? 'lab is up' : 'lab is not up');
    }
    process.exitCode = s.up ? 0 : 3;
  });

program
  .command('matrix')
  .description('who reaches whom over each protocol in the last few rounds (every host)')
  .option('--json', 'machine-readable output')
  .option('--window <rounds>', 'rounds to look back (about 0.3-0.5 s each)', wholeNumber, 4)
  .action(async (o: { json?: boolean; window: number }) => {
    const state = await readLabState();
    const m = await readMatrix(state, o.window, allGuests(state));
    console.log(o.json ? JSON.stringify(m, null, 2) : renderTable(m));
  });

program
  .command('exec')
  .description(`run a command inside the lab namespace (${NAMESPACE})`)
  .argument('<command...>')
  .passThroughOptions()
  .action(async (argv: string[]) => {
    process.exitCode = await execInNs(argv);
  });

program
  .command('restart-libvirtd')
  .description("stop and start a host's libvirtd (for reconnection tests)")
  .option('--host <id>', 'h1 (default), h2 or h3', 'h1')
  .action(async (o: { host: string }) => {
    if (!/^h[1-9]$/.test(o.host)) throw new LabError(`--host must be h1, h2 or h3, not ${o.host}`);
    await restartLibvirtd(o.host as HostId);
    console.log(`${o.host}: libvirtd restarted`);
  });

program.parseAsync().catch((e: unknown) => {
  if (e instanceof LabError) {
    console.error(`lab: ${e.message}`);
    process.exit(1);
  }
  throw e;
});
