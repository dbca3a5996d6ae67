// Host 2 and up (`lab up --hosts N`): each a libvirt host of its own on this one machine. Its
// own network namespace, and a private mount namespace (held by a sleeping process) in which
// fresh directories are bind-mounted over libvirt's, so its libvirtd, virtlogd and sshd share
// nothing with host 1's but the kernel. Its guests join host 1's segment through a veth pair
// between the two bridges; a second veth pair from the lab's namespace carries ssh to it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BRIDGE_NAME,
  HOSTS_DIR,
  type HostPlan,
  hostPaths,
  hostPlan,
  IMAGE_DIR,
  MAX_HOSTS,
  NAMESPACE,
  PRIVATE_LIBVIRT_DIRS,
  paths,
  SSH_HOST,
  STATE_DIR,
} from './config';
import {
  daemonState,
  deleteNamespace,
  ensureDaemon,
  ensureKey,
  ensureLink,
  ensureNamespace,
  ensureSshd,
  namespaceOf,
  namespaces,
  readPid,
  removeMachineLink,
  stopNamespacePids,
  stopPid,
} from './host';
import { enteredShell, type HostShell, LabError, run, sleep, succeeds } from './run';

/** argv[0] of a host's mount-namespace holder: how `ps` (and .ci/run) tells it apart. */
export const holderName = (host: HostPlan) => `kvm-chaos-lab-holder-${host.id}`;
/** What this host's libvirtd reports as its hostname. */
export const hostName = (host: HostPlan) => `kvm-chaos-lab-${host.id}`;

function planOf(host: HostPlan) {
  if (!host.root || !host.mgmt || !host.segment)
    throw new LabError(`${host.id} is host 1: it has no mount namespace of its own`);
  return { root: host.root, mgmt: host.mgmt, segment: host.segment, p: hostPaths(host.root) };
}

async function cmdline(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.split('\0').filter(Boolean);
}

/** The pid of the host's mount-namespace holder, if it is alive and is ours. */
export async function holderPid(host: HostPlan): Promise<number | null> {
  const { p } = planOf(host);
  const pid = await readPid(p.holderPid);
  if (!pid) return null;
  if ((await cmdline(pid))[0] !== holderName(host)) return null;
  return (await namespaceOf(pid)) === host.namespace ? pid : null;
}

/**
 * libvirt's directories for this host: a stripped copy of /etc/libvirt (its *.conf files and
 * the stock nwfilters; no domains, networks or autostart links of host 1's), empty state
 * directories, host 1's QEMU capabilities cache (the same binaries: without it libvirtd probes
 * QEMU for about 12 s at start), and the guest image copied where domainXml points.
 */
async function prepareDirs(host: HostPlan): Promise<void> {
  const { p } = planOf(host);
  for (const d of PRIVATE_LIBVIRT_DIRS) await mkdir(p.inside(d), { recursive: true });
  const etc = p.inside('/etc/libvirt');
  if (!existsSync(join(etc, 'libvirtd.conf'))) {
    for (const f of await readdir('/etc/libvirt'))
      if (f.endsWith('.conf')) await copyFile(join('/etc/libvirt', f), join(etc, f));
    await mkdir(join(etc, 'qemu', 'networks'), { recursive: true });
    await cp('/usr/share/libvirt/nwfilter', join(etc, 'nwfilter'), { recursive: true });
  }
  const caps = '/var/cache/libvirt/qemu/capabilities';
  const ownCaps = join(p.inside('/var/cache/libvirt'), 'qemu', 'capabilities');
  if (existsSync(caps) && !existsSync(ownCaps)) await cp(caps, ownCaps, { recursive: true });
  const state = join(p.inside('/var/lib/libvirt'), STATE_DIR.slice('/var/lib/libvirt/'.length));
  await mkdir(state, { recursive: true, mode: 0o755 });
  await mkdir(p.imageDir, { recursive: true, mode: 0o755 });
  const stamp = await readFile(paths.imageStamp, 'utf8');
  const own = await readFile(join(p.imageDir, 'stamp.json'), 'utf8').catch(() => null);
  if (own !== stamp) {
    for (const f of [paths.kernel, paths.initrd])
      await copyFile(f, join(p.imageDir, f.slice(IMAGE_DIR.length + 1)));
    await writeFile(join(p.imageDir, 'stamp.json'), stamp);
  }
}

/** Starts the holder: `unshare` a private mount namespace inside the host's network namespace,
 * bind-mount the host's directories over libvirt's, then sleep for as long as the host lives. */
