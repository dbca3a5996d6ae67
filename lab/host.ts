// The lab's host side: Debian packages, the network namespace, and the daemons in it
// (virtlogd, libvirtd, sshd), each tracked by its own pid file.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { DEBIAN_PACKAGES, NAMESPACE, paths, SSH_HOST, SSH_PORT, STATE_DIR } from './config';
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

export async function namespaceExists(): Promise<boolean> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout.split('\n').some((l) => l.split(' ')[0] === NAMESPACE);
}

export async function ensureNamespace(): Promise<void> {
  if (!(await namespaceExists())) await run('ip', ['netns', 'add', NAMESPACE]);
  await run('ip', ['-n', NAMESPACE, 'link', 'set', 'lo', 'up']);
}

export async function deleteNamespace(): Promise<void> {
  if (await namespaceExists()) await run('ip', ['netns', 'del', NAMESPACE]);
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

export async function daemonState(name: string, pidFile: string): Promise<DaemonState> {
  const pid = await readPid(pidFile);
  const comm = pid ? await processName(pid) : null;
  const running = pid !== null && comm !== null && name.startsWith(comm);
  const inNamespace = running && (await namespaceOf(pid as number)) === NAMESPACE;
  return { name, pid: running ? pid : null, running, inNamespace };
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
    if (!existsSync(`/proc/${pid}`)) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function ensureDaemon(name: string, pidFile: string, start: () => Promise<unknown>) {
  const s = await daemonState(name, pidFile);
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

async function ensureKey(file: string, comment: string): Promise<string> {
  if (!existsSync(file))
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  const pub = (await readFile(`${file}.pub`, 'utf8')).trim().split(' ');
  return `${pub[0]} ${pub[1]}`;
}

const SSHD_CONFIG = `# kvm-chaos lab sshd: loopback of the lab namespace only, key auth only.
Port ${SSH_PORT}
ListenAddress ${SSH_HOST}
HostKey ${paths.sshdHostKey}
PidFile ${paths.sshdPid}
AuthorizedKeysFile ${paths.authorizedKeys}
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

export async function startSshd(): Promise<void> {
  const clientPub = await ensureKey(paths.clientKey, 'kvm-chaos-lab-client');
  const hostPub = await ensureKey(paths.sshdHostKey, 'kvm-chaos-lab-host');
  await writeFile(paths.authorizedKeys, `${clientPub} kvm-chaos-lab-client\n`, { mode: 0o600 });
  await writeFile(paths.knownHosts, `[${SSH_HOST}]:${SSH_PORT} ${hostPub}\n`, { mode: 0o644 });
  await writeFile(paths.sshdConfig, SSHD_CONFIG);
  await writeFile(
    paths.sshWrapper,
    `#!/bin/sh\n# ssh that trusts the lab's own host key only (virsh -c 'qemu+ssh://...?command=this').\nexec ssh -o UserKnownHostsFile=${paths.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes "$@"\n`,
    { mode: 0o755 },
  );
  await mkdir('/run/sshd', { recursive: true });
  await ensureDaemon('sshd', paths.sshdPid, () =>
    runInNs('/usr/sbin/sshd', ['-f', paths.sshdConfig]),
  );
}
