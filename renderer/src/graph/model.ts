import {
  type ActiveCut,
  type CutAuthor,
  type CutId,
  type CutScope,
  type CutState,
  type Guest,
  type GuestCut,
  type GuestEnd,
  type GuestId,
  type GuestInterface,
  guestEndsOf,
  type HostId,
  type HostInventory,
  type HostSummary,
  type Interruption,
  isGuestCut,
  isGuestEnd,
  outsideText,
  type Segment,
  type SegmentGroup,
  type SegmentId,
} from '../../../shared/api';
import { type JoinEvidence, segmentJoin, sharedSegments } from '../../../shared/inventory/fabric';
import { resolveGroups } from '../../../shared/inventory/segment-groups';

// From inventories to what the canvas draws: hosts, segments, guests, one link per pair of
// guests on a segment, and the cuts folded onto those links. Pure: the same inventories give the
// same model, so the drawing never jumps on a refresh.

/** Above this many guests on a segment, pairwise links stop being readable (n(n-1)/2 of them):
 * guests get one spoke to the bridge instead, and cutting a spoke isolates that guest. */
export const PAIRWISE_LIMIT = 16;

export type Blocked = 'a->b' | 'b->a' | 'both';
/**
 * severed: cut and enforced. pending: wanted but not enforced (its guest is down or a change was
 * interrupted). expired: past its expiry, not yet healed. orphaned: rules that no intent wants.
 */
export type LinkStatus =
  | 'intact'
  | 'applying'
  | 'severed'
  | 'pending'
  | 'expired'
  | 'orphaned'
  | 'healing'
  | 'failed';

export type LinkCut = {
  id: CutId;
  blocked: Blocked;
  scope: CutScope;
  state: CutState;
  expiresAt: number | null;
  /** From the intent on the host, whoever made the cut; null for an orphaned cut. */
  author: CutAuthor | null;
  createdAt: number | null;
  runId: string | null;
};

export type LinkModel = {
  id: string;
  kind: 'pair';
  hostId: HostId;
  segmentId: SegmentId;
  /** a sorts before b; a cut's direction is told relative to them. */
  a: GuestEnd;
  b: GuestEnd;
  /** Why the knife leaves it alone, or null. */
  uncuttable: string | null;
  cuts: LinkCut[];
  status: LinkStatus;
  /** What is dropped across the link, all cuts together; null when nothing is. */
  blocked: Blocked | null;
  /** Each cut's exact scope and direction: "UDP:53, one way", "All, both ways + ICMP, one way". */
  badge: string;
  reapplied: boolean;
  /** The earliest moment one of its cuts heals itself. */
  expiresAt: number | null;
};

export type SpokeModel = {
  id: string;
  kind: 'spoke';
  hostId: HostId;
  segmentId: SegmentId;
  guestId: GuestId;
  mac: string;
  portdev: string | null;
  /** True on segments drawn with spokes: cutting one isolates its guest on that segment. */
  isKnifeTarget: boolean;
  uncuttable: string | null;
  cutCount: number;
  status: LinkStatus;
};

export type ProtectionSummary = 'protected' | 'partial' | 'unprotected';

export type GuestModel = {
  id: GuestId;
  hostId: HostId;
  guest: Guest;
  segmentId: SegmentId | null;
  protection: ProtectionSummary;
  cutCount: number;
  /** Its cuts to addresses outside the guests, as people read them ("gateway (192.168.77.1)"). */
  outsideCuts: string[];
  /** What an interrupted change left on this guest or one of its ports. */
  interruptions: Interruption[];
};

export type SegmentModel = {
  id: SegmentId;
  hostId: HostId;
  /** Every host with guests on it: one today; a segment joined across hosts lists each, and the
   * layout then draws it once, outside the hosts' groups. */
  hostIds: HostId[];
  segment: Segment;
  /** Guests placed around this segment, in ring order. */
  guestIds: GuestId[];
  /** Every guest with an interface here (placed here or elsewhere), in ring order. */
  memberIds: GuestId[];
  mode: 'pairwise' | 'spokes';
  /** The hosts' own segments it is made of (itself, unless it spans hosts). */
  parts: Segment[];
  /** Why its parts are one L2 segment, in words; empty for one host's segment. */
  evidence: readonly JoinEvidence[];
};

