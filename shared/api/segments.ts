import { z } from 'zod';
import { HostId, SegmentId } from './values';

// The user's word that segments of different hosts are one L2 segment (for segments whose DHCP
// is not libvirt's, so no lease shows it). Saved with the hosts, so it must name a segment by
// what outlives a connection: the host's id (kept in its profile) and the Linux bridge.

/** A segment as a saved group names it: `host:bridge` (or the network's name, lacking a bridge). */
export const SegmentRef = z.strictObject({
  host: HostId,
  bridge: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\s]+$/, 'a bridge name has no whitespace'),
});
export type SegmentRef = z.infer<typeof SegmentRef>;

/** Segments of two or more hosts that the user says are one L2 segment. */
export const SegmentGroup = z.strictObject({ segments: z.array(SegmentRef).min(2).max(64) });
export type SegmentGroup = z.infer<typeof SegmentGroup>;

export const SegmentGroups = z.array(SegmentGroup).max(1000);

/** Two segments of different hosts, as the inventories name them now. */
export const SegmentJoinRequest = z.strictObject({ segments: z.tuple([SegmentId, SegmentId]) });
export type SegmentJoinRequest = z.infer<typeof SegmentJoinRequest>;

/** Takes the segment out of the user's groups; joins the hosts observe (leases) stay. */
export const SegmentSplitRequest = z.strictObject({ segment: SegmentId });
export type SegmentSplitRequest = z.infer<typeof SegmentSplitRequest>;

/** The user's groups changed (here or by another client of the engine): draw the fabric again. */
export const SegmentsChanged = z.object({
  type: z.literal('segments.changed'),
  groups: SegmentGroups,
});
