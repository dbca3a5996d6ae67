import { z } from 'zod';
import { attempt, cidr, ipv4, ipv6, macAddress } from '../libvirt/values';

// Plain values that cross the boundary. Identity always derives from one key (connection plus
// libvirt object), never from display names: `guest:<host>:<uuid>`, `segment:<host>:<kind>:<name>`.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A configured host, chosen by the engine when the host is added (e.g. `local`, `root@kvm1:22`). */
export const HostId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s]+$/, 'a host id has no whitespace')
  .brand<'HostId'>();
export type HostId = z.infer<typeof HostId>;

export const GuestId = z
  .string()
  .regex(/^guest:[^\s]+:[0-9a-f-]{36}$/, 'expected guest:<host>:<uuid>')
  .refine((s) => UUID.test(s.slice(-36)), 'the guest id must end with a libvirt uuid')
  .brand<'GuestId'>();
export type GuestId = z.infer<typeof GuestId>;

export const SegmentKind = z.enum(['network', 'bridge']);
export type SegmentKind = z.infer<typeof SegmentKind>;

export const SegmentId = z
  .string()
  .regex(/^segment:[^\s]+:(network|bridge):[^\s]+$/, 'expected segment:<host>:<kind>:<name>')
  .brand<'SegmentId'>();
export type SegmentId = z.infer<typeof SegmentId>;

/** A cut's id is chosen by the engine and derivable from host state (so any instance sees it). */
export const CutId = z.string().min(1).max(300).brand<'CutId'>();
export type CutId = z.infer<typeof CutId>;

export const ApplyId = z.string().min(1).max(100).brand<'ApplyId'>();
export type ApplyId = z.infer<typeof ApplyId>;

export const PromptId = z.string().min(1).max(100).brand<'PromptId'>();
export type PromptId = z.infer<typeof PromptId>;

export function guestId(host: HostId, uuid: string): GuestId {
  return GuestId.parse(`guest:${host}:${uuid.toLowerCase()}`);
}

/** The host id and uuid inside a guest id; the uuid is the fixed-width tail, the host may hold ':'. */
export function parseGuestId(id: GuestId): { hostId: HostId; uuid: string } {
  return { hostId: HostId.parse(id.slice('guest:'.length, -37)), uuid: id.slice(-36) };
}

export function segmentId(host: HostId, kind: SegmentKind, name: string): SegmentId {
  return SegmentId.parse(`segment:${host}:${kind}:${name}`);
}

// Addresses are validated and normalised by shared/libvirt's value constructors (one definition
// of a valid MAC or IP for the XML model and the contract); the contract carries them as plain
// strings so that either side can build payloads without the XML model's branded types.
function normalised(make: (text: string) => string, message: string) {
  return z.string().transform((text, ctx) => {
    const value = attempt(make, text);
    if (value !== null) return value as string;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  });
}

export const MacAddress = normalised(macAddress, 'expected a MAC address like 52:54:00:00:00:22');
export const Ipv4 = normalised(ipv4, 'expected an IPv4 address like 192.168.77.11');
export const Ipv6 = normalised(ipv6, 'expected an IPv6 address like fe80::1');
export const Cidr = normalised(cidr, 'expected a network like 192.168.77.0/24');

export const PORT_RULE = 'a port is a whole number from 1 to 65535';
export const TcpUdpPort = z.number().int(PORT_RULE).min(1, PORT_RULE).max(65535, PORT_RULE);

export const DURATION_RULE = 'a duration is whole seconds from 1 to 604800 (a week)';
/** Up to a week; the engine heals the cut itself when the time is up (while it runs). */
export const DurationSeconds = z
  .number()
  .int(DURATION_RULE)
  .min(1, DURATION_RULE)
  .max(7 * 24 * 3600, DURATION_RULE);

/** Milliseconds since the Unix epoch. */
export const Timestamp = z.number().int().nonnegative();

export const LABEL_KEY_RULE =
  "a label key is an XML attribute name: a letter or '_' first, then letters, digits, '.', '-' or '_' (no ':', and not starting with 'xml')";
/** A guest label's key: one attribute of the <labels> element in the domain's metadata. */
export const LabelKey = z
  .string()
  .max(100, 'a label key is at most 100 characters')
  .regex(/^[\p{L}_][\p{L}\p{N}._-]*$/u, LABEL_KEY_RULE)
  // xmlns would declare a namespace instead of a label; xml* names are reserved by XML itself.
  .refine((k) => !/^xml/i.test(k), LABEL_KEY_RULE);
export type LabelKey = z.infer<typeof LabelKey>;

/** Control characters would not survive an XML attribute (newlines come back as spaces). */
export const LabelValue = z
  .string()
  .max(1000, 'a label value is at most 1000 characters')
  .regex(/^[^\p{Cc}]*$/u, 'a label value has no control characters (tabs, newlines...)');
