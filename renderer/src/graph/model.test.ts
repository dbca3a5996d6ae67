import { describe, expect, it } from 'vitest';
import {
  guestId,
  type HostId,
  type Interruption,
  type Segment,
  segmentId,
} from '../../../shared/api';
import {
  LAB_SEGMENT,
  labCut,
  labGuest,
  labHost,
  labInventory,
  labMac,
} from '../../../shared/api/fixtures';
import {
  authorLabel,
  buildGraphModel,
  CUT_STATE_WORDS,
  cutBadge,
  linkId,
  PAIRWISE_LIMIT,
  protectionOf,
  scopeLabel,
  statusOfCut,
} from './model';

const g = (n: number) => labGuest(n).id;

describe('graph model', () => {
  it('joins the guests of a segment pairwise: 3 guests, 3 links, ids independent of order', () => {
    const model = buildGraphModel([labHost], { lab: labInventory(3) });
    expect(model.hosts.map((h) => h.id)).toEqual(['host:lab']);
    expect(model.segments[0]?.guestIds).toEqual([g(1), g(2), g(3)]);
    expect(model.links.map((l) => l.id).sort()).toEqual(
      [
        linkId(LAB_SEGMENT, g(1), g(2)),
        linkId(LAB_SEGMENT, g(1), g(3)),
        linkId(LAB_SEGMENT, g(2), g(3)),
      ].sort(),
    );
    expect(linkId(LAB_SEGMENT, g(2), g(1))).toBe(linkId(LAB_SEGMENT, g(1), g(2)));
    expect(model.links.every((l) => l.status === 'intact' && l.blocked === null)).toBe(true);
  });

  it('orders guests as people count: node2 before node10', () => {
    const guests = [10, 2, 1].map((n) => labGuest(n));
    const model = buildGraphModel([labHost], { lab: labInventory(0, { guests }) });
    expect(model.segments[0]?.guestIds).toEqual([g(1), g(2), g(10)]);
  });

  it("folds cuts onto their link with the direction relative to the link's ends", () => {
    const oneWay = labCut(2, 1, { direction: 'one-way', scope: { kind: 'udp' } });
    const model = buildGraphModel([labHost], { lab: labInventory(3, { cuts: [oneWay] }) });
    const link = model.links.find((l) => l.id === linkId(LAB_SEGMENT, g(1), g(2)));
    const [a] = [link?.a.guestId];
    // node2 -> node1 is dropped: whichever of the two is `a`, blocked points from node2.
    expect(link?.blocked).toBe(a === g(2) ? 'a->b' : 'b->a');
    expect(link?.status).toBe('severed');
    expect(link?.badge).toBe('UDP, one way');
    expect(model.guests.find((x) => x.id === g(1))?.cutCount).toBe(1);
    expect(model.guests.find((x) => x.id === g(3))?.cutCount).toBe(0);
  });

  it('two one-way cuts in opposite directions block both ways; the busiest state shows', () => {
    const cuts = [
      labCut(1, 2, { direction: 'one-way', scope: { kind: 'tcp', port: 80 } }),
      labCut(2, 1, {
        direction: 'one-way',
        scope: { kind: 'icmp' },
        state: 'applying',
        id: 'cut:x' as never,
        expiresAt: 5000,
      }),
    ];
    const model = buildGraphModel([labHost], { lab: labInventory(2, { cuts }) });
    const link = model.links[0];
    expect(link?.blocked).toBe('both');
    expect(link?.status).toBe('applying');
    expect(link?.badge).toBe('TCP:80, one way + ICMP, one way');
    expect(link?.expiresAt).toBe(5000);
  });

  it('marks links to a guest that cannot be cut, with its reason', () => {
    const stopped = labGuest(3, { state: 'shutoff' });
    const iface = stopped.interfaces[0];
    if (iface) {
      iface.portdev = null;
      iface.uncuttable = { reason: 'not-running', explanation: 'not running: no port to filter' };
    }
    const model = buildGraphModel([labHost], {
      lab: labInventory(0, { guests: [labGuest(1), stopped] }),
    });
    expect(model.links[0]?.uncuttable).toBe('lab-node3: not running: no port to filter');
  });

  it('switches a crowded segment to spokes: no n² links, every spoke a knife target', () => {
    const n = PAIRWISE_LIMIT + 1;
    const model = buildGraphModel([labHost], { lab: labInventory(n) });
    expect(model.links).toEqual([]);
    expect(model.spokes).toHaveLength(n);
    expect(model.spokes.every((s) => s.isKnifeTarget)).toBe(true);
    const small = buildGraphModel([labHost], { lab: labInventory(PAIRWISE_LIMIT) });
    expect(small.links).toHaveLength((PAIRWISE_LIMIT * (PAIRWISE_LIMIT - 1)) / 2);
    expect(small.spokes.some((s) => s.isKnifeTarget)).toBe(false);
  });

  it('shows a host without an inventory yet, and keeps guests without a segment apart', () => {
    const loose = labGuest(4);
    const direct = loose.interfaces[0];
    if (direct) {
      direct.type = 'direct';
      direct.segmentId = null;
    }
    const model = buildGraphModel([labHost, { ...labHost, id: 'other' as never, label: 'other' }], {
      lab: labInventory(0, { guests: [loose] }),
    });
    expect(model.hosts.map((h) => h.label)).toEqual(['lab', 'other']);
    expect(model.hosts[0]?.looseGuestIds).toEqual([loose.id]);
    expect(model.guests[0]?.segmentId).toBeNull();
  });

  it('summarises protection per guest and labels scopes', () => {
    const guarded = labGuest(1);
    const iface = guarded.interfaces[0];
    if (iface) iface.protection = { kind: 'preset', presetId: 'clean-traffic', parameters: [] };
    expect(protectionOf(guarded)).toBe('protected');
    expect(protectionOf(labGuest(2))).toBe('unprotected');
    expect(scopeLabel({ kind: 'all' })).toBe('');
    expect(scopeLabel({ kind: 'udp', port: 53 })).toBe('UDP:53');
    expect(cutBadge({ scope: { kind: 'udp', port: 53 }, blocked: 'b->a' })).toBe('UDP:53, one way');
    expect(cutBadge({ scope: { kind: 'all' }, blocked: 'both' })).toBe('All, both ways');
    expect(labMac(2)).toBe('52:54:00:00:00:22');
  });

  it('keeps who made each cut and when, whoever made it, on its link', () => {
    const theirs = labCut(1, 2, {
      author: { instance: 'cli-4711', user: 'alice@kvm2' },
      createdAt: 1_000,
      expiresAt: 61_000,
      runId: 'nightly-7',
    });
    const model = buildGraphModel([labHost], { lab: labInventory(2, { cuts: [theirs] }) });
    expect(model.links[0]?.cuts[0]).toMatchObject({
      author: { instance: 'cli-4711', user: 'alice@kvm2' },
      createdAt: 1_000,
      expiresAt: 61_000,
      runId: 'nightly-7',
    });
    expect(model.links[0]?.expiresAt).toBe(61_000);
    expect(authorLabel(theirs.author)).toBe('alice@kvm2');
    expect(authorLabel(null)).toBe('nobody (no intent on the host)');
  });

  it('draws pending, expired and orphaned cuts as themselves, and the one needing a look wins', () => {
    const stateOf = (state: 'pending' | 'expired' | 'orphaned') =>
      buildGraphModel([labHost], {
        lab: labInventory(2, { cuts: [labCut(1, 2, { state, author: null })] }),
      }).links[0]?.status;
    expect(stateOf('pending')).toBe('pending');
    expect(stateOf('expired')).toBe('expired');
    expect(stateOf('orphaned')).toBe('orphaned');
    const mixed = [
      labCut(1, 2, { direction: 'one-way' }),
      labCut(2, 1, { direction: 'one-way', id: 'cut:o' as never, state: 'orphaned' }),
    ];
    const model = buildGraphModel([labHost], { lab: labInventory(2, { cuts: mixed }) });
    expect(model.links[0]?.status).toBe('orphaned');
    expect(model.links[0]?.blocked).toBe('both');
    expect(statusOfCut('re-applied')).toBe('severed');
    expect(Object.keys(CUT_STATE_WORDS)).toHaveLength(8);
  });

  it("gives each guest the interruptions of its ports and its own, not its neighbours'", () => {
    const interruptions: Interruption[] = [
      {
        kind: 'unbound-port',
        portdev: 'vnet1',
        guestId: null,
        message: 'vnet1 has no binding: a change was interrupted between delete and create',
        repair: 'kvm-chaos heal --all',
      },
      {
        kind: 'pending-cut',
        portdev: null,
        guestId: labGuest(3).id,
        message: 'a cut into lab-node3 is wanted but not in force',
        repair: 'kvm-chaos heal --all',
      },
    ];
    const model = buildGraphModel([labHost], { lab: labInventory(3, { interruptions }) });
    const of = (n: number) => model.guests.find((x) => x.id === g(n))?.interruptions;
    expect(of(1)).toEqual([]);
    expect(of(2)).toEqual([interruptions[0]]);
    expect(of(3)).toEqual([interruptions[1]]);
  });
});

