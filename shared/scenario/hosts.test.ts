// A scenario over two hosts' guests (the CLI's several -c): names picked with `@host` where both
// hosts have a guest of that name, segments joined across hosts only on a lease, and the plan's
// words and nemesis steps naming each guest so that it alone answers.
import { describe, expect, it } from 'vitest';
import { type Guest, guestId, HostId, type HostInventory, type SegmentId, segmentId } from '../api';
import { labGuest, labInventory, labMac, labSegment, labUuid } from '../api/fixtures';
import { compileScenario, planFromSource, scenarioHostList } from './compile';
import { planGuests } from './hosts';
import { ScenarioError } from './problems';
import {
  guestsNamed,
  isHostNamed,
  linksOf,
  nameClash,
  selectGuests,
  sharedInterfaces,
  splitHost,
} from './select';

const KVM1 = HostId.parse('root@kvm1:22');
const KVM2 = HostId.parse('root@kvm2:22');
const seg1 = segmentId(KVM1, 'network', 'lab');
const seg2 = segmentId(KVM2, 'bridge', 'br0');

/** Guest n of a host: MAC and uuid from n (unique over both hosts), on that host's segment. */
function guestOn(host: HostId, n: number, name: string, segment: SegmentId): Guest {
  const g = labGuest(n);
  return {
    ...g,
    id: guestId(host, labUuid(n)),
    hostId: host,
    name,
    interfaces: g.interfaces.map((i) => ({ ...i, segmentId: segment })),
  };
}

const kvm1Guests = [guestOn(KVM1, 1, 'db1', seg1), guestOn(KVM1, 2, 'db2', seg1)];
const kvm2Guests = [guestOn(KVM2, 3, 'db1', seg2), guestOn(KVM2, 4, 'db3', seg2)];

/** kvm1's network leased addresses to kvm2's guests: the two segments are one. */
function inventories(leased = true): [HostInventory, HostInventory] {
  return [
    labInventory(0, {
      hostId: KVM1,
      hostname: 'kvm1',
      segments: [
        {
          ...labSegment,
          id: seg1,
          hostId: KVM1,
          name: 'lab',
          ...(leased ? { leasedMacs: [labMac(3), labMac(4)] } : {}),
        },
      ],
      guests: kvm1Guests,
    }),
    labInventory(0, {
      hostId: KVM2,
      hostname: 'kvm2',
      segments: [{ ...labSegment, id: seg2, hostId: KVM2, kind: 'bridge', name: 'br0' }],
      guests: kvm2Guests,
    }),
  ];
}

const names = (gs: readonly Guest[]) => gs.map((g) => `${g.name}@${g.hostId}`);

describe('guest names over several hosts', () => {
  it('splits name@host at the first @ after the name; a leading @ is part of the name', () => {
    expect(splitHost('db1@kvm2')).toEqual({ name: 'db1', host: 'kvm2' });
    expect(splitHost('db1@root@kvm2:22')).toEqual({ name: 'db1', host: 'root@kvm2:22' });
    expect(splitHost('db1')).toEqual({ name: 'db1', host: null });
    expect(splitHost('@x')).toEqual({ name: '@x', host: null });
  });

  it("a guest whose own name holds an '@' answers to it, on one host or several", () => {
    const odd = guestOn(KVM1, 5, 'app@blue', seg1);
    expect(names(guestsNamed([odd], 'app@blue'))).toEqual(['app@blue@root@kvm1:22']);
    expect(names(guestsNamed([odd, ...kvm2Guests], 'app@blue@kvm1'))).toEqual([
      'app@blue@root@kvm1:22',
    ]);
    expect(guestsNamed([odd], 'app@kvm1')).toEqual([]);
  });

  it('names a host by its id, or by its address with or without the port', () => {
    for (const named of ['root@kvm2:22', 'kvm2:22', 'kvm2'])
      expect(isHostNamed(KVM2, named)).toBe(true);
    for (const named of ['kvm1', 'root@kvm2', 'kvm2:23', 'kvm'])
      expect(isHostNamed(KVM2, named)).toBe(false);
  });

  it('a name taken on both hosts picks both; @host picks one; the clash says how to pick', () => {
    const all = [...kvm1Guests, ...kvm2Guests];
    expect(names(guestsNamed(all, 'db1'))).toEqual(['db1@root@kvm1:22', 'db1@root@kvm2:22']);
    expect(names(guestsNamed(all, 'db1@kvm2'))).toEqual(['db1@root@kvm2:22']);
    expect(names(guestsNamed(all, labUuid(4)))).toEqual(['db3@root@kvm2:22']);
    expect(guestsNamed(all, 'db3@kvm1')).toEqual([]);
    expect(nameClash('db1', guestsNamed(all, 'db1'))).toBe(
      "'db1' names a guest on several hosts: say which, e.g. db1@root@kvm1:22 or db1@root@kvm2:22",
    );
  });

  it('selectors: a clashing name is an error, @host and patterns work over both hosts', () => {
    const hosts = planGuests(inventories());
    expect(names(selectGuests(['db*'], hosts))).toEqual([
      'db1@root@kvm1:22',
      'db1@root@kvm2:22',
      'db2@root@kvm1:22',
      'db3@root@kvm2:22',
    ]);
    expect(names(selectGuests(['db*@kvm2'], hosts))).toEqual([
      'db1@root@kvm2:22',
      'db3@root@kvm2:22',
    ]);
    expect(names(selectGuests(['db1@kvm1', 'db3'], hosts))).toEqual([
      'db1@root@kvm1:22',
      'db3@root@kvm2:22',
    ]);
    expect(() => selectGuests(['db1'], hosts, { path: 'steps[0].heal' })).toThrow(
      "steps[0].heal: 'db1' names a guest on several hosts: say which, e.g. db1@root@kvm1:22 or db1@root@kvm2:22",
    );
  });

  it('two hosts share a segment only when a lease shows it', () => {
    const [a, b] = [kvm1Guests[1] as Guest, kvm2Guests[1] as Guest];
    const joined = planGuests(inventories(true));
    expect(sharedInterfaces(a, b, undefined, '--segment', joined.segmentOf)).toEqual([
      { guestId: a.id, mac: labMac(2) },
      { guestId: b.id, mac: labMac(4) },
    ]);
    expect(linksOf([a, b], joined.segmentOf)).toHaveLength(1);
    const apart = planGuests(inventories(false));
    expect(() => sharedInterfaces(a, b, undefined, '--segment', apart.segmentOf)).toThrow(
      'db2 and db3 share no segment: nothing to cut',
    );
    expect(linksOf([a, b], apart.segmentOf)).toEqual([]);
  });

  it('one host: its names as they are, its segments its own', () => {
    const one = planGuests(labInventory(2));
    expect(one.hostIds).toEqual(['lab']);
    expect(one.guests.map(one.nameOf)).toEqual(['lab-node1', 'lab-node2']);
    expect(one.segmentOf(labSegment.id)).toBe(labSegment.id);
  });
});

