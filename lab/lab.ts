// up / down / status: the lab's lifecycle, idempotent and repairing.
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import {
  BRIDGE_NAME,
  DEFAULT_GUESTS,
  guestsPlan,
  IMAGE_DIR,
  type LabGuest,
  MAX_GUESTS,
  NAMESPACE,
  NETWORK_NAME,
  paths,
  SSH_HOST,
  SSH_PORT,
  STATE_DIR,
} from './config';
import {
  type Accel,
  detectAccel,
  ensureGuests,
  ensureNetwork,
  listDomains,
  removeGuests,
  removeNetwork,
} from './guests';
import {
  daemonState,
  deleteNamespace,
  ensureNamespace,
  ensureStateDir,
  installPackages,
  namespaceExists,
  startLibvirt,
  startSshd,
  stopPid,
} from './host';
import { buildImage } from './image';
import { HEALTH_PROTOCOLS, type Matrix, reaches, readMatrixFrom, readTail } from './matrix';
import { LabError, run, sleep } from './run';

/** What tests and tools need to know about a running lab; written to lab.json by `up`. */
export interface LabState {
  namespace: string;
  network: string;
  bridge: string;
  accel: Accel;
  ssh: { host: string; port: number; user: string; key: string; knownHosts: string };
  /** A libvirt URI for our client over the lab's sshd (known_hosts= is ours to read). */
  sshUri: string;
  /** The same for virsh, whose OpenSSH ignores known_hosts=: an ssh wrapper checks the key. */
  virshUri: string;
  guests: (LabGuest & { console: string })[];
}

export async function readLabState(): Promise<LabState> {
  if (!existsSync(paths.labJson))
    throw new LabError(`the lab is not up (no ${paths.labJson}): run 'npm run lab -- up'`);
  return JSON.parse(await readFile(paths.labJson, 'utf8')) as LabState;
}

export async function readMatrix(state?: LabState, window?: number): Promise<Matrix> {
  const s = state ?? (await readLabState());
  return readMatrixFrom(s.guests, window);
}

export const fullyConnected = (m: Matrix) =>
  m.guests.every((g) => g.fresh) &&
  m.flows.filter((f) => HEALTH_PROTOCOLS.includes(f.protocol)).every(reaches);

export interface Timing {
  phase: string;
  seconds: number;
}

export async function up(
  opts: { guests?: number; timeoutMs?: number },
  log: (s: string) => void,
): Promise<{ state: LabState; timings: Timing[] }> {
  const count = opts.guests ?? DEFAULT_GUESTS;
  if (!Number.isInteger(count) || count < 2 || count > MAX_GUESTS)
    throw new LabError(`--guests must be a whole number from 2 to ${MAX_GUESTS}`);
  if (process.platform !== 'linux' || process.getuid?.() !== 0)
    throw new LabError('the lab needs root on Linux (it runs libvirtd in a network namespace)');
  const timings: Timing[] = [];
  const phase = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    timings.push({ phase: name, seconds: (performance.now() - t0) / 1000 });
    return r;
  };

  await phase('install', () => installPackages(log));
  const image = await phase('build', () => buildImage(log));
  await phase('daemons', async () => {
    await ensureStateDir();
    await ensureNamespace();
    await startLibvirt();
    await startSshd();
  });
  const accel = await phase('detect-accel', () => detectAccel(image.kernelPackage, log));
  const plan = guestsPlan(count);
  const state: LabState = {
    namespace: NAMESPACE,
    network: NETWORK_NAME,
    bridge: BRIDGE_NAME,
    accel,
    ssh: {
      host: SSH_HOST,
      port: SSH_PORT,
      user: 'root',
      key: paths.clientKey,
      knownHosts: paths.knownHosts,
    },
    sshUri: `qemu+ssh://root@${SSH_HOST}:${SSH_PORT}/system?keyfile=${paths.clientKey}&known_hosts=${paths.knownHosts}`,
    virshUri: `qemu+ssh://root@${SSH_HOST}:${SSH_PORT}/system?keyfile=${paths.clientKey}&command=${paths.sshWrapper}`,
    guests: plan.map((g) => ({ ...g, console: paths.console(g.name) })),
  };
  await phase('boot', async () => {
    const net = await ensureNetwork(plan);
    const started = await ensureGuests(count, accel, image.hash);
    log(
      `network ${net}; guests ${started.length ? `started: ${started.join(' ')}` : 'all running'} (${accel})`,
    );
    await writeFile(paths.labJson, `${JSON.stringify(state, null, 2)}\n`);
    await waitConnected(state, opts.timeoutMs ?? 240_000);
  });
  return { state, timings };
}

