import { z } from 'zod';
import {
  ApplyId,
  Cidr,
  CutId,
  GuestId,
  HostId,
  Ipv4,
  Ipv6,
  MacAddress,
  PromptId,
  SegmentId,
  SegmentKind,
  TcpUdpPort,
  Timestamp,
} from './values';

// What the UI and the CLI see of the hosts. Names follow libvirt's vocabulary (portdev, filterref,
// owner); the UI's words live in the renderer.

/** What went wrong, what libvirt said if it spoke, and what the user can do about it. */
export const ApiErrorCode = z.enum([
  'invalid-request', // the payload did not match the contract
  'unknown-call',
  'unauthorized', // missing or wrong token (server host)
  'not-found', // host, guest, interface, binding, filter, cut or preset
  'not-connected', // the host is not connected right now
  'not-cuttable', // macvtap/direct interface, guest not running, no port
  'busy', // another apply is running on that host
  'auth-failed', // ssh authentication
  'host-key-rejected', // the user rejected the key on first use
  'host-key-changed', // the host's key differs from known_hosts: refused, never overridden
  'unreachable', // tcp/ssh could not reach the host
  'libvirt', // libvirt answered with an error
  'apply-failed', // an operation failed and what this apply did was rolled back
  'unfiltered-window', // the change would leave a port without rules for a moment: ask first
  'rollback-failed', // ... and the rollback failed too: the hint says what is left
  'timeout',
  'transport-closed', // the connection between UI and engine dropped mid-call
  'internal',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCode>;

export const LibvirtErrorDetail = z.object({
  code: z.number().int(),
  domain: z.number().int(),
  message: z.string(),
});

export const ApiError = z.object({
  code: ApiErrorCode,
  message: z.string(),
  /** What to do, in a sentence a user can follow ("add your key to root's authorized_keys"). */
  hint: z.string().optional(),
  libvirt: LibvirtErrorDetail.optional(),
});
export type ApiError = z.infer<typeof ApiError>;

// ---- hosts and connections ------------------------------------------------------------------

export const HostAuth = z.discriminatedUnion('method', [
  /** ssh-agent via SSH_AUTH_SOCK (or Pageant), and whatever ~/.ssh/config says. */
  z.object({ method: z.literal('agent') }),
  /** A private key file; a passphrase, if needed, is asked for with a passphrase.prompt. */
  z.object({ method: z.literal('key'), keyPath: z.string().min(1) }),
  /** The local libvirt socket: no ssh. */
  z.object({ method: z.literal('local') }),
]);
export type HostAuth = z.infer<typeof HostAuth>;

export const HostConnectionState = z.enum([
  'disconnected',
  'connecting',
  'connected',
  'lost',
  'reconnecting',
]);
export type HostConnectionState = z.infer<typeof HostConnectionState>;

export const HostStatus = z.object({
  hostId: HostId,
  state: HostConnectionState,
  /** Why it is not connected, with what to do. Absent when connected. */
  error: ApiError.optional(),
  /** Reconnect attempt number and when the next one starts, while reconnecting. */
  attempt: z.number().int().nonnegative().optional(),
  nextAttemptAt: Timestamp.optional(),
  since: Timestamp,
});
export type HostStatus = z.infer<typeof HostStatus>;

export const HostSummary = z.object({
  id: HostId,
  /** As the user gave it: ssh://root@kvm1, qemu+ssh://root@kvm1/system, an alias, or qemu:///system. */
  uri: z.string(),
  label: z.string(),
  auth: HostAuth,
  status: HostStatus,
  /** Known once connected. */
  hostname: z.string().optional(),
  libvirtVersion: z.string().optional(),
});
export type HostSummary = z.infer<typeof HostSummary>;

export const HostKeyPrompt = z.object({
  promptId: PromptId,
  hostId: HostId,
  host: z.string(),
  port: z.number().int().min(1).max(65535),
  /** ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa ... */
  keyType: z.string(),
  /** As OpenSSH prints it: SHA256:base64-without-padding. */
  fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'expected SHA256:<43 base64 chars>'),
  /** Where an accepted key will be remembered. */
  knownHostsPath: z.string(),
});
export type HostKeyPrompt = z.infer<typeof HostKeyPrompt>;

export const PassphrasePrompt = z.object({
  promptId: PromptId,
  hostId: HostId,
  keyPath: z.string(),
  /** Set when the previous answer was wrong. */
  retry: z.boolean(),
});
export type PassphrasePrompt = z.infer<typeof PassphrasePrompt>;

// ---- inventory ------------------------------------------------------------------------------

export const Segment = z.object({
  id: SegmentId,
  hostId: HostId,
  kind: SegmentKind,
  /** The libvirt network's name, or the bridge's name for a plain bridge. */
  name: z.string(),
  /** The Linux bridge behind it (a network's <bridge name>), when known. */
  bridge: z.string().nullable(),
  /** Address ranges of a libvirt network (<ip address prefix>), as CIDR. */
  cidrs: z.array(Cidr),
  /**
   * The network's own IPv4 addresses (<ip address>): the host's address on the bridge, which is
   * its guests' gateway and where libvirt's dnsmasq answers DHCP and DNS. Absent: none known.
   */
  gateways: z.array(Ipv4).optional(),
  active: z.boolean(),
  /**
   * MACs holding a DHCP lease from this network: the evidence that another host's guests share
   * this L2 segment (their frames reached this network's DHCP server). Absent: none.
   */
  leasedMacs: z.array(MacAddress).optional(),
});
export type Segment = z.infer<typeof Segment>;

/** libvirt's virDomainState, by name. */
export const GuestState = z.enum([
  'nostate',
  'running',
  'blocked',
  'paused',
  'shutdown',
  'shutoff',
  'crashed',
  'pmsuspended',
]);
export type GuestState = z.infer<typeof GuestState>;

/** Where an address came from, strongest first: a pinned filter parameter beats a lease. */
export const IpSource = z.enum(['filter-parameter', 'dhcp-host', 'dhcp-lease', 'guest-agent']);
export type IpSource = z.infer<typeof IpSource>;

export const GuestIp = z.discriminatedUnion('family', [
  z.object({ family: z.literal('ipv4'), address: Ipv4, source: IpSource }),
  z.object({ family: z.literal('ipv6'), address: Ipv6, source: IpSource }),
]);
export type GuestIp = z.infer<typeof GuestIp>;

export const FilterParameter = z.object({ name: z.string().min(1), value: z.string() });
export type FilterParameter = z.infer<typeof FilterParameter>;

/** ours: created by kvm-chaos; protection: a stock or preset spoof filter; foreign: anything else. */
export const OwnershipClass = z.enum(['ours', 'protection', 'foreign']);
export type OwnershipClass = z.infer<typeof OwnershipClass>;

/** Why an interface cannot be cut; the UI shows `explanation` as is. */
export const Uncuttable = z.object({
  reason: z.enum(['direct', 'not-running', 'no-port', 'no-segment', 'unsupported-type']),
  explanation: z.string(),
});

export const InterfaceProtection = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  /** A preset from presets.list, recognised from the interface's filterref. */
  z.object({
    kind: z.literal('preset'),
    presetId: z.string(),
    parameters: z.array(FilterParameter),
  }),
  /** A filterref that matches no preset. */
  z.object({ kind: z.literal('custom'), filter: z.string(), parameters: z.array(FilterParameter) }),
]);
export type InterfaceProtection = z.infer<typeof InterfaceProtection>;

