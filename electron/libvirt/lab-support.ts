// Shared by the lab suites and the benchmark of this folder: how to reach the lab's libvirtd
// (through its real sshd, and through the local socket), and small waits.
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabState } from '../../lab/lab-client';

/** Names of everything the libvirt suites create; cleaned up before and after each run. */
export const TEST_PREFIX = 'kvm-chaos-rpctest';

export function labTargets(state: LabState): { name: string; uri: string }[] {
  return [
    { name: 'ssh', uri: state.sshUri },
    { name: 'unix', uri: 'qemu:///system' },
  ];
}

/** The lab's ssh URI pointed at other key / known_hosts files (for the refusal tests). */
export function labSshUri(state: LabState, files: { key?: string; knownHosts?: string } = {}) {
  const { host, port, user, key, knownHosts } = state.ssh;
  const q = new URLSearchParams({
    keyfile: files.key ?? key,
    known_hosts: files.knownHosts ?? knownHosts,
  });
  return `qemu+ssh://${user}@${host}:${port}/system?${q.toString()}`;
}

export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const tempFiles = new Set<string>();

export async function tempFile(name: string, text: string, mode = 0o600): Promise<string> {
  const file = join(tmpdir(), `${TEST_PREFIX}-${process.pid}-${name}`);
  await writeFile(file, text, { mode });
  tempFiles.add(file);
  return file;
}

export async function removeTempFiles(): Promise<void> {
  for (const file of tempFiles) await rm(file, { force: true });
  tempFiles.clear();
}

/** The first `<interface>...</interface>` block of a domain XML. */
export function firstInterfaceXml(domainXml: string): string {
  const m = /<interface\b[\s\S]*?<\/interface>/.exec(domainXml);
  if (!m) throw new Error('the domain has no interface');
  return m[0];
}
