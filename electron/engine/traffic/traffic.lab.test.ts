// Live traffic (issue 15, item 1) against the lab through its real sshd, judged by witnesses that
// share nothing with our code: tcpdump on the guests' taps (inside the lab's namespace) and
// `ebtables -t nat -L --Lc` run by the test itself.
//  - the rates of an uncut port add up to the packets tcpdump saw on its tap over the same time;
//  - a cut link's drop count is the ebtables counters of its rules (between two readings the
//    test takes around it), and the growth of those counters is what tcpdump saw the guests send
//    that the rules match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactlyCut, fullyConnected, holds, runInNs, waitForMatrix } from '../../../lab/lab-client';
import { type ChaosEvent, type TrafficSample, unwrap } from '../../../shared/api';
import {
  capture,
  cutBetween,
  type Frame,
  type LabEngine,
  labEngine,
  ourFilters,
} from '../lab-support';

let lab: LabEngine;
const samples: TrafficSample[] = [];
let stopListening: () => void = () => {};

/** The test's own reading: packets counted by the DROP rules in a port's root chains. */
async function ebtablesDrops(
  port: string,
): Promise<{ at: number; packets: number; fromGuest: number; toGuest: number }> {
  const { stdout } = await runInNs('ebtables', ['-t', 'nat', '-L', '--Lc']);
  const at = Date.now();
  let chain = '';
  const n = { fromGuest: 0, toGuest: 0 };
  for (const line of stdout.split('\n')) {
    const c = /^Bridge chain: (\S+),/.exec(line);
    if (c) chain = c[1] as string;
    const m = / -j DROP , pcnt = (\d+) /.exec(line);
    if (m && chain === `libvirt-I-${port}`) n.fromGuest += Number(m[1]);
    if (m && chain === `libvirt-O-${port}`) n.toGuest += Number(m[1]);
  }
  return { at, packets: n.fromGuest + n.toGuest, ...n };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  lab = await labEngine();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: lab.lab, what: 'a lab' });
  expect(await ourFilters()).toEqual([]);
  stopListening = lab.engine.subscribe((e: ChaosEvent) => {
    if (e.type === 'traffic.sample' && e.hostId === lab.hostId) samples.push(e);
  });
});

afterAll(async () => {
  stopListening();
  await lab?.engine['chaos.heal']({ all: true });
  await lab?.close();
});

