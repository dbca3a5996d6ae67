#!/usr/bin/env tsx
// `npm run demo` (root, Linux): the lab up, then the app started as `npm start` starts it (the
// desktop app, or the browser mode where there is no Electron binary) with a hosts list of its
// own that names the lab: ssh to host 1's sshd at the demo link's address (169.254.100.2, the
// lab's own, reached from this machine's namespace), its key and its known_hosts. Runs until
// the app exits (Ctrl-C in the browser mode). `--no-up` starts the app on the lab as it is.
// `--hosts N` brings up a lab of N libvirt hosts and names each in the app's list, each reached
// over its own demo link (HostPlan.demo) at its own address.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_LOCK, MAX_HOSTS, paths } from './config';
import { type LabDemoHost, type LabState, readLabState } from './lab';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** The lab's hosts as the machine's namespace reaches them (a lab.json of before: host 1). */
export const demoHosts = (state: LabState): LabDemoHost[] =>
  state.demo.hosts ?? [{ ...state.demo, id: 'h1' }];

/** The app's hosts.json (electron/engine/profiles.ts) naming every host of the lab. */
export async function seedDemoConfig(state: LabState, dir = paths.demoConfig): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const all = demoHosts(state);
  const hosts = {
    version: 1,
    hosts: all.map(({ id, ssh, sshUri }) => ({
      id: `${ssh.user}@${ssh.host}:${ssh.port}`,
      // keyfile= and known_hosts= in the URI: the app checks the lab's key against the lab's
      // known_hosts, not the user's.
      uri: sshUri,
      label: all.length > 1 ? `kvm-chaos lab ${id}` : 'kvm-chaos lab',
      auth: { method: 'key', keyPath: ssh.key },
    })),
  };
  await writeFile(join(dir, 'hosts.json'), `${JSON.stringify(hosts, null, 2)}\n`, { mode: 0o600 });
  return dir;
}

/** `--hosts N` or `--hosts=N`: N as given (lab up checks it too), '' when absent, null if bad. */
function hostsOption(argv: readonly string[]): string | null {
  const i = argv.findIndex((a) => a === '--hosts' || a.startsWith('--hosts='));
  if (i < 0) return '';
  const a = argv[i] as string;
  const n = a.includes('=') ? a.slice(a.indexOf('=') + 1) : (argv[i + 1] ?? '');
  const v = Number(n);
  return Number.isInteger(v) && v >= 1 && v <= MAX_HOSTS ? String(v) : null;
}

async function main(argv: string[]): Promise<number> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    console.error('demo: needs root on Linux (the lab runs libvirtd in network namespaces)');
    return 1;
  }
  const hostsArg = hostsOption(argv);
  if (hostsArg === null) {
    console.error(`demo: --hosts takes a whole number from 1 to ${MAX_HOSTS}`);
    return 1;
  }
  if (!argv.includes('--no-up')) {
    const up = spawnSync(
      'flock',
      [
        LAB_LOCK,
        TSX,
        join(ROOT, 'lab', 'cli.ts'),
        'up',
        ...(hostsArg ? ['--hosts', hostsArg] : []),
      ],
      { stdio: 'inherit' },
    );
    if (up.status !== 0) {
      console.error('demo: the lab did not come up (see above)');
      return up.status ?? 1;
    }
  }
  const state = await readLabState();
  const dir = await seedDemoConfig(state);
  const at = demoHosts(state).map((h) => `${h.ssh.host}:${h.ssh.port}`);
  console.error(`demo: the app's hosts: the lab at ${at.join(', ')} (${dir}/hosts.json)`);
  // KVM_CHAOS_CONFIG is where `serve` keeps hosts.json, KVM_CHAOS_USER_DATA the desktop app's.
  const env = { ...process.env, KVM_CHAOS_CONFIG: dir, KVM_CHAOS_USER_DATA: dir };
  const app = spawn(TSX, [join(ROOT, 'electron', 'main', 'launch.ts'), '--or-serve'], {
    stdio: 'inherit',
    env,
    cwd: ROOT,
  });
  return new Promise((done) => app.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0))));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(fileURLToPath(import.meta.url))) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
