// The lab's libvirt objects on each host: host 1's isolated network with fixed DHCP host
// entries (for every guest of every host), the other hosts' networks bridged onto the same
// segment, and N guests per host booted straight from our kernel and initramfs, their consoles
// written to files the tests read.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLBuilder } from 'fast-xml-parser';
import {
  allGuestSlots,
  BRIDGE_NAME,
  GATEWAY_IP,
  GUEST_MEMORY_MIB,
  guestPlan,
  type HostPlan,
  type LabGuest,
  MAX_GUESTS,
  NAMESPACE,
  NETWORK_NAME,
  paths,
  SUBNET_PREFIX,
} from './config';
import { stopPid } from './host';
import type { HostShell } from './run';

const xml = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true });

/**
 * Host 1's network: the segment's one DHCP server. It pins the address of every guest any host
 * may have, so adding a host never changes (or restarts) it.
 */
export function networkXml(guests: readonly LabGuest[] = allGuestSlots()): string {
  return xml.build({
    network: {
      name: NETWORK_NAME,
      bridge: { '@name': BRIDGE_NAME, '@stp': 'off', '@delay': '0' },
      ip: {
        '@address': GATEWAY_IP,
        '@netmask': '255.255.255.0',
        dhcp: {
          range: { '@start': `${SUBNET_PREFIX}.100`, '@end': `${SUBNET_PREFIX}.200` },
          // Leases never expire: the guests ask once at boot, and a lab lives for hours.
          host: guests.map((g) => ({
            '@mac': g.mac,
            '@name': g.name,
            '@ip': g.ip,
            lease: { '@expiry': '0' },
          })),
        },
      },
    },
  });
}

/** Host 2 and up: a bridge made by hand, joined to host 1's by a veth pair; no DHCP of its own. */
export function bridgedNetworkXml(): string {
  return xml.build({
    network: {
      name: NETWORK_NAME,
      forward: { '@mode': 'bridge' },
      bridge: { '@name': BRIDGE_NAME },
    },
  });
}

export type Accel = 'kvm' | 'qemu';

export function domainXml(
  g: LabGuest,
  count: number,
  accel: Accel,
  imageHash: string,
  uuid?: string,
): string {
  const body = {
    '@type': accel,
    name: g.name,
    description: '',
    memory: { '@unit': 'MiB', '#text': GUEST_MEMORY_MIB },
    vcpu: 1,
    os: {
      type: { '@arch': 'x86_64', '@machine': 'pc', '#text': 'hvm' },
      kernel: paths.kernel,
      initrd: paths.initrd,
      // Host 1's line stays as it always was; other hosts say where their node numbers start.
      cmdline: `console=ttyS0 quiet loglevel=1 panic=5 kc.node=${g.index} kc.nodes=${count}${
        g.host === 'h1' ? '' : ` kc.first=${guestPlan(1, hostNumber(g)).index}`
      }`,
    },
    on_poweroff: 'destroy',
    on_crash: 'destroy',
    devices: {
      interface: {
        '@type': 'network',
        mac: { '@address': g.mac },
        source: { '@network': NETWORK_NAME },
        model: { '@type': 'virtio' },
      },
      serial: {
        '@type': 'file',
        source: { '@path': paths.console(g.name), '@append': 'off' },
        target: { '@port': '0' },
      },
      console: {
        '@type': 'file',
        source: { '@path': paths.console(g.name), '@append': 'off' },
        target: { '@type': 'serial', '@port': '0' },
      },
      memballoon: { '@model': 'none' },
    },
  };
  // The description carries a digest of everything above, so `up` can tell whether a running
  // guest booted with the configuration it would define now.
  const digest = createHash('sha256')
    .update(JSON.stringify(body))
    .update(imageHash)
    .digest('hex')
    .slice(0, 16);
  body.description = `kvm-chaos lab guest; config ${digest}`;
  // Redefining an existing domain must keep its uuid, or libvirt refuses the name.
  return xml.build({ domain: uuid ? { uuid, ...body } : body });
}

const hostNumber = (g: LabGuest) => Number(g.host.slice(1));

