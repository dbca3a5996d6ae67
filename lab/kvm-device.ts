// /dev/kvm as Debian's udev rule leaves it (group kvm, read-write for the group) while the lab is
// up. These machines run no udev, so it is root:root 0600. libvirt then finds KVM unusable for its
// qemu user (libvirt-qemu, group kvm), while its cached QEMU capabilities say KVM was there when
// QEMU was probed: it judges the cache stale at every lookup ("KVM was enabled when probing ...,
// but it is not available now" in its debug log) and probes QEMU again. That costs every
// `virsh start` and `define` 4 s on an idle machine and about 50 s while other TCG guests boot.
// The lab's guests still run under TCG unless KVM really boots them (detectAccel). `down` puts
// the device back as it was, from what `share` saved.
import { existsSync } from 'node:fs';
import { chmod, chown, readFile, rm, stat, writeFile } from 'node:fs/promises';

const DEVICE = '/dev/kvm';

type Saved = { mode: number; uid: number; gid: number };

async function kvmGroup(): Promise<number | null> {
  const line = (await readFile('/etc/group', 'utf8')).split('\n').find((l) => l.startsWith('kvm:'));
  const gid = Number(line?.split(':')[2]);
  return line && Number.isInteger(gid) ? gid : null;
}

/** Gives group kvm read-write on /dev/kvm, saving its owner and mode to `savedTo` first. */
export async function shareKvmDevice(savedTo: string): Promise<void> {
  const gid = existsSync(DEVICE) ? await kvmGroup() : null;
  if (gid === null) return;
  const now = await stat(DEVICE);
  const mode = now.mode & 0o7777;
  if (now.gid === gid && (mode & 0o060) === 0o060) return;
  // An earlier `up` may have saved the original already (the device is reset at boot).
  if (!existsSync(savedTo)) {
    const saved: Saved = { mode, uid: now.uid, gid: now.gid };
    await writeFile(savedTo, `${JSON.stringify(saved)}\n`);
  }
  await chown(DEVICE, now.uid, gid);
  await chmod(DEVICE, mode | 0o060);
}

/** Puts /dev/kvm's owner and mode back as `shareKvmDevice` found them. */
export async function restoreKvmDevice(savedTo: string): Promise<void> {
  if (!existsSync(savedTo)) return;
  const saved = JSON.parse(await readFile(savedTo, 'utf8')) as Saved;
  if (existsSync(DEVICE)) {
    await chown(DEVICE, saved.uid, saved.gid);
    await chmod(DEVICE, saved.mode);
  }
  await rm(savedTo, { force: true });
}