export type HostModel = {
  id: string;
  hostId: HostId;
  label: string;
  summary: HostSummary | undefined;
  segmentIds: SegmentId[];
  /** Guests on no segment (no interface, macvtap only, unknown network). */
  looseGuestIds: GuestId[];
  /** What a collapsed host's card says. */
  counts: HostCounts;
};

export type HostCounts = { guests: number; running: number; cuts: number; segments: number };

export type GraphModel = {
  hosts: HostModel[];
  segments: SegmentModel[];
  guests: GuestModel[];
  links: LinkModel[];
  spokes: SpokeModel[];
};

export function hostNodeId(hostId: HostId): string {
  return `host:${hostId}`;
}

export function linkId(segmentId: SegmentId, x: GuestId, y: GuestId): string {
  const [a, b] = x < y ? [x, y] : [y, x];
  return `link|${segmentId}|${a}|${b}`;
}

export function spokeId(segmentId: SegmentId, guestId: GuestId): string {
  return `spoke|${segmentId}|${guestId}`;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Ring order: by name as people count (node2 before node10), then uuid. */
export function compareGuests(x: Guest, y: Guest): number {
  return collator.compare(x.name, y.name) || (x.uuid < y.uuid ? -1 : x.uuid > y.uuid ? 1 : 0);
}

export function interfaceOn(guest: Guest, segmentId: SegmentId): GuestInterface | undefined {
  return guest.interfaces.find((i) => i.segmentId === segmentId);
}

/** What one cut drops, exactly, in the fewest words: "UDP:53, one way". */
export function cutBadge(cut: Pick<LinkCut, 'scope' | 'blocked'>): string {
  return `${scopeLabel(cut.scope) || 'All'}, ${cut.blocked === 'both' ? 'both ways' : 'one way'}`;
}

export function scopeLabel(scope: CutScope): string {
  switch (scope.kind) {
    case 'all':
      return '';
    case 'ipv4':
      return 'IPv4';
    case 'icmp':
      return 'ICMP';
    case 'tcp':
    case 'udp':
      return scope.port === undefined
        ? scope.kind.toUpperCase()
        : `${scope.kind.toUpperCase()}:${scope.port}`;
  }
}

export function protectionOf(guest: Guest): ProtectionSummary {
  const attached = guest.interfaces.filter((i) => i.segmentId !== null);
  const protectedCount = attached.filter((i) => i.protection.kind !== 'none').length;
  if (attached.length > 0 && protectedCount === attached.length) return 'protected';
  return protectedCount > 0 ? 'partial' : 'unprotected';
}

/** What a link with several cuts shows: the state that most needs a look. */
const STATUS_WEIGHT: Record<LinkStatus, number> = {
  intact: 0,
  severed: 1,
  expired: 2,
  pending: 3,
  orphaned: 4,
  healing: 5,
  applying: 6,
  failed: 7,
};

export function statusOfCut(state: CutState): LinkStatus {
  switch (state) {
    case 'applied':
    case 're-applied':
      return 'severed';
    case 'applying':
    case 'healing':
    case 'failed':
    case 'pending':
    case 'expired':
    case 'orphaned':
      return state;
  }
}

/** A cut's state in a few words, for titles and lists. */
export const CUT_STATE_WORDS: Record<CutState, string> = {
  applying: 'being applied',
  applied: 'in force',
  're-applied': 'in force again after its guest restarted',
  healing: 'being healed',
  failed: 'failed',
  pending: 'pending: wanted but not in force (guest down or a change interrupted)',
  expired: 'expired: heals on the next reconcile',
  orphaned: 'orphaned: rules no cut wants; the next change removes them',
};

/** Who made a cut, as "root@host"; orphaned rules have no author. */
export function authorLabel(author: CutAuthor | null): string {
  return author ? author.user : 'nobody (no intent on the host)';
}

/** The interruptions that concern a guest: its own, or one of its ports'. */
export function interruptionsOf(guest: Guest, interruptions: readonly Interruption[]) {
  const ports = new Set(guest.interfaces.map((i) => i.portdev).filter((p) => p !== null));
  return interruptions.filter(
    (x) => x.guestId === guest.id || (x.portdev !== null && ports.has(x.portdev)),
  );
}

function worst(statuses: LinkStatus[]): LinkStatus {
  return statuses.reduce<LinkStatus>(
    (w, s) => (STATUS_WEIGHT[s] > STATUS_WEIGHT[w] ? s : w),
    'intact',
  );
}

function combineBlocked(cuts: LinkCut[]): Blocked | null {
  let ab = false;
  let ba = false;
  for (const cut of cuts) {
    if (cut.blocked !== 'b->a') ab = true;
    if (cut.blocked !== 'a->b') ba = true;
  }
  return ab && ba ? 'both' : ab ? 'a->b' : ba ? 'b->a' : null;
}

function uncuttableReason(guest: Guest, iface: GuestInterface | undefined): string | null {
  if (!iface) return `${guest.name} has no interface here`;
  return iface.uncuttable ? `${guest.name}: ${iface.uncuttable.explanation}` : null;
}

export function buildGraphModel(
  hosts: readonly HostSummary[],
  inventories: Readonly<Record<string, HostInventory | undefined>>,
  /** The user's saved groups (segments.list); leases join segments without them. */
  segmentGroups: readonly SegmentGroup[] = [],
): GraphModel {
  const model: GraphModel = { hosts: [], segments: [], guests: [], links: [], spokes: [] };
  // Segments that span hosts (joined on evidence, shared/inventory/fabric.ts) are drawn once,
  // with links between guests of different hosts; each host keeps its own guests.
  const present = hosts.flatMap((h) => inventories[h.id] ?? []);
  const shared =
    present.length > 1 ? sharedSegments(present, resolveGroups(segmentGroups, present)) : [];
  const join = segmentJoin(shared);
  const spanningMembers = new Set(shared.flatMap((x) => x.segments));
  for (const summary of hosts) {
    const inventory = inventories[summary.id];
    const hostModel: HostModel = {
      id: hostNodeId(summary.id),
      hostId: summary.id,
      label: summary.label || inventory?.hostname || summary.id,
      summary,
      segmentIds: [],
      looseGuestIds: [],
      counts: { guests: 0, running: 0, cuts: 0, segments: 0 },
    };
    model.hosts.push(hostModel);
    if (inventory) addInventory(model, hostModel, inventory, join, spanningMembers);
  }
  for (const spanning of shared) addSpanningSegment(model, spanning, present, join);
  return model;
}

/** One segment across hosts: its members from every host, its cuts from every host. */
function addSpanningSegment(
  model: GraphModel,
  spanning: ReturnType<typeof sharedSegments>[number],
  inventories: readonly HostInventory[],
  join: (id: SegmentId) => SegmentId,
) {
  const onIt = (id: SegmentId | null) => id !== null && join(id) === spanning.id;
  // Interfaces seen under the spanning segment's id, so the links find them there.
  const members = inventories
    .flatMap((inv) => inv.guests)
    .filter((g) => g.interfaces.some((i) => onIt(i.segmentId)))
    .map((g) => ({
      ...g,
      interfaces: g.interfaces.map((i) =>
        onIt(i.segmentId) ? { ...i, segmentId: spanning.id } : i,
      ),
    }))
    .sort(compareGuests);
  const cuts = inventories
    .flatMap((inv) => inv.cuts)
    .filter((c) => onIt(c.segmentId))
    .map((c) => ({ ...c, segmentId: spanning.id }));
  const base = inventories
    .flatMap((inv) => inv.segments)
    .find((x) => x.id === spanning.id) as Segment;
  const placed = new Set(model.guests.filter((g) => g.segmentId === spanning.id).map((g) => g.id));
  const parts = inventories.flatMap((inv) =>
    inv.segments.filter((x) => spanning.segments.includes(x.id)),
  );
  addSegment(
    model,
    { ...base, name: spanning.name },
    [...spanning.hosts],
    members,
    cuts,
    (id) => placed.has(id),
    { parts, evidence: spanning.evidence },
  );
}

/** A segment with its members' spokes and, when few enough, their pairwise links. */
function addSegment(
  model: GraphModel,
  segment: Segment,
  hostIds: HostId[],
  members: Guest[],
  cuts: ActiveCut[],
  placedHere: (id: GuestId) => boolean,
  joined: { parts: Segment[]; evidence: readonly JoinEvidence[] } = {
    parts: [segment],
    evidence: [],
  },
) {
  const mode = members.length > PAIRWISE_LIMIT ? 'spokes' : 'pairwise';
  model.segments.push({
    id: segment.id,
    hostId: segment.hostId,
    hostIds,
    segment,
    guestIds: members.filter((g) => placedHere(g.id)).map((g) => g.id),
    memberIds: members.map((g) => g.id),
    mode,
    ...joined,
  });
  addSpokes(model, segment.hostId, segment.id, members, cuts, mode === 'spokes');
  if (mode === 'pairwise') addLinks(model, segment.hostId, segment.id, members, cuts);
}

function addInventory(
  model: GraphModel,
  host: HostModel,
  inventory: HostInventory,
  join: (id: SegmentId) => SegmentId = (id) => id,
  spanningMembers: ReadonlySet<SegmentId> = new Set(),
) {
  const guests = [...inventory.guests].sort(compareGuests);
  host.counts = {
    guests: guests.length,
    running: guests.filter((g) => g.state === 'running').length,
    cuts: inventory.cuts.length,
    segments: inventory.segments.length,
  };
  const segmentIds = new Set(inventory.segments.map((s) => s.id));
  const cutsByGuest = new Map<GuestId, number>();
  const outsideByGuest = new Map<GuestId, string[]>();
  for (const cut of inventory.cuts) {
    for (const { guestId: id } of guestEndsOf(cut))
      cutsByGuest.set(id, (cutsByGuest.get(id) ?? 0) + 1);
    const [own] = guestEndsOf(cut);
    const outside = isGuestEnd(cut.to) ? cut.from : cut.to;
    if (own && !isGuestEnd(outside)) {
      const texts = outsideByGuest.get(own.guestId) ?? [];
      outsideByGuest.set(own.guestId, [...texts, outsideText(outside)]);
    }
  }

  const placedOn = new Map<GuestId, SegmentId | null>();
  for (const guest of guests) {
    const first = guest.interfaces.find((i) => i.segmentId !== null && segmentIds.has(i.segmentId));
    const segmentId = first?.segmentId ? join(first.segmentId) : null;
    placedOn.set(guest.id, segmentId);
    if (segmentId === null) host.looseGuestIds.push(guest.id);
    model.guests.push({
      id: guest.id,
      hostId: inventory.hostId,
      guest,
      segmentId,
      protection: protectionOf(guest),
      cutCount: cutsByGuest.get(guest.id) ?? 0,
      outsideCuts: outsideByGuest.get(guest.id) ?? [],
      interruptions: interruptionsOf(guest, inventory.interruptions),
    });
  }

  const segments = [...inventory.segments].sort((x, y) => collator.compare(x.name, y.name));
  for (const segment of segments) {
    if (spanningMembers.has(segment.id)) {
      // Part of a segment spanning hosts: drawn once, after every host (addSpanningSegment).
      if (!host.segmentIds.includes(join(segment.id))) host.segmentIds.push(join(segment.id));
      continue;
    }
    const members = guests.filter((g) => interfaceOn(g, segment.id));
    host.segmentIds.push(segment.id);
    const cutsHere = inventory.cuts.filter((c) => c.segmentId === segment.id);
    addSegment(
      model,
      segment,
      [inventory.hostId],
      members,
      cutsHere,
      (id) => placedOn.get(id) === segment.id,
    );
  }
}

function addSpokes(
  model: GraphModel,
  hostId: HostId,
  segmentId: SegmentId,
  members: Guest[],
  cuts: ActiveCut[],
  isKnifeTarget: boolean,
) {
  // Cuts by guest once, not a scan of every cut per guest (thousands of guests on a segment).
  // A spoke shows the guest's cuts on this segment's links; cuts to the outside have their badge.
  const byGuest = new Map<GuestId, ActiveCut[]>();
  for (const cut of cuts.filter(isGuestCut)) {
    for (const id of new Set(guestEndsOf(cut).map((e) => e.guestId)))
      byGuest.set(id, [...(byGuest.get(id) ?? []), cut]);
  }
  for (const guest of members) {
    const iface = interfaceOn(guest, segmentId);
    const mine = byGuest.get(guest.id) ?? [];
    model.spokes.push({
      id: spokeId(segmentId, guest.id),
      kind: 'spoke',
      hostId,
      segmentId,
      guestId: guest.id,
      mac: iface?.mac ?? '',
      portdev: iface?.portdev ?? null,
      isKnifeTarget,
      uncuttable: uncuttableReason(guest, iface),
      cutCount: mine.length,
      status: worst(mine.map((c) => statusOfCut(c.state))),
    });
  }
}

function addLinks(
  model: GraphModel,
  hostId: HostId,
  segmentId: SegmentId,
  members: Guest[],
  cuts: ActiveCut[],
) {
  // Links are between guests: a cut to the outside shows on its guest's card only.
  const byPair = new Map<string, GuestCut<ActiveCut>[]>();
  for (const cut of cuts.filter(isGuestCut)) {
    const id = linkId(segmentId, cut.from.guestId, cut.to.guestId);
    byPair.set(id, [...(byPair.get(id) ?? []), cut]);
  }
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      const [x, y] = [members[i] as Guest, members[j] as Guest];
      const [ga, gb] = x.id < y.id ? [x, y] : [y, x];
      const ia = interfaceOn(ga, segmentId) as GuestInterface;
      const ib = interfaceOn(gb, segmentId) as GuestInterface;
      const id = linkId(segmentId, ga.id, gb.id);
      const linkCuts: LinkCut[] = (byPair.get(id) ?? []).map((cut) => ({
        id: cut.id,
        blocked: cut.direction === 'both' ? 'both' : cut.from.guestId === ga.id ? 'a->b' : 'b->a',
        scope: cut.scope,
        state: cut.state,
        expiresAt: cut.expiresAt,
        author: cut.author,
        createdAt: cut.createdAt,
        runId: cut.runId,
      }));
      const badges = [...new Set(linkCuts.map(cutBadge))];
      const expiries = linkCuts.map((c) => c.expiresAt).filter((e): e is number => e !== null);
      model.links.push({
        id,
        kind: 'pair',
        hostId,
        segmentId,
        a: { guestId: ga.id, mac: ia.mac },
        b: { guestId: gb.id, mac: ib.mac },
        uncuttable: uncuttableReason(ga, ia) ?? uncuttableReason(gb, ib),
        cuts: linkCuts,
        status: worst(linkCuts.map((c) => statusOfCut(c.state))),
        blocked: combineBlocked(linkCuts),
        badge: badges.join(' + '),
        reapplied: linkCuts.some((c) => c.state === 're-applied'),
        expiresAt: expiries.length ? Math.min(...expiries) : null,
      });
    }
  }
}
