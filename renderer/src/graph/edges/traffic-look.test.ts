import { describe, expect, it } from 'vitest';
import type { CutId, CutTraffic, GuestId, PortTraffic } from '../../../../shared/api';
import { foldSample } from '../../store/traffic';
import { dropLabel, flowLook, formatCount } from './traffic-look';

const port = (mac: string, rx: number, tx: number): PortTraffic => ({
  portdev: `vnet-${mac.slice(-2)}`,
  mac: mac as PortTraffic['mac'],
  guestId: `guest:h:00000000-0000-0000-0000-0000000000${mac.slice(-2)}` as GuestId,
  rxBytesPerSec: rx * 100,
  rxPacketsPerSec: rx,
  txBytesPerSec: tx * 100,
  txPacketsPerSec: tx,
});
const cut = (id: string, packets: number): CutTraffic => ({
  source: 'rule-counters',
  cutId: id as CutId,
  packets,
  bytes: packets * 60,
});

describe('traffic on a link', () => {
  it('is idle when either port is unknown or quiet, and thicker and faster when busier', () => {
    const a = port('52:54:00:00:00:11', 100, 90);
    expect(flowLook(undefined, a)).toBeNull();
    expect(flowLook(port('52:54:00:00:00:22', 0.1, 0.1), a)).toBeNull();
    const slow = flowLook(a, port('52:54:00:00:00:22', 2, 3));
    const fast = flowLook(a, port('52:54:00:00:00:22', 150, 160));
    expect(slow && fast).toBeTruthy();
    expect(fast?.width).toBeGreaterThan(slow?.width ?? Infinity);
    expect(fast?.seconds).toBeLessThan(slow?.seconds ?? 0);
    // The quieter port bounds the pair.
    expect(slow?.pps).toBe(5);
  });

  it('moves from the port that sends more', () => {
    const a = port('52:54:00:00:00:11', 10, 5);
    const b = port('52:54:00:00:00:22', 5, 10);
    expect(flowLook(a, b)?.reverse).toBe(true);
    expect(flowLook(b, a)?.reverse).toBe(false);
  });

  it("labels a cut link with its rules' count, summed over its cuts", () => {
    const label = dropLabel([cut('c1', 1200), cut('c2', 34)], null);
    expect(label).toMatchObject({ source: 'rule-counters', packets: 1234, text: '1234 dropped' });
    expect(dropLabel([undefined], null)).toBeNull();
  });

  it('says a rate change is a rate change, with why the counters were not read', () => {
    const label = dropLabel(
      [
        {
          source: 'rate-change',
          cutId: 'c1' as CutId,
          beforePacketsPerSec: 180,
          nowPacketsPerSec: 4.5,
        },
      ],
      'the ssh user may not read the rule counters',
    );
    expect(label?.source).toBe('rate-change');
    expect(label?.text).toBe('180 → 4.5 pkt/s (rate)');
    expect(label?.title).toMatch(/not a count of drops.*may not read/);
  });

  it('writes large counts short', () => {
    expect(formatCount(9999)).toBe('9999');
    expect(formatCount(12_345)).toBe('12.3k');
    expect(formatCount(2_500_000)).toBe('2.5M');
  });

  it("keeps each host's latest sample, indexed by MAC and cut", () => {
    const s = foldSample(
      { hosts: {} },
      {
        type: 'traffic.sample',
        hostId: 'h' as never,
        at: 5,
        ports: [port('52:54:00:00:00:11', 1, 2)],
        cuts: [cut('c1', 7)],
        countersUnavailable: null,
      },
    );
    expect(s.hosts.h?.ports['52:54:00:00:00:11']?.txPacketsPerSec).toBe(2);
    expect(s.hosts.h?.cuts.c1).toMatchObject({ packets: 7 });
  });
});