export const GuestInterface = z.object({
  mac: MacAddress,
  /** <interface type=...>; direct is macvtap. */
  type: z.enum(['network', 'bridge', 'direct', 'other']),
  segmentId: SegmentId.nullable(),
  /** <target dev>, present while the guest runs. */
  portdev: z.string().nullable(),
  model: z.string().nullable(),
  /** null when the interface can be cut. */
  uncuttable: Uncuttable.nullable(),
  ips: z.array(GuestIp),
  /** What the domain XML asks for (persistent protection). */
  protection: InterfaceProtection,
  /** The binding on the port right now, if any. */
  binding: z
    .object({ filter: z.string(), class: OwnershipClass, cutIds: z.array(CutId) })
    .nullable(),
});
export type GuestInterface = z.infer<typeof GuestInterface>;

export const Guest = z.object({
  id: GuestId,
  hostId: HostId,
  uuid: z.string(),
  name: z.string(),
  state: GuestState,
  interfaces: z.array(GuestInterface),
  /** From the domain's libvirt metadata (<labels role="db"/>), for scenario selectors. */
  labels: z.record(z.string(), z.string()),
});
export type Guest = z.infer<typeof Guest>;

export const Binding = z.object({
  portdev: z.string(),
  /** <owner><name> and <uuid>; guestId when the owner is a guest of this inventory. */
  ownerName: z.string(),
  ownerUuid: z.string(),
  guestId: GuestId.nullable(),
  mac: MacAddress,
  filter: z.string(),
  parameters: z.array(FilterParameter),
  class: OwnershipClass,
  /** As libvirt returns it (nwfilter-binding-dumpxml). */
  xml: z.string(),
});
export type Binding = z.infer<typeof Binding>;