export async function listDomains(sh: HostShell): Promise<{ name: string; running: boolean }[]> {
  const { stdout } = await sh.virsh(['list', '--all', '--name']);
  const names = stdout
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  const active = new Set(
    (await sh.virsh(['list', '--name'])).stdout
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return names.map((name) => ({ name, running: active.has(name) }));
}

/** The local number of a lab guest of `host`, from its name; null for any other domain. */
export function labGuestNumber(name: string, host: HostPlan): number | null {
  const prefix = host.number === 1 ? 'lab-node' : `${host.id}-node`;
  const m = /^(.+-node)([1-9])$/.exec(name);
  return m && m[1] === prefix ? Number(m[2]) : null;
}

export async function ensureNetwork(sh: HostShell, host: HostPlan): Promise<'kept' | 'created'> {
  const slots = allGuestSlots();
  const want = host.number === 1 ? networkXml(slots) : bridgedNetworkXml();
  const defined = await sh.virsh(['net-dumpxml', '--inactive', NETWORK_NAME]).then(
    (r) => r.stdout,
    () => null,
  );
  const matches =
    host.number === 1
      ? !!defined?.includes(`name='${BRIDGE_NAME}'`) &&
        slots.every((g) => defined?.includes(`mac='${g.mac}'`)) &&
        (defined?.match(/<host /g) ?? []).length === slots.length &&
        (defined?.match(/<lease expiry='0'/g) ?? []).length === slots.length
      : !!defined?.includes(`name='${BRIDGE_NAME}'`) && !!defined?.includes(`mode='bridge'`);
  if (!matches) {
    // Guests on the network must be stopped before it is replaced.
    for (const d of await listDomains(sh))
      if (labGuestNumber(d.name, host) !== null && d.running) await destroy(sh, d.name);
    if (defined !== null) {
      await sh.virsh(['net-destroy', NETWORK_NAME]).catch(() => undefined);
      await sh.virsh(['net-undefine', NETWORK_NAME]);
    }
    await defineFromString(sh, ['net-define'], want);
  }
  const active = (await sh.virsh(['net-list', '--name'])).stdout.split('\n').map((s) => s.trim());
  if (!active.includes(NETWORK_NAME)) await sh.virsh(['net-start', NETWORK_NAME]);
  return matches ? 'kept' : 'created';
}

async function defineFromString(sh: HostShell, cmd: readonly string[], text: string) {
  // virsh cannot open a socket as /dev/stdin (Node's child stdio), so the XML goes via a file,
  // under /tmp: every host's mount namespace sees the same /tmp.
  const dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-lab-'));
  const file = join(dir, 'define.xml');
  await writeFile(file, text);
  try {
    await sh.virsh([...cmd, file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function destroy(sh: HostShell, name: string): Promise<void> {
  await sh.virsh(['destroy', name]).catch(() => undefined);
}

export async function ensureGuests(
  sh: HostShell,
  host: HostPlan,
  count: number,
  accel: Accel,
  imageHash: string,
): Promise<string[]> {
  const changed: string[] = [];
  const existing = await listDomains(sh);
  // Guests beyond the wanted count (from an earlier, larger lab) go.
  for (const d of existing)
    if ((labGuestNumber(d.name, host) ?? 0) > count) {
      await destroy(sh, d.name);
      await sh.virsh(['undefine', d.name]);
    }
  for (let i = 1; i <= count; i++) {
    const g = guestPlan(i, host.number);
    const d = existing.find((e) => e.name === g.name);
    const uuid = d ? (await sh.virsh(['domuuid', g.name])).stdout.trim() : undefined;
    const want = domainXml(g, count, accel, imageHash, uuid);
    const digest = /config [0-9a-f]+/.exec(want)?.[0] as string;
    const live = d?.running ? (await sh.virsh(['dumpxml', g.name])).stdout : null;
    if (live?.includes(digest)) continue;
    if (d?.running) await destroy(sh, g.name);
    await defineFromString(sh, ['define'], want);
    await sh.virsh(['start', g.name]);
    changed.push(g.name);
  }
  return changed;
}

export async function removeGuests(sh: HostShell, host: HostPlan): Promise<void> {
  for (const d of await listDomains(sh)) {
    if (labGuestNumber(d.name, host) === null) continue;
    if (d.running) await destroy(sh, d.name);
    await sh.virsh(['undefine', d.name]);
  }
}

export async function removeNetwork(sh: HostShell): Promise<void> {
  await sh.virsh(['net-destroy', NETWORK_NAME]).catch(() => undefined);
  await sh.virsh(['net-undefine', NETWORK_NAME]).catch(() => undefined);
}

/**
 * Whether hardware virtualisation really boots a kernel here. /dev/kvm can exist and still
 * spin a guest at 100% CPU with no output (libvirt-facts.md), so we boot our own initramfs in
 * a check mode under -accel kvm and wait for its one line. The answer is cached per kernel.
 */
export async function detectAccel(kernelPackage: string, log: (s: string) => void): Promise<Accel> {
  if (!existsSync('/dev/kvm')) return 'qemu';
  try {
    const cached = JSON.parse(await readFile(paths.accelCache, 'utf8')) as {
      kernelPackage: string;
      accel: Accel;
    };
    if (cached.kernelPackage === kernelPackage) return cached.accel;
  } catch {
    // no cache yet
  }
  log('checking whether KVM boots a guest here (up to 25 s)');
  const booted = await new Promise<boolean>((resolve) => {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        NAMESPACE,
        'qemu-system-x86_64',
        '-accel',
        'kvm',
        '-m',
        '128',
        '-nographic',
        '-no-reboot',
        '-nic',
        'none',
        '-monitor',
        'none',
        '-serial',
        'stdio',
        '-kernel',
        paths.kernel,
        '-initrd',
        paths.initrd,
        '-append',
        'console=ttyS0 quiet loglevel=1 kc.mode=bootcheck',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      if (child.pid && child.exitCode === null) void stopPid(child.pid, 2000);
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 25_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('@kc boot-ok')) finish(true);
    });
    child.on('exit', () => finish(out.includes('@kc boot-ok')));
  });
  const accel: Accel = booted ? 'kvm' : 'qemu';
  await writeFile(paths.accelCache, JSON.stringify({ kernelPackage, accel }));
  return accel;
}

export { MAX_GUESTS };
