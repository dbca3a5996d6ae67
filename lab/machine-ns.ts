// Lab suites run inside the lab's namespace (`ip netns exec kvmchaos ...`); the demo suites
// start what they test in the machine's own namespace, the one the run was launched from.
import { readFile, readlink, stat } from 'node:fs/promises';
import { NAMESPACE } from './config';
import { namespaces } from './host';

const parentOf = async (pid: number) =>
  Number(/^PPid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/**
 * The nearest ancestor of this process outside its network namespace, as /proc/PID/ns/net:
 * `ip netns exec` runs us from the machine's (init's own cannot be opened here, not even by root).
 */
export async function launchedFrom(): Promise<string> {
  const own = await readlink('/proc/self/ns/net');
  for (let pid = await parentOf(process.pid); pid > 1; pid = await parentOf(pid)) {
    const ns = await readlink(`/proc/${pid}/ns/net`).catch(() => own);
    if (ns !== own) return `/proc/${pid}/ns/net`;
  }
  throw new Error('no ancestor of this test runs outside the lab namespace');
}

/** argv that runs `argv` in the network namespace `netns` (a /proc/PID/ns/net). */
export const inNetns = (netns: string, argv: readonly string[]) => [
  'nsenter',
  `--net=${netns}`,
  ...argv,
];

/** Throws unless `netns` (a /proc/PID/ns/net) is none of the lab's namespaces. */
export async function assertOutsideLab(netns: string): Promise<void> {
  const inode = async (p: string) => (await stat(p)).ino;
  for (const ns of await namespaces())
    if (ns.startsWith(NAMESPACE) && (await inode(netns)) === (await inode(`/run/netns/${ns}`)))
      throw new Error(`${netns} is the lab's namespace ${ns}, not the machine's`);
}