export const FilterSummary = z.object({
  name: z.string(),
  uuid: z.string(),
  chain: z.string(),
  priority: z.number().int().nullable(),
  class: OwnershipClass,
  ruleCount: z.number().int().nonnegative(),
  /** Names of filters this one references (<filterref>). */
  references: z.array(z.string()),
  /** Ports whose binding uses this filter, directly or through a reference. */
  usedBy: z.array(z.string()),
});
export type FilterSummary = z.infer<typeof FilterSummary>;

/** all: every frame; ipv4: IPv4 only; or one protocol, with a destination port for tcp/udp. */
export const CutScope = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('all') }),
  z.strictObject({ kind: z.literal('ipv4') }),
  z.strictObject({ kind: z.literal('icmp') }),
  z.strictObject({ kind: z.literal('tcp'), port: TcpUdpPort.optional() }),
  z.strictObject({ kind: z.literal('udp'), port: TcpUdpPort.optional() }),
]);
export type CutScope = z.infer<typeof CutScope>;

/** A guest interface, by the guest's id and the interface's MAC. */
export const GuestEnd = z.object({ guestId: GuestId, mac: MacAddress });
export type GuestEnd = z.infer<typeof GuestEnd>;

/**
 * Addresses outside the guests (a gateway, a DNS server, a network). In a request: an IPv4
 * address, a.b.c.d/n, or a DNS name, which the engine resolves once to the addresses it cuts.
 * In a listing: the network as the host holds it (a.b.c.d/n), and the name it was asked by.
 */
export const OutsideEnd = z.strictObject({
  address: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9._/:-]+$/, 'an address, a.b.c.d/n network or DNS name'),
  /** What the user called it ("gateway", a DNS name), kept with the cut for people. */
  name: z.string().max(253).optional(),
});
export type OutsideEnd = z.infer<typeof OutsideEnd>;

/** One end of a cut: a guest interface, or addresses outside the guests. */
export const CutEnd = z.union([GuestEnd, OutsideEnd]);
export type CutEnd = z.infer<typeof CutEnd>;

export function isGuestEnd(e: CutEnd): e is GuestEnd {
  return 'guestId' in e;
}

/** A cut between two guest interfaces (drawn as a cut link), as opposed to one to the outside. */
export type GuestCut<C extends { from: CutEnd; to: CutEnd }> = C & { from: GuestEnd; to: GuestEnd };

