// Running host commands for the lab: argv arrays only (no shell strings), errors that quote
// what the command said.
import { execFile, spawn } from 'node:child_process';
import { NAMESPACE } from './config';

export class LabError extends Error {
  override readonly name = 'LabError';
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      {
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        env: opts.env ?? process.env,
      },
      (err, stdout, stderr) => {
        if (err) {
          const said = (stderr || stdout || err.message).trim().split('\n').slice(-6).join('\n');
          reject(new LabError(`${cmd} ${args.join(' ')} failed: ${said}`));
        } else resolve({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like run, but resolves to false instead of throwing. */
export async function succeeds(cmd: string, args: readonly string[]): Promise<boolean> {
  try {
    await run(cmd, args);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command inside the lab's network namespace. */
export function runInNs(cmd: string, args: readonly string[], opts?: Parameters<typeof run>[2]) {
  return run('ip', ['netns', 'exec', NAMESPACE, cmd, ...args], opts);
}

export function virsh(args: readonly string[], opts?: Parameters<typeof run>[2]) {
  return run('virsh', ['-q', '-c', 'qemu:///system', ...args], opts);
}

/**
 * How the lab's own code reaches one libvirt host: commands in its network namespace, and virsh
 * on its libvirtd's local socket. Host 1 shares the machine's mount namespace; host 2 and up
 * live in a mount namespace of their own, entered through the process that holds it.
 */
export interface HostShell {
  run(cmd: string, args: readonly string[], opts?: Parameters<typeof run>[2]): Promise<RunResult>;
  virsh(args: readonly string[], opts?: Parameters<typeof run>[2]): Promise<RunResult>;
}

export const firstHostShell: HostShell = { run: runInNs, virsh };

/** Commands inside the network, mount and UTS namespaces of the process `holderPid`. */
export function enteredShell(holderPid: number): HostShell {
  const enter = (cmd: string, args: readonly string[], opts?: Parameters<typeof run>[2]) =>
    run('nsenter', ['-t', String(holderPid), '-m', '-n', '-u', cmd, ...args], opts);
  return {
    run: enter,
    virsh: (args, opts) => enter('virsh', ['-q', '-c', 'qemu:///system', ...args], opts),
  };
}

/** Runs a command in the namespace with the terminal attached; resolves to its exit code. */
export function execInNs(argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', NAMESPACE, ...argv], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.on('error', () => resolve(127));
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