async function startHolder(host: HostPlan): Promise<number> {
  const { p } = planOf(host);
  const mounts = PRIVATE_LIBVIRT_DIRS.map((d) => `mount --bind '${p.inside(d)}' '${d}'`);
  // Its own hostname too (a UTS namespace): libvirt reports it, and the two hosts should differ.
  const script = `${mounts.join(' && ')} && hostname ${hostName(host)} && exec -a ${holderName(host)} sleep infinity`;
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      host.namespace,
      'unshare',
      '--mount',
      '--propagation',
      'private',
      '--uts',
      'bash',
      '-c',
      script,
    ],
    { detached: true, stdio: 'ignore' },
  );
  const pid = child.pid;
  child.unref();
  if (!pid) throw new LabError(`could not start the mount-namespace holder of ${host.id}`);
  // ip, unshare and bash each exec the next: the same pid ends as the holder once mounted.
  const deadline = Date.now() + 10_000;
  while ((await cmdline(pid))[0] !== holderName(host)) {
    if (!existsSync(`/proc/${pid}`) || child.exitCode !== null)
      throw new LabError(`the mount-namespace holder of ${host.id} exited while mounting`);
    if (Date.now() > deadline)
      throw new LabError(`the mount-namespace holder of ${host.id} did not finish mounting`);
    await sleep(50);
  }
  await writeFile(p.holderPid, `${pid}\n`);
  return pid;
}

/** Stops this host's daemons and guests by pid (its libvirt state stays on disk). */
async function stopProcesses(host: HostPlan, log: (s: string) => void): Promise<void> {
  const { p } = planOf(host);
  for (const [name, file] of [
    ['sshd', p.sshdPid],
    ['libvirtd', p.libvirtdPid],
    ['virtlogd', p.virtlogdPid],
  ] as const) {
    const d = await daemonState(name, file, host.namespace);
    if (d.inNamespace && d.pid) {
      log(`stopping ${host.id} ${name} (pid ${d.pid})`);
      await stopPid(d.pid);
    }
  }
  // qemu and anything else left in the namespace, the holder last.
  const holder = await holderPid(host);
  await stopNamespacePids(host.namespace, log);
  if (holder) await stopPid(holder);
}

async function libvirtReady(sh: HostShell): Promise<boolean> {
  return sh.virsh(['version']).then(
    () => true,
    () => false,
  );
}

async function startLibvirtdIn(host: HostPlan, shell: HostShell): Promise<void> {
  const { p } = planOf(host);
  await ensureDaemon(
    'libvirtd',
    p.libvirtdPid,
    () => shell.run('libvirtd', ['-d', '-p', p.libvirtdPid]),
    host.namespace,
  );
  const deadline = Date.now() + 60_000;
  while (!(await libvirtReady(shell))) {
    if (Date.now() > deadline)
      throw new LabError(`${host.id}'s libvirtd started but does not answer virsh`);
    await sleep(200);
  }
}

async function runningHost(number: number): Promise<{ host: HostPlan; shell: HostShell }> {
  const host = hostPlan(number);
  const holder = await holderPid(host);
  if (!holder)
    throw new LabError(`${host.id} is not up: run 'npm run lab -- up --hosts ${number}'`);
  return { host, shell: enteredShell(holder) };
}

/** Stops host `number`'s libvirtd by its pid (its guests keep running, as on a real host). */
export async function stopHostLibvirtd(number: number): Promise<void> {
  const { host } = await runningHost(number);
  const d = await daemonState('libvirtd', planOf(host).p.libvirtdPid, host.namespace);
  if (d.inNamespace && d.pid) await stopPid(d.pid);
}

/** Starts host `number`'s libvirtd again (a no-op when it runs); returns once it answers. */
export async function startHostLibvirtd(number: number): Promise<void> {
  const { host, shell } = await runningHost(number);
  await startLibvirtdIn(host, shell);
}

export interface RunningHost {
  plan: HostPlan;
  shell: HostShell;
  /** This host's sshd key (public), for the lab's known_hosts. */
  hostKey: string;
}

/**
 * Makes host `number` run: namespace, holder, links, virtlogd, libvirtd, sshd. Idempotent: what
 * runs is kept; a host whose holder died is stopped and started again.
 */
export async function ensureHost(number: number, log: (s: string) => void): Promise<RunningHost> {
  const host = hostPlan(number);
  const { p, mgmt } = planOf(host);
  await ensureNamespace(host.namespace);
  await prepareDirs(host);
  let holder = await holderPid(host);
  if (!holder) {
    // Daemons outliving their holder run in a mount namespace we can no longer enter.
    await stopProcesses(host, log);
    holder = await startHolder(host);
  }
  const shell = enteredShell(holder);
  await ensureLink(mgmt, NAMESPACE, host.namespace);
  // From the machine's own namespace straight into this host's: the demo's way in.
  await ensureLink(host.demo, undefined, host.namespace);
  await ensureSegmentLink(host);
  await ensureDaemon(
    'virtlogd',
    p.virtlogdPid,
    () => shell.run('virtlogd', ['-d', '-p', p.virtlogdPid]),
    host.namespace,
  );
  await startLibvirtdIn(host, shell);
  const hostKey = await ensureKey(p.sshdHostKey, `kvm-chaos-lab-${host.id}`);
  await copyFile(paths.authorizedKeys, p.authorizedKeys);
  await chmod(p.authorizedKeys, 0o600);
  await ensureSshd({
    listen: [SSH_HOST, mgmt.far.ip, host.demo.far.ip],
    files: p,
    ns: host.namespace,
    start: () => shell.run('/usr/sbin/sshd', ['-f', p.sshdConfig]),
  });
  return { plan: host, shell, hostKey };
}

