import { z } from 'zod';

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

// Addresses are validated, normalised strings (not branded: the XML model in shared/libvirt owns
// the branded domain types; the contract only promises the text is well formed).
export const MacAddress = z
  .string()
  .regex(/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/, 'expected a MAC address like 52:54:00:00:00:22')
  .transform((s) => s.toLowerCase());

const IPV4_OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${IPV4_OCTET}(\\.${IPV4_OCTET}){3}$`);

export const Ipv4 = z.string().regex(IPV4, 'expected an IPv4 address like 192.168.77.11');

export const Ipv6 = z
  .string()
  .refine(isIpv6, 'expected an IPv6 address like fe80::1')
  .transform((s) => s.toLowerCase());

export const Cidr = z.string().refine((s) => {
  const [ip, prefix, extra] = s.split('/');
  if (ip === undefined || prefix === undefined || extra !== undefined) return false;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  return IPV4.test(ip) ? bits <= 32 : isIpv6(ip) && bits <= 128;
}, 'expected a network like 192.168.77.0/24');

export const TcpUdpPort = z.number().int().min(1).max(65535);

/** Milliseconds since the Unix epoch. */
export const Timestamp = z.number().int().nonnegative();

function isIpv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const all = [...head, ...tail];
  const last = all[all.length - 1];
  const embedsV4 = last !== undefined && IPV4.test(last);
  const hexGroups = embedsV4 ? all.slice(0, -1) : all;
  if (!hexGroups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const width = hexGroups.length + (embedsV4 ? 2 : 0);
  return halves.length === 2 ? width < 8 : width === 8;
}
