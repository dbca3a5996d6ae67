// The lab's host side: Debian packages, the network namespace, and the daemons in it
// (virtlogd, libvirtd, sshd), each tracked by its own pid file.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import {
  DEBIAN_PACKAGES,
  DEMO_LINK,
  NAMESPACE,
  paths,
  SSH_HOST,
  SSH_PORT,
  STATE_DIR,
} from './config';
import { LabError, run, runInNs, sleep, succeeds } from './run';

export async function missingPackages(): Promise<string[]> {
  const missing: string[] = [];
  for (const pkg of DEBIAN_PACKAGES) {
    // dpkg-query's own format syntax, not a template: ${Status} is for dpkg to expand.
    const ok = await run('dpkg-query', ['-W', `-f=${'$'}{Status}`, pkg]).then(
      (r) => r.stdout.includes('install ok installed'),
      () => false,
    );
    if (!ok) missing.push(pkg);
  }
  return missing;
}

async function aptListsPresent(): Promise<boolean> {
  const files = await readdir('/var/lib/apt/lists').catch(() => [] as string[]);
  return files.some((f) => f.includes('_Packages'));
}

/** Installs what is missing from Debian's archive, and nothing from anywhere else. */
export async function installPackages(log: (s: string) => void): Promise<void> {
  const missing = await missingPackages();
  if (missing.length === 0 && (await aptListsPresent())) return;
  log(missing.length ? `installing ${missing.join(' ')}` : 'refreshing apt lists');
  await run('apt-get', ['update', '-q'], { timeoutMs: 600_000 });
  if (missing.length === 0) return;
  await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], {
    timeoutMs: 1_200_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export async function namespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

export async function namespaceExists(ns = NAMESPACE): Promise<boolean> {
  return (await namespaces()).includes(ns);
}

export async function ensureNamespace(ns = NAMESPACE): Promise<void> {
  if (!(await namespaceExists(ns))) await run('ip', ['netns', 'add', ns]);
  await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
}

export async function deleteNamespace(ns = NAMESPACE): Promise<void> {
  if (await namespaceExists(ns)) await run('ip', ['netns', 'del', ns]);
}

/** Ends every process still in a namespace of the lab's (dnsmasq, a stray qemu), by pid. */
export async function stopNamespacePids(ns: string, log: (s: string) => void): Promise<void> {
  if (!(await namespaceExists(ns))) return;
  const { stdout } = await run('ip', ['netns', 'pids', ns]);
  for (const pid of stdout
    .split('\n')
    .map(Number)
    .filter((p) => p > 0)) {
    log(`stopping leftover pid ${pid} in ${ns}`);
    await stopPid(pid);
  }
}

async function linkExists(dev: string, ns?: string): Promise<boolean> {
  return succeeds('ip', [...(ns ? ['-n', ns] : []), 'link', 'show', 'dev', dev]);
}

/**
 * A veth pair from namespace `from` (undefined: the host's own) into `to`, each end with its
 * link-local /30 address, up. Repairs a half-made pair by making it again.
 */
export async function ensureLink(
  link: { near: { dev: string; ip: string }; far: { dev: string; ip: string } },
  from: string | undefined,
  to: string,
): Promise<void> {
  const near = from ? ['-n', from] : [];
  const nearOk = await linkExists(link.near.dev, from);
  const farOk = await linkExists(link.far.dev, to);
  if (!(nearOk && farOk)) {
    if (nearOk) await run('ip', [...near, 'link', 'del', link.near.dev]);
    if (farOk) await run('ip', ['-n', to, 'link', 'del', link.far.dev]);
    await run('ip', [
      ...near,
      'link',
      'add',
      link.near.dev,
      'type',
      'veth',
      'peer',
      'name',
      link.far.dev,
      'netns',
      to,
    ]);
  }
  if (!from) {
    // No IPv6 autoconfiguration chatter from the host's end: only what the lab sends.
    await writeFile(`/proc/sys/net/ipv6/conf/${link.near.dev}/disable_ipv6`, '1').catch(
      () => undefined,
    );
  }
  await run('ip', [...near, 'addr', 'replace', `${link.near.ip}/30`, 'dev', link.near.dev]);
  await run('ip', ['-n', to, 'addr', 'replace', `${link.far.ip}/30`, 'dev', link.far.dev]);
  await run('ip', [...near, 'link', 'set', link.near.dev, 'up']);
  await run('ip', ['-n', to, 'link', 'set', link.far.dev, 'up']);
}

/** The demo link: the host's namespace to the lab's, so host 1's sshd is reachable from outside. */
export const ensureDemoLink = () => ensureLink(DEMO_LINK, undefined, NAMESPACE);

/**
 * Removes a demo link's end in the machine's namespace, by its name. Deleting the namespace of
 * its peer takes it too, but the kernel does that a moment later, and a half-made link has no
 * peer to take it: so delete it if it is still there, and return once it is gone.
 */
export async function removeMachineLink(dev: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (await linkExists(dev)) {
    await run('ip', ['link', 'del', dev]).catch(() => undefined);
    if (Date.now() > deadline)
      throw new LabError(`the link ${dev} is still there after deleting it`);
    await sleep(100);
  }
}

export async function readPid(file: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

async function processName(pid: number): Promise<string | null> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return null;
  }
}

/** The namespace a process lives in, or '' for the host's own. */
export async function namespaceOf(pid: number): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'identify', String(pid)]).catch(() => ({
    stdout: '',
  }));
  return stdout.trim();
}

export interface DaemonState {
  name: string;
  pid: number | null;
  running: boolean;
  inNamespace: boolean;
}

