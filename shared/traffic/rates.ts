// Rates from libvirt's interface counters (virDomainInterfaceStats): two readings of one port's
// running totals give bytes and packets per second. libvirt reports a tap's counters from the
// guest's side (rx: what the guest received), so no swapping here.

/** One reading of a port's running totals, and when it was taken (ms since the epoch). */
export interface CounterReading {
  readonly at: number;
  readonly rxBytes: number;
  readonly rxPackets: number;
  readonly txBytes: number;
  readonly txPackets: number;
}

export interface PortRates {
  readonly rxBytesPerSec: number;
  readonly rxPacketsPerSec: number;
  readonly txBytesPerSec: number;
  readonly txPacketsPerSec: number;
}

export const IDLE: PortRates = {
  rxBytesPerSec: 0,
  rxPacketsPerSec: 0,
  txBytesPerSec: 0,
  txPacketsPerSec: 0,
};

/**
 * Rates between two readings of the same port, or null when they cannot be compared: no time
 * passed, or a counter went backwards (the guest restarted and its tap is a new device).
 */
export function ratesBetween(before: CounterReading, after: CounterReading): PortRates | null {
  const seconds = (after.at - before.at) / 1000;
  if (!(seconds > 0)) return null;
  const d = {
    rxBytes: after.rxBytes - before.rxBytes,
    rxPackets: after.rxPackets - before.rxPackets,
    txBytes: after.txBytes - before.txBytes,
    txPackets: after.txPackets - before.txPackets,
  };
  if (Object.values(d).some((v) => v < 0)) return null;
  return {
    rxBytesPerSec: d.rxBytes / seconds,
    rxPacketsPerSec: d.rxPackets / seconds,
    txBytesPerSec: d.txBytes / seconds,
    txPacketsPerSec: d.txPackets / seconds,
  };
}

/** Packets per second both ways: what "busy" means for drawing and for the rate change. */
export function packetsPerSec(r: PortRates): number {
  return r.rxPacketsPerSec + r.txPacketsPerSec;
}

/**
 * How busy a link looks, 0 (idle) to 1 (saturated for drawing), from packets per second on a
 * log scale: a probe's few packets a second must show, and a flood must not swamp the canvas.
 * Under half a packet a second is idle (keepalives and ARP would otherwise keep every link moving).
 */
export function activity(pps: number): number {
  if (!(pps >= 0.5)) return 0;
  return Math.min(1, Math.log10(1 + pps) / 4); // 10^4 pkt/s draws as full
}
