// While the lab is up, libvirt keeps its QEMU capabilities cache: looking QEMU up rewrites no
// cache file. Before lab/kvm-device.ts, /dev/kvm (root:root 0600 on machines without udev) made
// libvirt judge the cache stale at every lookup and probe QEMU again, which cost each guest start
// 4-50 s. The device is then group kvm with read-write for the group, as Debian's udev leaves it;
// `.ci/run` checks that `down` puts it back as it was.
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { virsh } from './lab-client';

const CACHE = '/var/cache/libvirt/qemu/capabilities';

async function cacheFiles(): Promise<Record<string, number>> {
  const names = (await readdir(CACHE)).filter((f) => f.endsWith('.xml'));
  const entries = await Promise.all(
    names.map(async (f) => [f, (await stat(join(CACHE, f))).mtimeMs] as const),
  );
  return Object.fromEntries(entries);
}

describe('libvirt and /dev/kvm while the lab is up', () => {
  it('looks QEMU up from its capabilities cache, without probing it again', async () => {
    // The first lookup may fill the cache; the next ones must find it valid.
    await virsh(['domcapabilities', '--virttype', 'qemu']);
    const before = await cacheFiles();
    expect(Object.keys(before).length).toBeGreaterThan(0);
    for (let i = 0; i < 2; i++) await virsh(['domcapabilities', '--virttype', 'qemu']);
    expect(await cacheFiles()).toEqual(before);
  });

  it('/dev/kvm, where there is one, is group kvm with read-write for the group', async () => {
    if (!existsSync('/dev/kvm')) return expect(existsSync('/dev/kvm')).toBe(false);
    const kvm = (await readFile('/etc/group', 'utf8'))
      .split('\n')
      .find((l) => l.startsWith('kvm:'));
    const device = await stat('/dev/kvm');
    expect(device.gid).toBe(Number(kvm?.split(':')[2]));
    expect(device.mode & 0o060).toBe(0o060);
  });
});
