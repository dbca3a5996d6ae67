// The lab's fixed plan: one place for every name, address and path the lab uses.
import { join } from 'node:path';

export const NAMESPACE = 'kvmchaos';
/** Held by whatever changes the lab's guests or bindings (test runs, benchmarks). */
export const LAB_LOCK = '/tmp/kvm-chaos-lab.lock';
export const NETWORK_NAME = 'kvmchaos-lab';
export const BRIDGE_NAME = 'kcbr0';
export const SUBNET_PREFIX = '192.168.77';
export const GATEWAY_IP = `${SUBNET_PREFIX}.1`;
export const SSH_PORT = 2222;
export const SSH_HOST = '127.0.0.1';
export const MAX_GUESTS = 8;
export const DEFAULT_GUESTS = 3;
export const GUEST_MEMORY_MIB = 128;

/** Runtime state: keys, known_hosts, pid files, consoles. Removed by `down`. */
export const STATE_DIR = '/var/lib/libvirt/kvm-chaos-lab';
/** The built guest image, kept across `down` so the next `up` is quick (`down --purge` drops it). */
export const IMAGE_DIR = '/var/lib/libvirt/kvm-chaos-lab-image';

export const paths = {
  labJson: join(STATE_DIR, 'lab.json'),
  clientKey: join(STATE_DIR, 'id_ed25519'),
  knownHosts: join(STATE_DIR, 'known_hosts'),
  /** ssh for virsh's qemu+ssh (libvirt ignores known_hosts= with the ssh binary). */
  sshWrapper: join(STATE_DIR, 'ssh'),
  authorizedKeys: join(STATE_DIR, 'authorized_keys'),
  sshdConfig: join(STATE_DIR, 'sshd_config'),
  sshdHostKey: join(STATE_DIR, 'ssh_host_ed25519_key'),
  sshdPid: join(STATE_DIR, 'sshd.pid'),
  libvirtdPid: '/run/libvirtd.pid',
  virtlogdPid: '/run/virtlogd.pid',
  console: (guest: string) => join(STATE_DIR, `${guest}.console`),
  kernel: join(IMAGE_DIR, 'vmlinuz'),
  initrd: join(IMAGE_DIR, 'initrd.gz'),
  imageStamp: join(IMAGE_DIR, 'stamp.json'),
  accelCache: join(IMAGE_DIR, 'accel.json'),
} as const;

export interface LabGuest {
  readonly index: number;
  readonly name: string;
  readonly mac: string;
  readonly ip: string;
}

export function guestPlan(index: number): LabGuest {
  const hex = (index * 0x11).toString(16).padStart(2, '0');
  return {
    index,
    name: `lab-node${index}`,
    mac: `52:54:00:00:00:${hex}`,
    ip: `${SUBNET_PREFIX}.${10 + index}`,
  };
}

export function guestsPlan(count: number): LabGuest[] {
  return Array.from({ length: count }, (_, i) => guestPlan(i + 1));
}

/** Debian packages the lab needs; installed when missing, never anything from elsewhere. */
export const DEBIAN_PACKAGES = [
  'libvirt-daemon-system',
  'libvirt-clients',
  'qemu-system-x86',
  'qemu-utils',
  'openssh-server',
  'openssh-client',
  'ebtables',
  // nft reads the bridge rules without writing (the window test polls them).
  'nftables',
  'iptables',
  'dnsmasq-base',
  'busybox-static',
  'cpio',
  'gzip',
  'gcc',
  'libc6-dev',
  'iproute2',
  'netcat-openbsd',
] as const;
