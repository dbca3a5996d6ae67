// up / down / status: the lab's lifecycle, idempotent and repairing.
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import {
  BRIDGE_NAME,
  DEFAULT_GUESTS,
  DEFAULT_HOSTS,
  DEMO_LINK,
  guestsPlan,
  type HostId,
  type HostPlan,
  hostPaths,
  hostPlan,
  IMAGE_DIR,
  type LabGuest,
  MAX_GUESTS,
  MAX_HOSTS,
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
  labGuestNumber,
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
  removeMachineLink,
  startLibvirt,
  startSshd,
  stopNamespacePids,
  stopPid,
  writeKnownHosts,
} from './host';
import {
  attachToFirstBridge,
  ensureHost,
  holderPid,
  presentHosts,
  removeHost,
  removeHostsDir,
  startHostLibvirtd,
  stopHostLibvirtd,
} from './hosts';
import { buildImage } from './image';
import { restoreKvmDevice, shareKvmDevice } from './kvm-device';
import { HEALTH_PROTOCOLS, type Matrix, reaches, readMatrixFrom, readTail } from './matrix';
import { enteredShell, firstHostShell, LabError, sleep } from './run';

export interface LabSsh {
  host: string;
  port: number;
  user: string;
  key: string;
  knownHosts: string;
}

export type LabGuestState = LabGuest & { console: string };

/** How a client reaches one libvirt host of the lab, and what runs there. */
export interface LabHostState {
  id: HostId;
  /** The host's network namespace (its bridge, taps, ebtables rules, daemons). */
  namespace: string;
  network: string;
  bridge: string;
  /** Reached from the lab's namespace, where tests run (`ip netns exec kvmchaos ...`). */
  ssh: LabSsh;
  sshUri: string;
  virshUri: string;
  guests: LabGuestState[];
}

/** What tests and tools need to know about a running lab; written to lab.json by `up`. */
export interface LabState {
  namespace: string;
  network: string;
  bridge: string;
  accel: Accel;
  /** Host 1's (the top-level fields are host 1's, as in a single-host lab). */
  ssh: LabSsh;
  /** A libvirt URI for our client over the lab's sshd (known_hosts= is ours to read). */
  sshUri: string;
  /** The same for virsh, whose OpenSSH ignores known_hosts=: an ssh wrapper checks the key. */
  virshUri: string;
  /** Host 1's guests. */
  guests: LabGuestState[];
  /** Every host, host 1 first (one entry in a single-host lab). */
  hosts: LabHostState[];
  /**
   * Host 1's sshd as seen from the machine's own namespace (the demo link, issue 14): for the
   * app and the CLI run outside the lab's namespace. The same key and known_hosts file.
   */
  demo: LabDemoHost & {
    /** Every host's sshd from the machine's namespace, host 1 first (its own demo link each). */
    hosts: LabDemoHost[];
  };
}

/** One host's sshd as the machine's own namespace reaches it (HostPlan.demo). */
export interface LabDemoHost {
  id: HostId;
  ssh: LabSsh;
  sshUri: string;
  virshUri: string;
}

/** Every guest of every host, host 1's first. */
export const allGuests = (state: LabState): LabGuestState[] =>
  state.hosts?.flatMap((h) => h.guests) ?? state.guests;

function sshOf(host: string): LabSsh {
  return { host, port: SSH_PORT, user: 'root', key: paths.clientKey, knownHosts: paths.knownHosts };
}

const sshUri = (host: string) =>
  `qemu+ssh://root@${host}:${SSH_PORT}/system?keyfile=${paths.clientKey}&known_hosts=${paths.knownHosts}`;
const virshUri = (host: string) =>
  `qemu+ssh://root@${host}:${SSH_PORT}/system?keyfile=${paths.clientKey}&command=${paths.sshWrapper}`;

function demoHost(plan: HostPlan): LabDemoHost {
  const ip = plan.demo.far.ip;
  return { id: plan.id, ssh: sshOf(ip), sshUri: sshUri(ip), virshUri: virshUri(ip) };
}

function hostState(plan: HostPlan, count: number): LabHostState {
  const consoleOf = plan.root ? hostPaths(plan.root).console : paths.console;
  return {
    id: plan.id,
    namespace: plan.namespace,
    network: NETWORK_NAME,
    bridge: BRIDGE_NAME,
    ssh: sshOf(plan.sshHost),
    sshUri: sshUri(plan.sshHost),
    virshUri: virshUri(plan.sshHost),
    guests: guestsPlan(count, plan.number).map((g) => ({ ...g, console: consoleOf(g.name) })),
  };
}

export async function readLabState(): Promise<LabState> {
  if (!existsSync(paths.labJson))
    throw new LabError(`the lab is not up (no ${paths.labJson}): run 'npm run lab -- up'`);
  return JSON.parse(await readFile(paths.labJson, 'utf8')) as LabState;
}

