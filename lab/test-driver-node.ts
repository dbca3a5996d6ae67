// A libvirt test-driver node file (test:///path): one network and `n` running guests with one
// interface each on it. The benchmarks open it through the running libvirtd, so the reads cross
// the same socket and RPC as on a real host, without starting 2000 VMs.

export function testDriverNodeXml(n: number): string {
  const hex = (i: number) => i.toString(16).padStart(4, '0');
  const domains = Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    const mac = `52:54:00:5c:${hex(i).slice(0, 2)}:${hex(i).slice(2)}`;
    return `  <domain type='test'>
    <name>scale-${i}</name>
    <uuid>5ca1e000-0000-4000-8000-${i.toString(16).padStart(12, '0')}</uuid>
    <memory>65536</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <devices>
      <interface type='network'>
        <mac address='${mac}'/>
        <source network='scale'/>
        <target dev='vnet${i}'/>
      </interface>
    </devices>
  </domain>`;
  });
  return `<node>
  <network>
    <name>scale</name>
    <uuid>5ca1e000-0000-4000-8000-000000000000</uuid>
    <bridge name='kcscale0' stp='off' delay='0'/>
    <ip address='10.99.0.1' netmask='255.255.0.0'/>
  </network>
${domains.join('\n')}
</node>
`;
}