describe('a plan over two hosts', () => {
  it('names both hosts, cuts across them on the joined segment, words with @host where names clash', () => {
    const plan = compileScenario(
      {
        name: 'across',
        steps: [
          { cut: { from: 'db2', to: 'db3' }, duration: '5s' },
          { partition: 'groups', groups: [['db1@kvm2'], ['db1@kvm1', 'db2']], duration: '5s' },
          { partition: 'isolate', guests: ['db3'] },
          { heal: ['db*'] },
        ],
      },
      inventories(),
      7,
    );
    expect(plan.hostId).toBe(KVM1);
    expect(plan.hostIds).toEqual([KVM1, KVM2]);
    const [cut, groups, isolate, heal] = plan.steps;
    expect(cut?.effect).toEqual({
      kind: 'apply',
      request: {
        cuts: [
          {
            from: { guestId: kvm1Guests[1]?.id, mac: labMac(2) },
            to: { guestId: kvm2Guests[1]?.id, mac: labMac(4) },
            direction: 'both',
            scope: { kind: 'all' },
          },
        ],
      },
    });
    expect(cut?.description).toBe('cut db2 <-> db3');
    expect(groups?.description).toBe('partition groups: db1@root@kvm2:22 | db1@root@kvm1:22 db2');
    expect(groups?.guests).toEqual(['db1@root@kvm2:22', 'db1@root@kvm1:22', 'db2']);
    expect(groups?.effect).toEqual({
      kind: 'apply',
      request: {
        partition: {
          topology: 'groups',
          groups: [[kvm2Guests[0]?.id], [kvm1Guests[0]?.id, kvm1Guests[1]?.id]],
        },
      },
    });
    expect(isolate?.effect).toEqual({
      kind: 'apply',
      request: { partition: { topology: 'isolate', guestIds: [kvm2Guests[1]?.id] } },
    });
    expect(heal?.guests).toEqual(['db1@root@kvm1:22', 'db1@root@kvm2:22', 'db2', 'db3']);
  });

  it('joins segments no lease joins when the user grouped them, and only then', () => {
    const file = {
      kind: 'file' as const,
      text: 'name: x\nsteps:\n  - cut: { from: db2, to: db3 }\n',
    };
    expect(() => planFromSource(file, inventories(false), 1)).toThrow(
      'db2 and db3 share no segment: nothing to cut',
    );
    const plan = planFromSource(file, inventories(false), 1, [[seg1, seg2]]);
    expect(plan.steps[0]?.description).toBe('cut db2 <-> db3');
  });

  it('a clashing bare name is refused with the step it is in, before anything runs', () => {
    try {
      planFromSource(
        { kind: 'file', text: 'name: x\nsteps:\n  - cut: { from: db1, to: db2 }\n' },
        inventories(),
      );
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      expect((e as ScenarioError).message).toContain(
        "3:18 steps[0].cut.from: 'db1' names a guest on several hosts",
      );
    }
  });

  it('a nemesis draws guests of both hosts and names each so that it alone answers', () => {
    const plan = planFromSource(
      { kind: 'nemesis', nemesis: 'random-halves', rounds: 4 },
      inventories(),
      3,
    );
    const partitions = plan.steps.filter((s) => s.kind === 'partition');
    expect(partitions).toHaveLength(4);
    const everyone = new Set([...kvm1Guests, ...kvm2Guests].map((g) => g.id));
    for (const s of partitions) {
      const r =
        s.effect.kind === 'apply' && 'partition' in s.effect.request
          ? s.effect.request.partition
          : null;
      const ids = r && r.topology !== 'groups' ? r.guestIds : [];
      expect(new Set(ids)).toEqual(everyone);
      expect(s.guests.filter((n) => n.startsWith('db1'))).toEqual(
        expect.arrayContaining(['db1@root@kvm1:22', 'db1@root@kvm2:22']),
      );
    }
  });
});

describe("a file's hosts", () => {
  it('every host it names, for the CLI to connect when no -c is given', () => {
    expect(scenarioHostList('name: x\nhosts: [ssh://root@kvm1, kvm2]\nsteps: []\n')).toEqual([
      'ssh://root@kvm1',
      'kvm2',
    ]);
    expect(scenarioHostList('name: x\n')).toEqual([]);
    expect(scenarioHostList(': [')).toEqual([]);
  });
});