/**
 * The veth pair between host 1's bridge and this host's: one L2 segment. Host 1's bridge is
 * libvirt's (it comes back bare when its network restarts), so the near end is re-attached on
 * every `up`; this host's bridge is made by hand, for its libvirt network to forward onto.
 */
export async function ensureSegmentLink(host: HostPlan): Promise<void> {
  const { segment } = planOf(host);
  const ns = host.namespace;
  if (!(await succeeds('ip', ['-n', ns, 'link', 'show', 'dev', BRIDGE_NAME]))) {
    await run('ip', [
      '-n',
      ns,
      'link',
      'add',
      BRIDGE_NAME,
      'type',
      'bridge',
      'stp_state',
      '0',
      'forward_delay',
      '0',
    ]);
  }
  await run('ip', ['-n', ns, 'link', 'set', BRIDGE_NAME, 'up']);
  const near = await succeeds('ip', ['-n', NAMESPACE, 'link', 'show', 'dev', segment.near]);
  const far = await succeeds('ip', ['-n', ns, 'link', 'show', 'dev', segment.far]);
  if (!(near && far)) {
    if (near) await run('ip', ['-n', NAMESPACE, 'link', 'del', segment.near]);
    if (far) await run('ip', ['-n', ns, 'link', 'del', segment.far]);
    await run('ip', [
      '-n',
      NAMESPACE,
      'link',
      'add',
      segment.near,
      'type',
      'veth',
      'peer',
      'name',
      segment.far,
      'netns',
      ns,
    ]);
  }
  await run('ip', ['-n', ns, 'link', 'set', segment.far, 'master', BRIDGE_NAME, 'up']);
}

/** Joins the near end to host 1's bridge (which exists once host 1's network is started). */
export async function attachToFirstBridge(host: HostPlan): Promise<void> {
  const { segment } = planOf(host);
  await run('ip', ['-n', NAMESPACE, 'link', 'set', segment.near, 'master', BRIDGE_NAME, 'up']);
}

/** Hosts 2.. that exist in any part (namespace, holder, directory), for `up` and `down`. */
export async function presentHosts(): Promise<number[]> {
  const found = new Set<number>();
  for (const ns of await namespaces()) {
    const m = new RegExp(`^${NAMESPACE}-h(\\d+)$`).exec(ns);
    if (m) found.add(Number(m[1]));
  }
  for (const d of await readdir(HOSTS_DIR).catch(() => [] as string[])) {
    const m = /^h(\d+)$/.exec(d);
    if (m) found.add(Number(m[1]));
  }
  return [...found].filter((n) => n >= 2 && n <= MAX_HOSTS).sort();
}

/** Removes host `number` entirely: guests, daemons, holder (each by pid), namespace, files. */
export async function removeHost(number: number, log: (s: string) => void): Promise<void> {
  const host = hostPlan(number);
  const { root, segment, mgmt } = planOf(host);
  const holder = await holderPid(host);
  if (holder) {
    const shell = enteredShell(holder);
    if (await libvirtReady(shell)) {
      const { stdout } = await shell.virsh(['list', '--name']);
      for (const name of stdout
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean))
        await shell.virsh(['destroy', name]).catch(() => undefined);
    }
  }
  await stopProcesses(host, log);
  await deleteNamespace(host.namespace);
  // The pairs die with the namespace, a moment after it is deleted (the kernel cleans up
  // behind); a near end left over from an earlier failure goes too.
  for (const dev of [segment.near, mgmt.near.dev])
    if (await succeeds('ip', ['-n', NAMESPACE, 'link', 'show', 'dev', dev]))
      await run('ip', ['-n', NAMESPACE, 'link', 'del', dev]).catch(() => undefined);
  await removeMachineLink(host.demo.near.dev);
  await rm(root, { recursive: true, force: true });
  log(`${host.id} removed`);
}

export async function removeHostsDir(): Promise<void> {
  if ((await presentHosts()).length === 0) await rm(HOSTS_DIR, { recursive: true, force: true });
}