describe('a segment spanning two hosts', () => {
  // Host 2 is a copy of the lab host with its own ids; its guests took their leases from host 1's
  // network, which is the evidence that joins the two segments.
  const H2 = 'h2' as HostId;
  const seg2 = segmentId(H2, 'network', 'uplink');
  const h2Guest = (n: number) => {
    const base = labGuest(n);
    return {
      ...base,
      id: guestId(H2, base.uuid),
      hostId: H2,
      name: `h2-node${n}`,
      interfaces: base.interfaces.map((i) => ({
        ...i,
        mac: `52:54:00:00:02:0${n}`,
        segmentId: seg2,
      })),
    };
  };
  const h2Segment = {
    ...labInventory(0).segments[0],
    id: seg2,
    hostId: H2,
    name: 'uplink',
  } as Segment;
  const inv1 = labInventory(2, {
    segments: [
      { ...(labInventory(0).segments[0] as Segment), leasedMacs: ['52:54:00:00:02:01'] as never },
    ],
  });
  const inv2 = labInventory(0, {
    hostId: H2,
    hostname: 'h2',
    segments: [h2Segment],
    guests: [h2Guest(1), h2Guest(2)],
  });
  const host2 = { ...labHost, id: H2, label: 'h2' };

  it('is drawn once for both hosts, with links between guests of different hosts', () => {
    const model = buildGraphModel([labHost, host2], { lab: inv1, h2: inv2 });
    const spanning = model.segments.filter((s) => s.hostIds.length > 1);
    expect(spanning).toHaveLength(1);
    expect(model.segments).toHaveLength(1);
    // The smaller member id names the shared segment.
    expect(spanning[0]?.id).toBe([LAB_SEGMENT, seg2].sort()[0]);
    expect(spanning[0]?.memberIds).toHaveLength(4);
    // Every pair of the 4 guests, across hosts too: 6 links.
    expect(model.links).toHaveLength(6);
    expect(model.hosts.map((h) => h.segmentIds)).toEqual([[spanning[0]?.id], [spanning[0]?.id]]);
  });

  it('stays two segments without evidence', () => {
    const plain = labInventory(2);
    const model = buildGraphModel([labHost, host2], { lab: plain, h2: inv2 });
    expect(model.segments.map((s) => s.hostIds.length)).toEqual([1, 1]);
    expect(model.links).toHaveLength(2);
  });
});
