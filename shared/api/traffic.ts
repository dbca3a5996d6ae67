import { z } from 'zod';
import { GuestEnd } from './model';
import { CutId, HostId, Timestamp } from './values';

// Live traffic, pushed about once a second per connected host while a client watches
// (traffic.watch): each running port's rates from libvirt, and for each cut what it dropped.

const Rate = z.number().nonnegative();
const Count = z.number().int().nonnegative();

/** A running port: its guest interface (guest id and MAC, as a cut names it) and its tap. */
export const PortTraffic = z.object({
  portdev: z.string(),
  ...GuestEnd.shape,
  /** From the guest's side, as libvirt reports a tap: rx is what the guest received. */
  rxBytesPerSec: Rate,
  rxPacketsPerSec: Rate,
  txBytesPerSec: Rate,
  txPacketsPerSec: Rate,
});
export type PortTraffic = z.infer<typeof PortTraffic>;

export const CutTraffic = z.discriminatedUnion('source', [
  /** From the host's ebtables counters of the rules enforcing the cut, since they were installed. */
  z.object({
    source: z.literal('rule-counters'),
    cutId: CutId,
    packets: Count,
    bytes: Count,
  }),
  /** The counters could not be read: its guests' ports' packet rate before the cut and now. */
  z.object({
    source: z.literal('rate-change'),
    cutId: CutId,
    /** null: nothing was watched in the seconds before the cut. */
    beforePacketsPerSec: Rate.nullable(),
    nowPacketsPerSec: Rate,
  }),
]);
export type CutTraffic = z.infer<typeof CutTraffic>;

export const TrafficSample = z.object({
  type: z.literal('traffic.sample'),
  hostId: HostId,
  at: Timestamp,
  ports: z.array(PortTraffic),
  cuts: z.array(CutTraffic),
  /** Why the rule counters were not read (no cut: null), in words, with what would allow it. */
  countersUnavailable: z.string().nullable(),
});
export type TrafficSample = z.infer<typeof TrafficSample>;

export const TrafficWatchRequest = z.strictObject({
  /** Keep sampling this long; a client renews before it ends (a closed client stops it so). */
  seconds: z.number().int().min(1).max(60),
});