/** Host 1's guests (as always), or `guests` if given (e.g. allGuests(state)). */
export async function readMatrix(
  state?: LabState,
  window?: number,
  guests?: readonly LabGuestState[],
): Promise<Matrix> {
  const s = state ?? (await readLabState());
  return readMatrixFrom(guests ?? s.guests, window);
}

export const fullyConnected = (m: Matrix) =>
  m.guests.every((g) => g.fresh) &&
  m.flows.filter((f) => HEALTH_PROTOCOLS.includes(f.protocol)).every(reaches);

export interface Timing {
  phase: string;
  seconds: number;
}

export async function up(
  opts: { guests?: number; hosts?: number; timeoutMs?: number },
  log: (s: string) => void,
): Promise<{ state: LabState; timings: Timing[] }> {
  const count = opts.guests ?? DEFAULT_GUESTS;
  if (!Number.isInteger(count) || count < 2 || count > MAX_GUESTS)
    throw new LabError(`--guests must be a whole number from 2 to ${MAX_GUESTS}`);
  const hostCount = opts.hosts ?? DEFAULT_HOSTS;
  if (!Number.isInteger(hostCount) || hostCount < 1 || hostCount > MAX_HOSTS)
    throw new LabError(`--hosts must be a whole number from 1 to ${MAX_HOSTS}`);
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
  const first = hostPlan(1);
  const { hostKey } = await phase('daemons', async () => {
    await ensureStateDir();
    await ensureNamespace();
    await shareKvmDevice(paths.kvmDevice);
    await startLibvirt();
    return startSshd();
  });
  const accel = await phase('detect-accel', () => detectAccel(image.kernelPackage, log));
  const plans = Array.from({ length: hostCount }, (_, i) => hostPlan(i + 1));
  const hosts = plans.map((p) => hostState(p, count));
  const h1 = hosts[0] as LabHostState;
  const state: LabState = {
    namespace: NAMESPACE,
    network: NETWORK_NAME,
    bridge: BRIDGE_NAME,
    accel,
    ssh: h1.ssh,
    sshUri: h1.sshUri,
    virshUri: h1.virshUri,
    guests: h1.guests,
    hosts,
    demo: { ...demoHost(first), hosts: plans.map(demoHost) },
  };
  await phase('boot', async () => {
    const net = await ensureNetwork(firstHostShell, first);
    const started = await ensureGuests(firstHostShell, first, count, accel, image.hash);
    log(
      `network ${net}; guests ${started.length ? `started: ${started.join(' ')}` : 'all running'} (${accel})`,
    );
  });
  const known = [
    { host: SSH_HOST, key: hostKey },
    { host: DEMO_LINK.far.ip, key: hostKey },
  ];
  await phase('hosts', async () => {
    for (let n = 2; n <= hostCount; n++) {
      const h = await ensureHost(n, log);
      await attachToFirstBridge(h.plan);
      await ensureNetwork(h.shell, h.plan);
      const started = await ensureGuests(h.shell, h.plan, count, accel, image.hash);
      known.push(
        { host: h.plan.sshHost, key: h.hostKey },
        { host: h.plan.demo.far.ip, key: h.hostKey },
      );
      log(
        `${h.plan.id}: guests ${started.length ? `started: ${started.join(' ')}` : 'all running'}`,
      );
    }
    for (const n of await presentHosts()) if (n > hostCount) await removeHost(n, log);
    await removeHostsDir();
  });
  await writeKnownHosts(known);
  await writeFile(paths.labJson, `${JSON.stringify(state, null, 2)}\n`);
  await phase('connect', () => waitConnected(state, opts.timeoutMs ?? 240_000));
  return { state, timings };
}