export function isGuestCut<C extends { from: CutEnd; to: CutEnd }>(c: C): c is GuestCut<C> {
  return isGuestEnd(c.from) && isGuestEnd(c.to);
}

/** An outside end for people: "gateway (192.168.77.1)", "10.0.0.0/8", or the address alone. */
export function outsideText(e: OutsideEnd): string {
  const addr = e.address.endsWith('/32') ? e.address.slice(0, -3) : e.address;
  return e.name && e.name !== addr && e.name !== e.address ? `${e.name} (${addr})` : addr;
}

/** The cut as one between guests; throws for a cut to the outside (where none is expected). */
export function asGuestCut<C extends { from: CutEnd; to: CutEnd }>(c: C): GuestCut<C> {
  if (!isGuestCut(c)) throw new Error('expected a cut between guests, got one to the outside');
  return c;
}

/** The guest interfaces a cut names (one for a cut to the outside). */
export function guestEndsOf(c: { from: CutEnd; to: CutEnd }): GuestEnd[] {
  return [c.from, c.to].filter(isGuestEnd);
}

/** both: nothing passes either way; one-way: frames from `from` to `to` are dropped. */
export const CutDirection = z.enum(['both', 'one-way']);
export type CutDirection = z.infer<typeof CutDirection>;

export const CutRequest = z
  .object({
    from: CutEnd,
    to: CutEnd,
    direction: CutDirection,
    scope: CutScope,
  })
  .refine((c) => isGuestEnd(c.from) || isGuestEnd(c.to), {
    message: 'a cut needs a guest interface at one end at least',
  });
export type CutRequest = z.infer<typeof CutRequest>;

/**
 * Partitions by Jepsen's names. `guestIds` are the members in order (the UI sends its ring
 * order), all on one host.
 *  - isolate (split-one): each listed guest is cut from every other guest on its segments;
 *  - halves (bisect): the first floor(n/2) members against the rest;
 *  - majority-minority: the smallest majority (floor(n/2)+1) against the rest;
 *  - majorities-ring: every member keeps a majority, no two members the same one;
 *  - bridge: two halves that cannot reach each other, and one member that reaches both;
 *  - groups: explicit groups; members of different groups are cut from each other.
 */
export const PartitionRequest = z.discriminatedUnion('topology', [
  z.object({ topology: z.literal('isolate'), guestIds: z.array(GuestId).min(1) }),
  z.object({ topology: z.literal('halves'), guestIds: z.array(GuestId).min(2) }),
  z.object({ topology: z.literal('majority-minority'), guestIds: z.array(GuestId).min(2) }),
  z.object({ topology: z.literal('majorities-ring'), guestIds: z.array(GuestId).min(3) }),
  z.object({ topology: z.literal('bridge'), guestIds: z.array(GuestId).min(3) }),
  z.object({ topology: z.literal('groups'), groups: z.array(z.array(GuestId).min(1)).min(2) }),
]);
export type PartitionRequest = z.infer<typeof PartitionRequest>;
export type Topology = PartitionRequest['topology'];

/** The scenario run (or script) a cut belongs to, kept in its intent (`heal --run ID`). */
export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'a run id is 1-100 letters, digits, dots, colons or dashes');
export type RunId = z.infer<typeof RunId>;

/**
 * applied: wanted (an intent on the host) and enforced; pending: wanted but not enforced (a guest
 * down, or a change interrupted: the next change or a watcher puts it on); expired: past its
 * expiry, healed by the next instance that reconciles; orphaned: enforced by rules that no intent
 * wants (an interrupted heal, or an older kvm-chaos): the next change removes them.
 */
export const CutState = z.enum([
  'applying',
  'applied',
  'healing',
  're-applied',
  'failed',
  'pending',
  'expired',
  'orphaned',
]);
export type CutState = z.infer<typeof CutState>;