async function waitConnected(state: LabState, timeoutMs: number): Promise<Matrix> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await readMatrix(state);
    if (fullyConnected(m)) return m;
    if (Date.now() > deadline) {
      const lines: string[] = ['the lab guests did not all reach each other in time:'];
      for (const f of m.flows)
        if (HEALTH_PROTOCOLS.includes(f.protocol) && !reaches(f))
          lines.push(
            `  ${f.from} -> ${f.to} over ${f.protocol}: no answer in the last ${f.of} rounds`,
          );
      for (const g of state.guests) {
        const tail = await readTail(g.console, 2048).catch(() => '(no console file)');
        lines.push(
          `  ${g.name} console ends with:`,
          ...tail
            .trimEnd()
            .split('\n')
            .slice(-6)
            .map((l) => `    | ${l}`),
        );
      }
      throw new LabError(lines.join('\n'));
    }
    await sleep(500);
  }
}

export interface Status {
  namespace: boolean;
  daemons: { name: string; pid: number | null; running: boolean; inNamespace: boolean }[];
  domains: { name: string; running: boolean }[];
  matrix: Matrix | null;
  up: boolean;
}

export async function status(): Promise<Status> {
  const namespace = await namespaceExists();
  const daemons = [
    await daemonState('virtlogd', paths.virtlogdPid),
    await daemonState('libvirtd', paths.libvirtdPid),
    await daemonState('sshd', paths.sshdPid),
  ];
  const libvirtUp = daemons[1]?.inNamespace ?? false;
  const domains = libvirtUp
    ? (await listDomains()).filter((d) => d.name.startsWith('lab-node'))
    : [];
  const matrix = existsSync(paths.labJson) ? await readMatrix() : null;
  const up =
    namespace && daemons.every((d) => d.inNamespace) && matrix !== null && fullyConnected(matrix);
  return { namespace, daemons, domains, matrix, up };
}

/** Removes everything `up` made: guests, network, daemons (by their pids), namespace, state. */
export async function down(opts: { purge?: boolean }, log: (s: string) => void): Promise<void> {
  let libvirtd = await daemonState('libvirtd', paths.libvirtdPid);
  if (!libvirtd.running && (await leftoverDefinitions())) {
    // Definitions outlive the daemon (e.g. after a reboot): start it to remove them properly.
    log('starting libvirtd in the namespace to remove leftover lab definitions');
    await ensureNamespace();
    await startLibvirt();
    libvirtd = await daemonState('libvirtd', paths.libvirtdPid);
  }
  if (libvirtd.inNamespace) {
    await removeGuests();
    await removeNetwork();
  }
  for (const [name, file] of [
    ['sshd', paths.sshdPid],
    ['libvirtd', paths.libvirtdPid],
    ['virtlogd', paths.virtlogdPid],
  ] as const) {
    const d = await daemonState(name, file);
    if (d.inNamespace && d.pid) {
      log(`stopping ${name} (pid ${d.pid})`);
      await stopPid(d.pid);
    }
  }
  if (await namespaceExists()) {
    // Whatever is still in the namespace was started by the lab (dnsmasq, a stray qemu).
    const { stdout } = await run('ip', ['netns', 'pids', NAMESPACE]);
    for (const pid of stdout
      .split('\n')
      .map(Number)
      .filter((p) => p > 0)) {
      log(`stopping leftover pid ${pid}`);
      await stopPid(pid);
    }
    await deleteNamespace();
  }
  // libvirt leaves these behind after net-destroy (libvirt-facts.md).
  await rm(`/run/libvirt/network/${NETWORK_NAME}`, { recursive: true, force: true });
  await rm(`/run/libvirt/network/${NETWORK_NAME}.xml`, { force: true });
  await rm(`/run/libvirt/network/${NETWORK_NAME}.pid`, { force: true });
  await rm(`/var/lib/libvirt/dnsmasq/${BRIDGE_NAME}.status`, { force: true });
  await rm(`/var/lib/libvirt/dnsmasq/${NETWORK_NAME}.conf`, { force: true });
  await rm(`/var/lib/libvirt/dnsmasq/${NETWORK_NAME}.hostsfile`, { force: true });
  await rm(STATE_DIR, { recursive: true, force: true });
  if (opts.purge) await rm(IMAGE_DIR, { recursive: true, force: true });
}

async function leftoverDefinitions(): Promise<boolean> {
  const qemuDir = await readdir('/etc/libvirt/qemu').catch(() => [] as string[]);
  return (
    qemuDir.some((f) => /^lab-node[1-9]\.xml$/.test(f)) ||
    existsSync(`/etc/libvirt/qemu/networks/${NETWORK_NAME}.xml`)
  );
}

/** Stops and restarts libvirtd in the namespace (tests of reconnection use it). */
export async function restartLibvirtd(): Promise<void> {
  const d = await daemonState('libvirtd', paths.libvirtdPid);
  if (d.inNamespace && d.pid) await stopPid(d.pid);
  await startLibvirt();
}