describe('live traffic', () => {
  it('samples about once a second while watched, and stops when the watch runs out', async () => {
    const { until } = unwrap(await lab.engine['traffic.watch']({ seconds: 3 }));
    expect(until).toBeGreaterThan(Date.now());
    const from = samples.length;
    await sleep(6000);
    const got = samples.slice(from);
    // 3 s of watching at 1/s: the first sample only sets the counters' baseline.
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got.length).toBeLessThanOrEqual(4);
    const after = samples.length;
    await sleep(2500);
    expect(samples.length).toBe(after);
  });

  it("gives a port's rates that add up to what tcpdump saw on its tap, both ways", async () => {
    const node3 = await lab.guest('lab-node3');
    const port = node3.interfaces[0]?.portdev as string;
    unwrap(await lab.engine['traffic.watch']({ seconds: 30 }));
    await sleep(2500); // a baseline reading first
    // Every frame (the probe forges source MACs too: no address filter): -Q in is what the guest
    // sent (its tx, as libvirt reports a tap from the guest's side), -Q out what it received.
    const [sent, received] = await Promise.all([capture(port, '', 'in'), capture(port, '', 'out')]);
    const from = samples.length;
    await sleep(10_000);
    const window = samples.slice(from);
    const [sentTimes, receivedTimes] = await Promise.all([sent.stop(), received.stop()]);
    const first = window[0] as TrafficSample;
    const last = window.at(-1) as TrafficSample;
    const ours = { tx: 0, rx: 0 };
    for (let i = 1; i < window.length; i++) {
      const s = window[i] as TrafficSample;
      const p = s.ports.find((x) => x.portdev === port);
      expect(p, `${port} in every sample`).toBeDefined();
      const seconds = (s.at - (window[i - 1] as TrafficSample).at) / 1000;
      ours.tx += (p?.txPacketsPerSec ?? 0) * seconds;
      ours.rx += (p?.rxPacketsPerSec ?? 0) * seconds;
    }
    const inWindow = (frames: Frame[]) =>
      frames.filter((f) => f.t > first.at && f.t <= last.at).length;
    const theirs = { tx: inWindow(sentTimes), rx: inWindow(receivedTimes) };
    console.log(
      `rates: ${port} over ${((last.at - first.at) / 1000).toFixed(2)} s: sent ${ours.tx.toFixed(0)} by our rates, ${theirs.tx} by tcpdump; received ${ours.rx.toFixed(0)} by our rates, ${theirs.rx} by tcpdump`,
    );
    for (const d of ['tx', 'rx'] as const) {
      expect(theirs[d]).toBeGreaterThan(100); // the probe talks to both peers every ~0.3 s
      expect(Math.abs(ours[d] - theirs[d])).toBeLessThanOrEqual(0.05 * theirs[d] + 10);
    }
  });

  it('gives a cut link the packets its rules dropped: the ebtables counters, as tcpdump saw them sent', async () => {
    const [n1, n2] = [await lab.guest('lab-node1'), await lab.guest('lab-node2')];
    const [i1, i2] = [n1.interfaces[0], n2.interfaces[0]];
    if (!i1?.portdev || !i2?.portdev) throw new Error('lab-node1 and lab-node2 must run');
    const result = unwrap(await lab.engine['chaos.apply']({ cuts: [cutBetween(n1, n2)] }));
    const cutId = result.cutIds[0];
    await waitForMatrix(
      (m) =>
        holds(
          m,
          exactlyCut(
            lab.lab,
            ['icmp', 'tcp'],
            [
              { from: 'lab-node1', to: 'lab-node2', protocol: 'icmp' },
              { from: 'lab-node2', to: 'lab-node1', protocol: 'icmp' },
              { from: 'lab-node1', to: 'lab-node2', protocol: 'tcp' },
              { from: 'lab-node2', to: 'lab-node1', protocol: 'tcp' },
            ],
          ),
        ),
      { timeoutMs: 30_000, state: lab.lab, what: 'lab-node1 and lab-node2 cut from each other' },
    );
    const cut = (await lab.inventory()).cuts.find((c) => c.id === cutId);
    expect(cut?.state).toBe('applied');
    const enforcing = cut?.enforcedOn ?? [];
    expect(enforcing).toHaveLength(1);
    // One port enforces both flows. Its I chain drops what its guest sends to the peer
    // (`-d PEER`): tcpdump sees exactly those frames leave the guest. Its O chain drops every
    // frame with the peer's source MAC that the bridge forwards to the guest (`-s PEER`): at
    // least those the peer addresses to the guest or to everyone, at most every frame with that
    // source entering the bridge (the probes forge source MACs, so the bridge may learn a MAC on
    // the wrong port and forward more there): that side is bounded, from every other tap.
    const [own, peer] = enforcing[0] === i1.portdev ? [i1, i2] : [i2, i1];
    const others = (await lab.inventory()).guests
      .flatMap((g) => g.interfaces.map((i) => i.portdev))
      .filter((p): p is string => !!p && p !== own.portdev);
    expect(others.length).toBeGreaterThanOrEqual(2);
    unwrap(await lab.engine['traffic.watch']({ seconds: 40 }));
    const [outward, ...inward] = await Promise.all([
      capture(own.portdev as string, `ether dst ${peer.mac}`, 'in'),
      ...others.map((p) => capture(p, `ether src ${peer.mac}`, 'in')),
    ]);
    const before = await ebtablesDrops(own.portdev as string);
    const from = samples.length;
    await sleep(10_000);
    const after = await ebtablesDrops(own.portdev as string);
    const between = (frames: Frame[]) => frames.filter((f) => f.t > before.at && f.t <= after.at);
    const sentToPeer = between(await outward.stop()).length;
    const fromPeer = between((await Promise.all(inward.map((c) => c.stop()))).flat());
    const multicast = (mac: string) => (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1;
    const toGuestAtLeast = fromPeer.filter((f) => f.dst === own.mac || multicast(f.dst)).length;
    const toGuestAtMost = fromPeer.length;
    const rules = {
      fromGuest: after.fromGuest - before.fromGuest,
      toGuest: after.toGuest - before.toGuest,
    };
    const ruleDelta = after.packets - before.packets;
    console.log(
      `drops: ${own.portdev} enforces; over ${((after.at - before.at) / 1000).toFixed(2)} s the rules counted ${before.packets} -> ${after.packets} (+${ruleDelta}): from the guest +${rules.fromGuest}, tcpdump saw ${sentToPeer} sent to the peer; to the guest +${rules.toGuest}, tcpdump saw ${toGuestAtLeast} addressed to it or to all, ${toGuestAtMost} with the peer's source in all`,
    );
    const slack = (n: number) => 0.03 * n + 5;
    expect(sentToPeer).toBeGreaterThan(20);
    expect(Math.abs(rules.fromGuest - sentToPeer)).toBeLessThanOrEqual(slack(sentToPeer));
    expect(toGuestAtLeast).toBeGreaterThan(20);
    expect(rules.toGuest).toBeGreaterThanOrEqual(toGuestAtLeast - slack(toGuestAtLeast));
    expect(rules.toGuest).toBeLessThanOrEqual(toGuestAtMost + slack(toGuestAtMost));

    // Ours: every sample in between, read after the test's first reading and before its second.
    const ours = samples
      .slice(from)
      .filter((s) => s.at > before.at + 1000 && s.at < after.at)
      .map((s) => {
        const c = s.cuts.find((x) => x.cutId === cutId);
        expect(c?.source).toBe('rule-counters');
        return c?.source === 'rule-counters' ? c.packets : -1;
      });
    console.log(`drops: our counts in between: ${ours.join(', ')}`);
    expect(ours.length).toBeGreaterThanOrEqual(7);
    for (const n of ours) {
      expect(n).toBeGreaterThanOrEqual(before.packets);
      expect(n).toBeLessThanOrEqual(after.packets);
    }
    // Counters only grow, and ours follow them to within the last second's packets.
    expect(ours).toEqual([...ours].sort((a, b) => a - b));
    expect(after.packets - (ours.at(-1) ?? 0)).toBeLessThanOrEqual(2 * (ruleDelta / 10) + 10);
  });
});
