// `kvm-chaos` as a process of its own that a suite can watch and signal while it runs: its pid
// for SIGINT, SIGTERM or SIGKILL, its output so far, and how it ended.
import { spawn } from 'node:child_process';

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface CliProcess {
  readonly pid: number;
  /** What it printed so far. */
  output(): { stdout: string; stderr: string };
  readonly exited: Promise<CliRun>;
}

/**
 * Starts `node bin/kvm-chaos.js -c qemu:///system ARGS` (or a -c for each of `connect`): one
 * process (no npx wrapper), so a signal reaches the engine itself.
 */
export function startKvmChaos(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; connect?: readonly string[] } = {},
): CliProcess {
  const t0 = performance.now();
  const connect = (opts.connect ?? ['qemu:///system']).flatMap((uri) => ['-c', uri]);
  const child = spawn(process.execPath, ['bin/kvm-chaos.js', ...connect, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b));
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  const exited = new Promise<CliRun>((resolve) =>
    child.on('exit', (code, signal) =>
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }),
    ),
  );
  if (child.pid === undefined) throw new Error('kvm-chaos did not start');
  return { pid: child.pid, output: () => ({ stdout, stderr }), exited };
}