export async function daemonState(
  name: string,
  pidFile: string,
  ns = NAMESPACE,
): Promise<DaemonState> {
  const pid = await readPid(pidFile);
  const comm = pid && !(await gone(pid)) ? await processName(pid) : null;
  const running = pid !== null && comm !== null && name.startsWith(comm);
  const inNamespace = running && (await namespaceOf(pid as number)) === ns;
  return { name, pid: running ? pid : null, running, inNamespace };
}

/**
 * Whether a process has ended. A zombie has: daemons we started are orphans, and this machine's
 * init does not reap orphans at once, so their /proc entries linger after they exit.
 */
async function gone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat === null || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/** Ends a process we started, by its pid, and waits for it to be gone. */
export async function stopPid(pid: number, timeoutMs = 10_000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await gone(pid)) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export async function ensureDaemon(
  name: string,
  pidFile: string,
  start: () => Promise<unknown>,
  ns = NAMESPACE,
) {
  const s = await daemonState(name, pidFile, ns);
  if (s.running && s.inNamespace) return;
  if (s.running)
    throw new LabError(
      `${name} (pid ${s.pid}) runs outside the lab's namespace and owns ${pidFile}; ` +
        `only one ${name} can run per machine: stop it, then run 'lab up' again`,
    );
  await rm(pidFile, { force: true });
  await start();
}

export async function libvirtReady(): Promise<boolean> {
  return succeeds('virsh', ['-c', 'qemu:///system', 'version']);
}

export async function startLibvirt(): Promise<void> {
  await ensureDaemon('virtlogd', paths.virtlogdPid, () => runInNs('virtlogd', ['-d']));
  await ensureDaemon('libvirtd', paths.libvirtdPid, () => runInNs('libvirtd', ['-d']));
  const deadline = Date.now() + 30_000;
  while (!(await libvirtReady())) {
    if (Date.now() > deadline) throw new LabError('libvirtd started but does not answer virsh');
    await sleep(200);
  }
}

export async function stopLibvirtd(): Promise<void> {
  const s = await daemonState('libvirtd', paths.libvirtdPid);
  if (s.running && s.inNamespace && s.pid) await stopPid(s.pid);
}

export async function ensureKey(file: string, comment: string): Promise<string> {
  if (!existsSync(file))
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  const pub = (await readFile(`${file}.pub`, 'utf8')).trim().split(' ');
  return `${pub[0]} ${pub[1]}`;
}

export interface SshdPlan {
  listen: readonly string[];
  /** Where its files are: `paths` for host 1, hostPaths(root) for the others. */
  files: { sshdHostKey: string; sshdPid: string; authorizedKeys: string; sshdConfig: string };
  /** The network namespace it must run in. */
  ns: string;
  start: () => Promise<unknown>;
}

/** An sshd of the lab's: its namespace's loopback and link-local addresses only, key auth only. */
const sshdConfig = (
  o: SshdPlan,
) => `# kvm-chaos lab sshd: addresses of the lab's own namespaces only, key auth only.
Port ${SSH_PORT}
${o.listen.map((a) => `ListenAddress ${a}`).join('\n')}
HostKey ${o.files.sshdHostKey}
PidFile ${o.files.sshdPid}
AuthorizedKeysFile ${o.files.authorizedKeys}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 200:30:400
MaxSessions 50
`;

export async function ensureStateDir(): Promise<void> {
  await mkdir(STATE_DIR, { recursive: true });
  await chmod(STATE_DIR, 0o755);
}

/**
 * Writes an sshd's config and makes sure it runs with it: an sshd started with another config
 * (an older lab's) is stopped by its pid and started again.
 */
export async function ensureSshd(o: SshdPlan): Promise<void> {
  const config = sshdConfig(o);
  const before = await readFile(o.files.sshdConfig, 'utf8').catch(() => null);
  await writeFile(o.files.sshdConfig, config);
  await mkdir('/run/sshd', { recursive: true });
  const s = await daemonState('sshd', o.files.sshdPid, o.ns);
  if (s.running && s.inNamespace && before !== config && s.pid) await stopPid(s.pid);
  await ensureDaemon('sshd', o.files.sshdPid, o.start, o.ns);
}

/** The lab's known_hosts: each address an sshd of the lab's is reached at, with its key. */
export async function writeKnownHosts(entries: readonly { host: string; key: string }[]) {
  const lines = entries.map((e) => `[${e.host}]:${SSH_PORT} ${e.key}\n`).join('');
  await writeFile(paths.knownHosts, lines, { mode: 0o644 });
}

/** Host 1's sshd: the lab namespace's loopback, and the demo link's address. */
export async function startSshd(): Promise<{ hostKey: string }> {
  const clientPub = await ensureKey(paths.clientKey, 'kvm-chaos-lab-client');
  const hostPub = await ensureKey(paths.sshdHostKey, 'kvm-chaos-lab-host');
  await writeFile(paths.authorizedKeys, `${clientPub} kvm-chaos-lab-client\n`, { mode: 0o600 });
  // Until `up` writes every host's entry, host 1's own.
  if (!existsSync(paths.knownHosts)) await writeKnownHosts([{ host: SSH_HOST, key: hostPub }]);
  await writeFile(
    paths.sshWrapper,
    `#!/bin/sh\n# ssh that trusts the lab's own host key only (virsh -c 'qemu+ssh://...?command=this').\nexec ssh -o UserKnownHostsFile=${paths.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes "$@"\n`,
    { mode: 0o755 },
  );
  await ensureDemoLink();
  await ensureSshd({
    listen: [SSH_HOST, DEMO_LINK.far.ip],
    files: paths,
    ns: NAMESPACE,
    start: () => runInNs('/usr/sbin/sshd', ['-f', paths.sshdConfig]),
  });
  return { hostKey: hostPub };
}
