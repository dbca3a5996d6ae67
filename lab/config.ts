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
/** Libvirt hosts the lab can run side by side (`up --hosts N`); host 1 alone is the default. */
export const MAX_HOSTS = 3;
export const DEFAULT_HOSTS = 1;

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
  /** /dev/kvm's owner and mode before `up` shared it with group kvm (lab/kvm-device.ts). */
  kvmDevice: join(STATE_DIR, 'kvm-device.json'),
  libvirtdPid: '/run/libvirtd.pid',
  virtlogdPid: '/run/virtlogd.pid',
  console: (guest: string) => join(STATE_DIR, `${guest}.console`),
  /** `npm run demo`'s app data: the app's hosts.json naming the lab (KVM_CHAOS_CONFIG). */
  demoConfig: join(STATE_DIR, 'demo'),
  kernel: join(IMAGE_DIR, 'vmlinuz'),
  initrd: join(IMAGE_DIR, 'initrd.gz'),
  imageStamp: join(IMAGE_DIR, 'stamp.json'),
  accelCache: join(IMAGE_DIR, 'accel.json'),
} as const;

export type HostId = `h${number}`;

export interface LabGuest {
  /**
   * The guest's node number in the probe's masks, unique across hosts: guest i of host h is
   * node (h-1)*MAX_GUESTS + i (so host 1's guests keep 1..8).
   */
  readonly index: number;
  readonly host: HostId;
  readonly name: string;
  readonly mac: string;
  readonly ip: string;
}

/**
 * Guest `local` (1-based) of host `host`. Host 1's guests keep their names (lab-node1..) and
 * addresses; host h's are hH-node1.., MAC 52:54:00:00:0(h-1):ii, address .(10 + node). The
 * probe (lab/probe/probe.c) computes the same from the node number.
 */
export function guestPlan(local: number, host = 1): LabGuest {
  const node = (host - 1) * MAX_GUESTS + local;
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return {
    index: node,
    host: `h${host}`,
    name: host === 1 ? `lab-node${local}` : `h${host}-node${local}`,
    mac: `52:54:00:00:${hex(host - 1)}:${hex(local * 0x11)}`,
    ip: `${SUBNET_PREFIX}.${10 + node}`,
  };
}

export function guestsPlan(count: number, host = 1): LabGuest[] {
  return Array.from({ length: count }, (_, i) => guestPlan(i + 1, host));
}

/** Every guest any host could have: host 1's dnsmasq pins all their addresses up front. */
export function allGuestSlots(): LabGuest[] {
  return Array.from({ length: MAX_HOSTS }, (_, h) => guestsPlan(MAX_GUESTS, h + 1)).flat();
}

/**
 * A link-local /30 between two of the lab's namespaces (or the host's namespace and the
 * lab's): the lab's own addresses, routed nowhere.
 */
export interface LabLink {
  /** The end in the namespace the link comes from, its address. */
  readonly near: { dev: string; ip: string };
  /** The end inside the namespace it leads to, its address. */
  readonly far: { dev: string; ip: string };
}

const linkLocal = (third: number, nearDev: string, farDev: string): LabLink => ({
  near: { dev: nearDev, ip: `169.254.${third}.1` },
  far: { dev: farDev, ip: `169.254.${third}.2` },
});

/**
 * The demo link (issue 14): the host's namespace (kcdemo0, 169.254.100.1/30) to the lab's
 * namespace (kcdemo1, 169.254.100.2/30); host 1's sshd listens on 169.254.100.2 too, so the app
 * and the CLI outside the namespace reach the lab like any remote host.
 */
export const DEMO_LINK = linkLocal(100, 'kcdemo0', 'kcdemo1');

/** What `up --hosts N` makes for each host; host 1 is the lab as it always was. */
export interface HostPlan {
  readonly id: HostId;
  readonly number: number;
  readonly namespace: string;
  /** Where this host's sshd is reached from the lab's namespace (where tests run). */
  readonly sshHost: string;
  /**
   * Host 2 and up: a management link from the lab's namespace (kcm-hN, 169.254.10N.1/30) to the
   * host's (kcm0, 169.254.10N.2/30), and a bridge link from host 1's bridge (kcl-hN) to this
   * host's bridge (kcl0): one L2 segment, one DHCP server (host 1's dnsmasq).
   */
  readonly mgmt: LabLink | null;
  readonly segment: { near: string; far: string } | null;
  /**
   * How the machine's own namespace reaches this host's sshd (`npm run demo`): host 1 over
   * DEMO_LINK, host N over its own pair (kcdemoN, 169.254.(110+N).1/30, to kcdemo-in,
   * .2/30 inside its namespace). Each pair ends in one namespace of the lab's and nothing
   * routes between them (no default route anywhere, no forwarding), so no guest reaches the
   * machine through them.
   */
  readonly demo: LabLink;
  /** Host 2 and up: its private copies of libvirt's directories, pid files, sshd config. */
  readonly root: string | null;
}

/** Host 2 and up keep everything under here; `down` removes it. */
export const HOSTS_DIR = '/var/lib/kvm-chaos-lab-hosts';

export function hostPlan(number: number): HostPlan {
  if (number === 1)
    return {
      id: 'h1',
      number,
      namespace: NAMESPACE,
      sshHost: SSH_HOST,
      mgmt: null,
      segment: null,
      root: null,
      demo: DEMO_LINK,
    };
  const mgmt = linkLocal(100 + number, `kcm-h${number}`, 'kcm0');
  return {
    id: `h${number}`,
    number,
    namespace: `${NAMESPACE}-h${number}`,
    sshHost: mgmt.far.ip,
    mgmt,
    segment: { near: `kcl-h${number}`, far: 'kcl0' },
    root: join(HOSTS_DIR, `h${number}`),
    demo: linkLocal(110 + number, `kcdemo${number}`, 'kcdemo-in'),
  };
}

/** libvirt's directories a second host gets its own copy of (bind-mounted in its mount namespace). */
export const PRIVATE_LIBVIRT_DIRS = [
  '/etc/libvirt',
  '/var/lib/libvirt',
  '/run/libvirt',
  '/var/log/libvirt',
  '/var/cache/libvirt',
] as const;

/** Files of host 2 and up, as the host's own namespace sees them. */
export function hostPaths(root: string) {
  const inside = (dir: (typeof PRIVATE_LIBVIRT_DIRS)[number]) =>
    join(root, dir.slice(1).replaceAll('/', '-'));
  return {
    inside,
    holderPid: join(root, 'holder.pid'),
    virtlogdPid: join(root, 'virtlogd.pid'),
    libvirtdPid: join(root, 'libvirtd.pid'),
    sshdPid: join(root, 'sshd.pid'),
    sshdConfig: join(root, 'sshd_config'),
    sshdHostKey: join(root, 'ssh_host_ed25519_key'),
    /** Not paths.authorizedKeys: /var/lib/libvirt is the host's own copy in its namespace. */
    authorizedKeys: join(root, 'authorized_keys'),
    /** A guest's console as the tests read it (qemu writes it as paths.console inside). */
    console: (guest: string) =>
      join(
        inside('/var/lib/libvirt'),
        STATE_DIR.slice('/var/lib/libvirt/'.length),
        `${guest}.console`,
      ),
    imageDir: join(inside('/var/lib/libvirt'), IMAGE_DIR.slice('/var/lib/libvirt/'.length)),
  };
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
  // The traffic lab test counts frames on the guests' taps with it (an independent witness).
  'tcpdump',
  // The outside-cut lab test pings guests from their gateway address, as a user would.
  'iputils-ping',
] as const;
