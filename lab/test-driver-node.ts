// A libvirt test-driver node file (test:///path): one network and `n` running guests with one
// interface each on it. The benchmarks open it through the running libvirtd, so the reads cross
// the same socket and RPC as on a real host, without starting 2000 VMs; the UI tests open
// several, one per "host".

export interface TestDriverNodeOptions {
  /** Guests are named `${guestPrefix}1` .. `${guestPrefix}n`. */
  readonly guestPrefix?: string;
  /** The network's name; its bridge is `kc${network}0` (keep it short: 15 characters at most). */
  readonly network?: string;
  /** 0-255: keeps this node's UUIDs and MACs apart from another node's shown beside it. */
  readonly tag?: number;
}

export function testDriverNodeXml(
  n: number,
  { guestPrefix = 'scale-', network = 'scale', tag = 0 }: TestDriverNodeOptions = {},
): string {
  const hex = (i: number, width: number) => i.toString(16).padStart(width, '0');
  const uuid = (i: number) => `5ca1e0${hex(tag, 2)}-0000-4000-8000-${hex(i, 12)}`;
  const domains = Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    const mac = `52:54:${hex(tag, 2)}:5c:${hex(i, 4).slice(0, 2)}:${hex(i, 4).slice(2)}`;
    return `  <domain type='test'>
    <name>${guestPrefix}${i}</name>
    <uuid>${uuid(i)}</uuid>
    <memory>65536</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <devices>
      <interface type='network'>
        <mac address='${mac}'/>
        <source network='${network}'/>
        <target dev='vnet${i}'/>
      </interface>
    </devices>
  </domain>`;
  });
  return `<node>
  <network>
    <name>${network}</name>
    <uuid>${uuid(0)}</uuid>
    <bridge name='kc${network}0' stp='off' delay='0'/>
    <ip address='10.99.0.1' netmask='255.255.0.0'/>
  </network>
${domains.join('\n')}
</node>
`;
}
