// Cuts across hosts, judged by two simulated hosts' rules: every pair across the groups drops
// (on one of the hosts), every pair inside a group passes, and each cut is enforced once.
import { describe, expect, it } from 'vitest';
import { type MacAddress, macAddress, type PortDev, portDev, uuid } from '../libvirt/values';
import { cutKey } from './cut';
import {
  type CutIntent,
  intentElement,
  intentsFor,
  intentUri,
  parseIntentElement,
  wantedCuts,
} from './intent';
import { LibvirtSim } from './libvirt-sim';
import { placeAcrossHosts } from './placement';
import { planCuts } from './planner';
import { isRemotePort, withRemoteEnds } from './remote';
import type { GuestPort } from './snapshot';
import { complete, grudgeToCuts } from './topology';

type Host = 'h1' | 'h2';
const guests = [
  { name: 'a1', host: 'h1', mac: macAddress('52:54:00:00:01:01'), dev: portDev('vnet1') },
  { name: 'a2', host: 'h1', mac: macAddress('52:54:00:00:01:02'), dev: portDev('vnet2') },
  { name: 'b1', host: 'h2', mac: macAddress('52:54:00:00:02:01'), dev: portDev('vnet1') },
  { name: 'b2', host: 'h2', mac: macAddress('52:54:00:00:02:02'), dev: portDev('vnet2') },
] as const;
const byMac = new Map<string, (typeof guests)[number]>(guests.map((g) => [g.mac, g]));
const author = { instance: 'test:1', user: 'test@here' };

function portsOf(host: Host): GuestPort[] {
  return guests
    .filter((g) => g.host === host)
    .map((g, i) => ({
      guest: {
        name: g.name,
        uuid: uuid(`00000000-0000-4000-8000-00000000000${i + (host === 'h1' ? 1 : 5)}`),
      },
      mac: g.mac,
      portdev: g.dev,
      segment: 'bridge:kcbr0',
      uncuttable: null,
    }));
}

/** Each host plans from its own intents alone (remote ends included), as the engine does. */
function applyOnHosts(groups: MacAddress[][]) {
  const cuts = grudgeToCuts(complete(groups));
  const placed = placeAcrossHosts(cuts, {
    hostOf: (m) => byMac.get(m)?.host as Host,
    labelOf: (h) => `host ${h}`,
  });
  const sims = { h1: new LibvirtSim({}), h2: new LibvirtSim({}) };
  const intents: Record<Host, CutIntent[]> = { h1: [], h2: [] };
  const touched: string[] = [];
  for (const host of ['h1', 'h2'] as const) {
    const mine = placed.get(host) ?? [];
    const remote = new Map(mine.flatMap((p) => (p.remote ? [[cutKey(p.cut), p.remote]] : [])));
    intents[host] = intentsFor(
      mine.map((p) => p.cut),
      {
        nameOf: (m) => byMac.get(m)?.name ?? m,
        author,
        now: new Date(0),
        expiresAt: null,
        runId: null,
        remoteOf: (c) => remote.get(cutKey(c)) ?? null,
      },
    );
    const snapshot = withRemoteEnds(sims[host].snapshot(portsOf(host)), intents[host]);
    const plan = planCuts(snapshot, wantedCuts(intents[host], new Date(0)));
    sims[host].applyAll(plan.operations);
    touched.push(...plan.portsTouched.map((p) => `${host}:${p}`));
  }
  const drops = (from: MacAddress, to: MacAddress) => {
    const f = byMac.get(from) as (typeof guests)[number];
    const t = byMac.get(to) as (typeof guests)[number];
    const on = (host: Host, dev: PortDev) => (f.host === host || t.host === host ? dev : null);
    return (['h1', 'h2'] as const).some((h) =>
      sims[h].drops(
        { mac: f.mac, portdev: f.host === h ? on(h, f.dev) : null },
        { mac: t.mac, portdev: t.host === h ? on(h, t.dev) : null },
        { kind: 'icmp' },
      ),
    );
  };
  return { placed, intents, touched, drops };
}

