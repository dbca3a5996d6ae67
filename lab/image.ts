// Builds the guest image: Debian's kernel (unpacked from linux-image-amd64's package, not
// installed on the host), and an initramfs of busybox-static, the virtio-net modules, our init
// and the static probe. Rebuilt only when one of its inputs changes.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMAGE_DIR, paths } from './config';
import { LabError, run } from './run';

const here = dirname(fileURLToPath(import.meta.url));
const PROBE_SOURCE = join(here, 'probe', 'probe.c');
const GUEST_FILES = [join(here, 'guest', 'init'), join(here, 'guest', 'dhcp-script')];
/** Load order matters: each module needs the ones before it (libvirt-facts.md). */
const VIRTIO_MODULES = [
  'virtio_ring',
  'virtio',
  'virtio_pci_modern_dev',
  'virtio_pci_legacy_dev',
  'virtio_pci',
  'failover',
  'net_failover',
  'virtio_net',
];

async function kernelPackage(): Promise<string> {
  const { stdout } = await run('apt-cache', ['depends', 'linux-image-amd64']);
  const pkg = /Depends:\s*(linux-image-\S+)/.exec(stdout)?.[1];
  if (!pkg) throw new LabError(`cannot tell which kernel linux-image-amd64 depends on:\n${stdout}`);
  return pkg;
}

async function unpackKernel(pkg: string): Promise<string> {
  const root = join(IMAGE_DIR, 'kernel-root', pkg);
  if (existsSync(join(root, 'boot'))) return root;
  const debs = join(IMAGE_DIR, 'debs');
  await mkdir(debs, { recursive: true });
  const have = (await readdir(debs)).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!have) {
    // apt-get download writes into the current directory; run it there.
    await run('sh', ['-c', 'cd "$1" && apt-get download -q "$2"', 'sh', debs, pkg], {
      timeoutMs: 600_000,
    });
  }
  const deb = (await readdir(debs)).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) throw new LabError(`apt-get download ${pkg} left no .deb in ${debs}`);
  await mkdir(root, { recursive: true });
  await run('dpkg-deb', ['-x', join(debs, deb), root], { timeoutMs: 300_000 });
  return root;
}

async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = await findFile(p, name);
      if (found) return found;
    } else if (entry.name === name) return p;
  }
  return undefined;
}

async function inputsHash(pkg: string): Promise<string> {
  const h = createHash('sha256').update(pkg);
  for (const f of [PROBE_SOURCE, ...GUEST_FILES, '/bin/busybox']) h.update(await readFile(f));
  return h.digest('hex');
}

export interface GuestImage {
  /** Digest of every input: guests booted from another image are restarted by `up`. */
  hash: string;
  kernel: string;
  initrd: string;
  kernelPackage: string;
  rebuilt: boolean;
}

export async function buildImage(log: (s: string) => void): Promise<GuestImage> {
  await mkdir(IMAGE_DIR, { recursive: true });
  const pkg = await kernelPackage();
  const hash = await inputsHash(pkg);
  if (existsSync(paths.imageStamp) && existsSync(paths.kernel) && existsSync(paths.initrd)) {
    const stamp = JSON.parse(await readFile(paths.imageStamp, 'utf8')) as { hash?: string };
    if (stamp.hash === hash)
      return {
        hash,
        kernel: paths.kernel,
        initrd: paths.initrd,
        kernelPackage: pkg,
        rebuilt: false,
      };
  }
  log(`building guest image from ${pkg}, busybox-static and the probe`);
  const root = await unpackKernel(pkg);
  const bootDir = join(root, 'boot');
  const vmlinuz = (await readdir(bootDir)).find((f) => f.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new LabError(`no vmlinuz in ${bootDir}`);

  const tree = join(IMAGE_DIR, 'initramfs');
  await rm(tree, { recursive: true, force: true });
  for (const d of ['bin', 'dev', 'proc', 'sys', 'lib/modules', 'tmp', 'etc'])
    await mkdir(join(tree, d), { recursive: true });
  await copyFile('/bin/busybox', join(tree, 'bin', 'busybox'));
  await run('gcc', ['-static', '-O2', '-Wall', '-o', join(tree, 'bin', 'probe'), PROBE_SOURCE]);
  await copyFile(GUEST_FILES[0] as string, join(tree, 'init'));
  await copyFile(GUEST_FILES[1] as string, join(tree, 'bin', 'dhcp-script'));
  await chmod(join(tree, 'init'), 0o755);
  await chmod(join(tree, 'bin', 'dhcp-script'), 0o755);
  const modRoot = join(root, 'lib', 'modules');
  for (const m of VIRTIO_MODULES) {
    const ko = await findFile(modRoot, `${m}.ko`);
    if (!ko) throw new LabError(`module ${m}.ko not found under ${modRoot}`);
    await copyFile(ko, join(tree, 'lib', 'modules', `${m}.ko`));
  }
  await run('sh', [
    '-c',
    'cd "$1" && find . | cpio -o -H newc --quiet | gzip -6 > "$2"',
    'sh',
    tree,
    paths.initrd,
  ]);
  await copyFile(join(bootDir, vmlinuz), paths.kernel);
  // qemu runs as libvirt-qemu: the image must be world-readable.
  await chmod(IMAGE_DIR, 0o755);
  await chmod(paths.kernel, 0o644);
  await chmod(paths.initrd, 0o644);
  await writeFile(paths.imageStamp, JSON.stringify({ hash, kernelPackage: pkg }));
  return { hash, kernel: paths.kernel, initrd: paths.initrd, kernelPackage: pkg, rebuilt: true };
}