async function waitConnected(state: LabState, timeoutMs: number): Promise<Matrix> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await readMatrix(state, undefined, allGuests(state));
    if (fullyConnected(m)) return m;
    if (Date.now() > deadline) {
      const lines: string[] = ['the lab guests did not all reach each other in time:'];
      for (const f of m.flows)
        if (HEALTH_PROTOCOLS.includes(f.protocol) && !reaches(f))
          lines.push(
            `  ${f.from} -> ${f.to} over ${f.protocol}: no answer in the last ${f.of} rounds`,
          );
      for (const g of allGuests(state)) {
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

export interface HostStatus {
  id: HostId;
  namespace: boolean;
  daemons: { name: string; pid: number | null; running: boolean; inNamespace: boolean }[];
  domains: { name: string; running: boolean }[];
}

export interface Status extends HostStatus {
  /** Host 2 and up, as lab.json names them. */
  others: HostStatus[];
  /** Every pair across every host. */
  matrix: Matrix | null;
  up: boolean;
}

async function hostStatus(plan: HostPlan): Promise<HostStatus> {
  const p = plan.root ? hostPaths(plan.root) : paths;
  const namespace = await namespaceExists(plan.namespace);
  const daemons = [
    await daemonState('virtlogd', p.virtlogdPid, plan.namespace),
    await daemonState('libvirtd', p.libvirtdPid, plan.namespace),
    await daemonState('sshd', p.sshdPid, plan.namespace),
  ];
  let shell = plan.root ? null : firstHostShell;
  if (plan.root) {
    const holder = await holderPid(plan);
    if (holder) shell = enteredShell(holder);
  }
  const libvirtUp = (daemons[1]?.inNamespace ?? false) && shell !== null;
  const domains =
    libvirtUp && shell
      ? (await listDomains(shell)).filter((d) => labGuestNumber(d.name, plan) !== null)
      : [];
  return { id: plan.id, namespace, daemons, domains };
}

export async function status(): Promise<Status> {
  const first = await hostStatus(hostPlan(1));
  const state = existsSync(paths.labJson) ? await readLabState() : null;
  const others: HostStatus[] = [];
  for (const h of state?.hosts?.slice(1) ?? [])
    others.push(await hostStatus(hostPlan(Number(h.id.slice(1)))));
  const matrix = state ? await readMatrix(state, undefined, allGuests(state)) : null;
  const up =
    [first, ...others].every((h) => h.namespace && h.daemons.every((d) => d.inNamespace)) &&
    matrix !== null &&
    fullyConnected(matrix);
  return { ...first, others, matrix, up };
}

/** Removes everything `up` made: guests, network, daemons (by their pids), namespace, state. */
export async function down(opts: { purge?: boolean }, log: (s: string) => void): Promise<void> {
  for (const n of await presentHosts()) await removeHost(n, log);
  await removeHostsDir();
  let libvirtd = await daemonState('libvirtd', paths.libvirtdPid);
  if (!libvirtd.running && (await leftoverDefinitions())) {
    // Definitions outlive the daemon (e.g. after a reboot): start it to remove them properly.
    log('starting libvirtd in the namespace to remove leftover lab definitions');
    await ensureNamespace();
    await startLibvirt();
    libvirtd = await daemonState('libvirtd', paths.libvirtdPid);
  }
  if (libvirtd.inNamespace) {
    await removeGuests(firstHostShell, hostPlan(1));
    await removeNetwork(firstHostShell);
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
  // Whatever is still in the namespace was started by the lab (dnsmasq, a stray qemu).
  await stopNamespacePids(NAMESPACE, log);
  await deleteNamespace();
  // Every host's demo link, by name (removeHost took those of the hosts it found; a host
  // half made or half removed may have left one).
  for (let n = 1; n <= MAX_HOSTS; n++) await removeMachineLink(hostPlan(n).demo.near.dev);
  // libvirt leaves these behind after net-destroy (libvirt-facts.md).
  await rm(`/run/libvirt/network/${NETWORK_NAME}`, { recursive: true, force: true });
  await rm(`/run/libvirt/network/${NETWORK_NAME}.xml`, { force: true });
  await rm(`/run/libvirt/network/${NETWORK_NAME}.pid`, { force: true });
  await rm(`/var/lib/libvirt/dnsmasq/${BRIDGE_NAME}.status`, { force: true });
  await rm(`/var/lib/libvirt/dnsmasq/${NETWORK_NAME}.conf`, { force: true });
  await rm(`/var/lib/libvirt/dnsmasq/${NETWORK_NAME}.hostsfile`, { force: true });
  await restoreKvmDevice(paths.kvmDevice);
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

/** Stops and restarts a host's libvirtd, host 1's by default (tests of reconnection use it). */
export async function restartLibvirtd(host: HostId = 'h1'): Promise<void> {
  await stopLibvirtdOf(host);
  await startLibvirtdOf(host);
}

/** Stops a host's libvirtd by its pid; its guests, sshd and bindings stay (a daemon crash). */
export async function stopLibvirtdOf(host: HostId): Promise<void> {
  const n = hostNumber(host);
  if (n === 1) {
    const d = await daemonState('libvirtd', paths.libvirtdPid);
    if (d.inNamespace && d.pid) await stopPid(d.pid);
  } else await stopHostLibvirtd(n);
}

/** Starts a host's libvirtd again; returns once it answers. */
export async function startLibvirtdOf(host: HostId): Promise<void> {
  const n = hostNumber(host);
  if (n === 1) await startLibvirt();
  else await startHostLibvirtd(n);
}

function hostNumber(host: HostId): number {
  const n = Number(host.slice(1));
  if (!Number.isInteger(n) || n < 1 || n > MAX_HOSTS)
    throw new LabError(`no host ${host}: the lab's hosts are h1..h${MAX_HOSTS}`);
  return n;
}
