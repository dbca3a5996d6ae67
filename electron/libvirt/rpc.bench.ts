// `npm run bench -- rpc`: per-call latency of our persistent client against `virsh -c URI`
// per command (a fresh ssh connection and libvirt handshake each time), on the lab, in one run.
// Runs inside the lab's namespace (scripts/bench.ts puts it there).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Table from 'cli-table3';
import { type LabState, readLabState } from '../../lab/lab-client';
import { connect, type LibvirtConnection } from './index';

const exec = promisify(execFile);
const OURS_N = Number(process.env.BENCH_OURS_N ?? 500);
const VIRSH_N = Number(process.env.BENCH_VIRSH_N ?? 20);

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

interface Stats {
  p50: number;
  p95: number;
  n: number;
}

async function measure(n: number, op: () => Promise<unknown>, warmup = 5): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await op();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), n };
}

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(0));

/**
 * virsh's qemu+ssh runs the OpenSSH binary, which ignores libvirt's known_hosts= (only the
 * libssh transports read it) and checks ~/.ssh/known_hosts. A one-line wrapper given as
 * libvirt's command= points OpenSSH at the lab's known_hosts, so the baseline still verifies
 * the host key, as a user's virsh would against their own known_hosts.
 */
async function virshUri(state: LabState): Promise<string> {
  const wrapper = join(tmpdir(), 'kvm-chaos-rpcbench-ssh');
  await writeFile(
    wrapper,
    `#!/bin/sh\nexec ssh -o UserKnownHostsFile=${state.ssh.knownHosts} -o GlobalKnownHostsFile=/dev/null "$@"\n`,
    { mode: 0o755 },
  );
  const { host, port, user, key } = state.ssh;
  return `qemu+ssh://${user}@${host}:${port}/system?keyfile=${key}&no_tty=1&command=${wrapper}`;
}

async function main() {
  const state = await readLabState();
  const uri = state.sshUri;
  const baselineUri = await virshUri(state);
  const virsh = (...args: string[]) => exec('virsh', ['-q', '-c', baselineUri, ...args]);

  const connectTimes: number[] = [];
  let lv: LibvirtConnection | undefined;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const c = await connect(uri, { reconnect: false });
    connectTimes.push(performance.now() - t0);
    if (lv) await c.close();
    else lv = c;
  }
  if (!lv) throw new Error('no connection');
  const client = lv;
  connectTimes.sort((a, b) => a - b);

  const rows: { op: string; ours: Stats; virsh: Stats }[] = [];
  rows.push({
    op: 'hostname (cheap call)',
    ours: await measure(OURS_N, () => client.connectGetHostname()),
    virsh: await measure(VIRSH_N, () => virsh('hostname'), 1),
  });
  rows.push({
    op: 'list all domains',
    ours: await measure(OURS_N, () => client.connectListAllDomains()),
    virsh: await measure(VIRSH_N, () => virsh('list', '--all'), 1),
  });

  const local = await connect('qemu:///system', { reconnect: false });
  const localHostname = await measure(OURS_N, () => local.connectGetHostname());
  const localList = await measure(OURS_N, () => local.connectListAllDomains());
  await local.close();

  // 200 concurrent calls: the pipelining a persistent connection allows.
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 200 }, () => client.connectListAllDomains()));
  const burst = performance.now() - t0;
  await client.close();

  const table = new Table({
    head: ['operation (ms)', 'ours p50', 'ours p95', 'virsh p50', 'virsh p95', 'virsh/ours (p50)'],
  });
  for (const r of rows) {
    table.push([
      r.op,
      ms(r.ours.p50),
      ms(r.ours.p95),
      ms(r.virsh.p50),
      ms(r.virsh.p95),
      `${(r.virsh.p50 / r.ours.p50).toFixed(0)}x`,
    ]);
  }
  console.log(`libvirt RPC over ssh (${uri.split('?')[0]}): ours n=${OURS_N}, virsh n=${VIRSH_N}`);
  console.log(`virsh -c '${baselineUri}' <command>, one process per call`);
  console.log(table.toString());
  const extra = new Table({ head: ['also measured', 'value'] });
  extra.push(
    ['our connect + open over ssh, p50 of 5', `${ms(percentile(connectTimes, 50))} ms`],
    [
      'ours over the local socket: hostname p50 / p95',
      `${ms(localHostname.p50)} / ${ms(localHostname.p95)} ms`,
    ],
    [
      'ours over the local socket: list all domains p50 / p95',
      `${ms(localList.p50)} / ${ms(localList.p95)} ms`,
    ],
    [
      '200 concurrent list-all-domains over ssh, total',
      `${ms(burst)} ms (${ms(burst / 200)} ms per call)`,
    ],
  );
  console.log(extra.toString());
}

await main();
