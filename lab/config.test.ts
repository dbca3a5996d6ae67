import { describe, expect, it } from 'vitest';
import {
  allGuestSlots,
  DEMO_LINK,
  guestPlan,
  hostPlan,
  MAX_HOSTS,
  NAMESPACE,
  SSH_HOST,
} from './config';
import { buildFlows, parseRound } from './matrix';

describe("the lab's plan across hosts", () => {
  it('keeps host 1 as it always was: names, MACs, addresses, ssh on loopback', () => {
    expect(guestPlan(1)).toEqual({
      index: 1,
      host: 'h1',
      name: 'lab-node1',
      mac: '52:54:00:00:00:11',
      ip: '192.168.77.11',
    });
    expect(guestPlan(8).mac).toBe('52:54:00:00:00:88');
    expect(hostPlan(1)).toMatchObject({ namespace: NAMESPACE, sshHost: SSH_HOST, root: null });
  });

  it('names other hosts’ guests for their host, with the node numbers the probe computes', () => {
    // probe.c: node n is guest ((n-1)%8)+1 of host ((n-1)/8)+1, MAC 52:54:00:00:HH:LL.
    expect(guestPlan(2, 2)).toEqual({
      index: 10,
      host: 'h2',
      name: 'h2-node2',
      mac: '52:54:00:00:01:22',
      ip: '192.168.77.20',
    });
    expect(guestPlan(3, 3)).toMatchObject({
      index: 19,
      name: 'h3-node3',
      mac: '52:54:00:00:02:33',
    });
  });

  it('gives every slot of every host its own node, MAC and address', () => {
    const slots = allGuestSlots();
    for (const key of ['index', 'name', 'mac', 'ip'] as const)
      expect(new Set(slots.map((g) => g[key])).size, key).toBe(slots.length);
  });

  it('gives every host its own namespace and link-local /30s, none shared with the demo link', () => {
    const hosts = Array.from({ length: MAX_HOSTS }, (_, i) => hostPlan(i + 1));
    expect(new Set(hosts.map((h) => h.namespace)).size).toBe(MAX_HOSTS);
    const nets = hosts
      .flatMap((h) => (h.mgmt ? [h.demo, h.mgmt] : [h.demo]))
      .map((l) => l.near.ip.split('.').slice(0, 3).join('.'));
    expect(new Set(nets).size).toBe(nets.length);
    // Host 1 keeps the demo link it always had; each host's end in the machine's namespace
    // has a name of its own there, and every one of them starts with kcdemo (.ci/run looks).
    expect(hosts[0]?.demo).toEqual(DEMO_LINK);
    const machineEnds = hosts.map((h) => h.demo.near.dev);
    expect(new Set(machineEnds).size).toBe(MAX_HOSTS);
    for (const dev of machineEnds) expect(dev).toMatch(/^kcdemo\d$/);
    for (const h of hosts.slice(1)) expect(h.sshHost).toBe(h.mgmt?.far.ip);
  });

  it('reads probe masks longer than one host (a guest of host 1 that found host 2’s)', () => {
    const r1 = parseRound(
      '@kc v1 node=1 round=5 icmp=-1100000110 tcp=-1100000110 udp=-1100000100 macspoof=-0000000000 ipspoof=-0000000000',
    );
    const r9 = parseRound(
      '@kc v1 node=9 round=5 icmp=10000000-1 tcp=10000000-1 udp=10000000-1 macspoof=00000000-0 ipspoof=00000000-0',
    );
    if (!r1 || !r9) throw new Error('round lines did not parse');
    const flows = buildFlows([
      { name: 'lab-node1', node: 1, rounds: [r1] },
      { name: 'h2-node1', node: 9, rounds: [r9] },
    ]);
    const get = (from: string, to: string, p: string) =>
      flows.find((f) => f.from === from && f.to === to && f.protocol === p)?.ok;
    expect(get('lab-node1', 'h2-node1', 'icmp')).toBe(1);
    expect(get('h2-node1', 'lab-node1', 'icmp')).toBe(1);
    expect(get('h2-node1', 'lab-node1', 'udp')).toBe(1);
    expect(get('lab-node1', 'h2-node1', 'udp')).toBe(1);
  });
});
