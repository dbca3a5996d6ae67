// The demo suites start `npm run demo`'s app (lab/demo.ts --no-up) in the machine's own
// namespace and watch, from there, which of the lab's sshds it holds connections to.
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { stopPid } from './host';
import { inNetns } from './machine-ns';
import { run } from './run';

const ROOT = resolve(import.meta.dirname, '..');

export interface DemoApp {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
}

/** lab/demo.ts --no-up in `netns`, in a process group of its own (stopDemoApp ends it all). */
export function startDemoApp(netns: string): DemoApp {
  const [cmd, ...args] = inNetns(netns, [
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    join(ROOT, 'lab', 'demo.ts'),
    '--no-up',
  ]);
  const child = spawn(cmd as string, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b));
  child.stderr?.on('data', (b: Buffer) => (out += b));
  return { child, output: () => out };
}

export async function stopDemoApp(app: DemoApp | null): Promise<void> {
  const pid = app?.child.pid;
  if (!pid) return;
  // The launcher and what it started share the process group we gave it.
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // already gone
  }
  await stopPid(pid);
}

/** ESTABLISHED TCP connections in `netns` to host:port (ss lines, with their processes). */
export async function establishedTo(netns: string, host: string, port: number): Promise<string[]> {
  const [cmd, ...args] = inNetns(netns, [
    'ss',
    '-tnpH',
    'state',
    'established',
    'dst',
    `${host}:${port}`,
  ]);
  const { stdout } = await run(cmd as string, args);
  return stdout.split('\n').filter((l) => l.includes(`${host}:${port}`));
}