describe('cuts across hosts', () => {
  const [a1, a2, b1, b2] = guests.map((g) => g.mac) as [
    MacAddress,
    MacAddress,
    MacAddress,
    MacAddress,
  ];

  it('splits two groups that mix hosts: every pair across drops, pairs within pass, 2 ports touched', () => {
    const { drops, touched, placed } = applyOnHosts([
      [a1, b1],
      [a2, b2],
    ]);
    const across = new Set([`${a1}${a2}`, `${a1}${b2}`, `${b1}${a2}`, `${b1}${b2}`]);
    for (const x of guests)
      for (const y of guests)
        if (x !== y) {
          const cut = across.has(`${x.mac}${y.mac}`) || across.has(`${y.mac}${x.mac}`);
          expect(drops(x.mac, y.mac), `${x.name} -> ${y.name}`).toBe(cut);
        }
    // A 4-cycle's smallest vertex cover has two ports; every cut is held by exactly one host.
    expect(touched).toHaveLength(2);
    const held = [...placed.values()].flat().map((p) => cutKey(p.cut));
    expect(new Set(held).size).toBe(held.length);
    expect(held).toHaveLength(4);
  });

  it('isolating a guest of host 2 touches only its port, and names host 1 ends as remote', () => {
    const { placed, intents, touched, drops } = applyOnHosts([[b1], [a1, a2, b2]]);
    expect(touched).toEqual(['h2:vnet1']);
    expect(placed.has('h1')).toBe(false);
    expect(intents.h2.map((i) => i.remote?.mac ?? null).sort()).toEqual([a1, a2, null].sort());
    expect(intents.h2.every((i) => i.remote === undefined || i.remote.host === 'host h1')).toBe(
      true,
    );
    expect(drops(a1, b1)).toBe(true);
    expect(drops(b1, a2)).toBe(true);
    expect(drops(a1, b2)).toBe(false);
  });

  it("the remote end is a tap-less port on the local end's segment, and only when not local", () => {
    const intent = intentsFor([{ from: a1, to: b1, direction: 'both', scope: { kind: 'all' } }], {
      nameOf: (m) => byMac.get(m)?.name ?? m,
      author,
      now: new Date(0),
      expiresAt: null,
      runId: null,
      remoteOf: () => ({ mac: b1, host: 'kvm2' }),
    });
    const snap = withRemoteEnds({ ports: portsOf('h1'), bindings: [], filters: [] }, intent);
    const remote = snap.ports.filter(isRemotePort);
    expect(remote).toHaveLength(1);
    expect(remote[0]).toMatchObject({ mac: b1, portdev: null, segment: 'bridge:kcbr0' });
    expect(remote[0]?.guest.name).toBe('b1@kvm2');
    // On host 2 the same MAC is local: nothing is added.
    const there = withRemoteEnds({ ports: portsOf('h2'), bindings: [], filters: [] }, intent);
    expect(there.ports.filter(isRemotePort)).toHaveLength(0);
  });
});

describe('the intent of a cut across hosts', () => {
  const [a1, b1] = [guests[0].mac, guests[2].mac];
  const base = intentsFor(
    [{ from: a1, to: b1, direction: 'one-way', scope: { kind: 'udp', port: 53 } }],
    {
      nameOf: (m) => byMac.get(m)?.name ?? m,
      author,
      now: new Date(Date.UTC(2026, 11, 2)),
      expiresAt: null,
      runId: 'run-1',
      remoteOf: () => ({ mac: b1, host: 'kvm2' }),
    },
  )[0] as CutIntent;
  const stored = (attrs: Record<string, string>) =>
    parseIntentElement(
      {
        name: 'kvmchaos:cut',
        attrs: { ...attrs, 'xmlns:kvmchaos': intentUri(base.cut) },
        children: [],
      },
      uuid('00000000-0000-4000-8000-000000000001'),
    );

  it('keeps the remote end through the domain metadata', () => {
    const e = intentElement(base);
    expect(e.attrs.remote).toBe(b1);
    expect(e.attrs['remote-host']).toBe('kvm2');
    expect(stored(e.attrs)?.remote).toEqual({ mac: b1, host: 'kvm2' });
  });

  it('refuses a remote MAC that is neither end of the cut', () => {
    const e = intentElement(base);
    expect(stored({ ...e.attrs, remote: '52:54:00:99:99:99' })).toBeNull();
    expect(stored({ ...e.attrs, remote: 'not-a-mac' })).toBeNull();
  });
});