/** Who made a cut: the process (an instance id) and user@machine. */
export const CutAuthor = z.object({ instance: z.string(), user: z.string() });
export type CutAuthor = z.infer<typeof CutAuthor>;

/**
 * A cut as the host holds it: its intent (kept in the host's domain metadata) and its enforcement
 * (the bindings), so any instance lists the same cuts with the same author and expiry.
 */
export const ActiveCut = CutRequest.extend({
  id: CutId,
  hostId: HostId,
  segmentId: SegmentId,
  state: CutState,
  /** When the cut heals: any instance connected then heals it, or the next one to connect. */
  expiresAt: Timestamp.nullable(),
  /** From the intent on the host; null for an orphaned cut. */
  author: CutAuthor.nullable(),
  createdAt: Timestamp.nullable(),
  runId: z.string().nullable(),
  /** The apply that made it, when this instance made it. */
  applyId: ApplyId.nullable(),
  /** The ports whose bindings enforce it. */
  enforcedOn: z.array(z.string()),
  error: ApiError.optional(),
});
export type ActiveCut = z.infer<typeof ActiveCut>;

/**
 * Something an interrupted change left on the host, shown by every listing with the one action
 * that repairs it (the next change on the host repairs it first anyway).
 */
export const Interruption = z.object({
  kind: z.enum([
    'stray-filter',
    'unbound-port',
    'orphaned-rules',
    'pending-cut',
    'leftover-binding',
    'expired-cut',
  ]),
  /** The port concerned, when there is one. */
  portdev: z.string().nullable(),
  guestId: GuestId.nullable(),
  message: z.string(),
  /** The one action that repairs it, in words and as a command. */
  repair: z.string(),
});
export type Interruption = z.infer<typeof Interruption>;

export const HostInventory = z.object({
  hostId: HostId,
  hostname: z.string(),
  /** Bumped on every change; a patch applies only to the revision it names. */
  revision: z.number().int().nonnegative(),
  readAt: Timestamp,
  segments: z.array(Segment),
  guests: z.array(Guest),
  bindings: z.array(Binding),
  filters: z.array(FilterSummary),
  cuts: z.array(ActiveCut),
  interruptions: z.array(Interruption),
});
export type HostInventory = z.infer<typeof HostInventory>;

/** `order`, when given, is every key of the collection in its new order (libvirt lists in hash
 * order, so a new filter or binding may land anywhere). */
const keyedChange = <I extends z.ZodTypeAny, K extends z.ZodTypeAny>(item: I, key: K) =>
  z.object({ upsert: z.array(item), remove: z.array(key), order: z.array(key).optional() });

/**
 * Upserts replace whole items by key (id, or portdev for bindings, name for filters) in place;
 * new keys are appended. Applied by shared/inventory/patch.ts on both sides.
 */
export const InventoryPatch = z.object({
  segments: keyedChange(Segment, SegmentId).optional(),
  guests: keyedChange(Guest, GuestId).optional(),
  bindings: keyedChange(Binding, z.string()).optional(),
  filters: keyedChange(FilterSummary, z.string()).optional(),
  cuts: keyedChange(ActiveCut, CutId).optional(),
  /** Replaced whole when given (a short list, recomputed at every read). */
  interruptions: z.array(Interruption).optional(),
  hostname: z.string().optional(),
  readAt: Timestamp.optional(),
});
export type InventoryPatch = z.infer<typeof InventoryPatch>;

// ---- plans, presets, filters, activity --------------------------------------------------------

export const OperationKind = z.enum([
  'define-filter',
  'undefine-filter',
  'create-binding',
  'delete-binding',
  'update-device',
  /** A cut's intent written to (or removed from) its guest's domain metadata. */
  'set-intent',
  'remove-intent',
]);
export type OperationKind = z.infer<typeof OperationKind>;

export const PlannedOperation = z.object({
  hostId: HostId,
  kind: OperationKind,
  /** The filter's name, the binding's portdev, or the guest's name for update-device. */
  target: z.string(),
  description: z.string(),
  /** The XML sent to libvirt; null for operations that send none (delete, undefine). */
  xml: z.string().nullable(),
  /** The equivalent virsh command, for the activity export. */
  virsh: z.string(),
});
export type PlannedOperation = z.infer<typeof PlannedOperation>;

/** Operations in the order they run; heal-all may span hosts, each operation names its own. */
export const Plan = z.object({
  operations: z.array(PlannedOperation),
  /** The cuts the host holds once the plan is applied (for apply) or the ones it heals. */
  cuts: z.array(CutRequest),
  portsTouched: z.array(z.string()),
  /** Ports the plan leaves without any rule for a moment (a binding replaced), with why. */
  unfilteredWindows: z.array(z.string()),
});
export type Plan = z.infer<typeof Plan>;

export const PresetParameter = z.object({
  name: z.string(),
  label: z.string(),
  kind: z.enum(['ipv4', 'ipv6', 'ip', 'mac', 'cidr']),
  required: z.boolean(),
  multiple: z.boolean(),
  description: z.string(),
});
export type PresetParameter = z.infer<typeof PresetParameter>;

export const Preset = z.object({
  id: z.string(),
  label: z.string(),
  description: z.string(),
  /** The filter the interface's filterref names. */
  filter: z.string(),
  /** The choice offered first (clean-traffic). */
  isDefault: z.boolean(),
  parameters: z.array(PresetParameter),
});
export type Preset = z.infer<typeof Preset>;

export const PlainRule = z.object({
  action: z.string(),
  direction: z.enum(['in', 'out', 'inout']),
  priority: z.number().int().nullable(),
  protocol: z.string().nullable(),
  /** The rule in words, variables resolved when a binding was given. */
  text: z.string(),
  attributes: z.array(z.object({ name: z.string(), value: z.string() })),
});
export type PlainRule = z.infer<typeof PlainRule>;

/** A filter tree flattened depth first; depth 0 is the root. */
export const FilterTreeNode = z.object({
  filter: z.string(),
  depth: z.number().int().nonnegative(),
  chain: z.string().nullable(),
  priority: z.number().int().nullable(),
  class: OwnershipClass,
  rules: z.array(PlainRule),
  /** The filter is referenced but not defined on the host. */
  missing: z.boolean(),
  /**
   * The same filter as the node above at this depth, continued: its rules that libvirt
   * evaluates after the filterrefs listed in between (rules and filterrefs interleave).
   */
  continued: z.boolean().optional(),
});
export type FilterTreeNode = z.infer<typeof FilterTreeNode>;

export const ActivityKind = z.enum([
  'apply',
  'heal',
  'expire',
  're-apply',
  'protect',
  'unprotect',
  'repair',
  'connect',
  'disconnect',
  'add-host',
]);
export type ActivityKind = z.infer<typeof ActivityKind>;

export const ActivityOperation = PlannedOperation.extend({
  status: z.enum(['done', 'failed', 'rolled-back', 'skipped']),
  durationMs: z.number().nonnegative(),
  error: ApiError.optional(),
});
export type ActivityOperation = z.infer<typeof ActivityOperation>;

export const ActivityEntry = z.object({
  id: z.string(),
  at: Timestamp,
  hostId: HostId.nullable(),
  applyId: ApplyId.nullable(),
  kind: ActivityKind,
  summary: z.string(),
  /** refused: the input was wrong and nothing was sent to any host. */
  outcome: z.enum(['ok', 'failed', 'rolled-back', 'refused']),
  operations: z.array(ActivityOperation),
  error: ApiError.optional(),
});
export type ActivityEntry = z.infer<typeof ActivityEntry>;

export const ApplyOperationStatus = z.enum(['pending', 'running', 'done', 'failed', 'rolled-back']);
export type ApplyOperationStatus = z.infer<typeof ApplyOperationStatus>;
