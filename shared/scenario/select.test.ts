import { describe, expect, it } from 'vitest';
import { type Guest, guestId, type SegmentId, segmentId } from '../api';
import { LAB_HOST, labGuest, labInventory, labMac } from '../api/fixtures';
import { ScenarioError } from './problems';
import { linksOf, selectGuests, sharedInterfaces } from './select';

const inventory = labInventory(0, {
  guests: [
    labGuest(3, { labels: { role: 'db' } }),
    labGuest(1, { labels: { role: 'db', zone: 'a' } }),
    labGuest(2, { labels: { role: 'web' } }),
    labGuest(4, { state: 'shutoff' }),
    labGuest(5, { name: 'backup[1]' }),
  ],
});
const namesOf = (gs: Guest[]) => gs.map((g) => g.name);

describe('selectGuests', () => {
  it('by name, pattern and label; the union sorted by name', () => {
    expect(namesOf(selectGuests(['lab-node2'], inventory))).toEqual(['lab-node2']);
    expect(namesOf(selectGuests(['lab-node*'], inventory))).toEqual([
      'lab-node1',
      'lab-node2',
      'lab-node3',
      'lab-node4',
    ]);
    expect(namesOf(selectGuests(['lab-node?', 'backup*'], inventory))).toEqual([
      'backup[1]',
      'lab-node1',
      'lab-node2',
      'lab-node3',
      'lab-node4',
    ]);
    expect(namesOf(selectGuests(['lab-node[13]'], inventory))).toEqual(['lab-node1', 'lab-node3']);
    expect(namesOf(selectGuests(['lab-node[!13]'], inventory))).toEqual(['lab-node2', 'lab-node4']);
    expect(namesOf(selectGuests(['label:role=db'], inventory))).toEqual(['lab-node1', 'lab-node3']);
    expect(namesOf(selectGuests(['label:zone', 'lab-node2'], inventory))).toEqual([
      'lab-node1',
      'lab-node2',
    ]);
    expect(namesOf(selectGuests(['backup[1]'], inventory))).toEqual(['backup[1]']);
  });

  it('keeps the listed order when asked, without repeats', () => {
    const listed = selectGuests(['lab-node3', 'label:role=db', 'lab-node2'], inventory, {
      listed: true,
    });
    expect(namesOf(listed)).toEqual(['lab-node3', 'lab-node1', 'lab-node2']);
  });

  it('running only: patterns skip guests that are off, a name that is off is an error', () => {
    expect(namesOf(selectGuests(['lab-node*'], inventory, { running: true }))).toEqual([
      'lab-node1',
      'lab-node2',
      'lab-node3',
    ]);
    expect(() => selectGuests(['lab-node4'], inventory, { running: true, path: 'guests' })).toThrow(
      "guests: 'lab-node4' matches no running guest (lab-node4 is shutoff)",
    );
  });

  it('a selector that matches nobody is an error naming it, every one at once', () => {
    try {
      selectGuests(['db*', 'lab-node1', 'label:role=cache'], inventory, { path: 'steps[0].heal' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      expect((e as ScenarioError).problems).toEqual([
        { line: 0, column: 0, path: 'steps[0].heal', message: "no guest matches 'db*'" },
        {
          line: 0,
          column: 0,
          path: 'steps[0].heal',
          message: "no guest matches 'label:role=cache'",
        },
      ]);
    }
  });
});

describe('sharedInterfaces and linksOf', () => {
  const other = segmentId(LAB_HOST, 'network', 'other');
  const twoNics = (n: number) => {
    const g = labGuest(n);
    const nic = g.interfaces[0] as Guest['interfaces'][number];
    return { ...g, interfaces: [nic, { ...nic, mac: `52:54:00:00:01:0${n}`, segmentId: other }] };
  };
  const alone = labGuest(9, { interfaces: [] });

  it('the one pair of interfaces on a common segment', () => {
    expect(sharedInterfaces(labGuest(1), labGuest(2))).toEqual([
      { guestId: guestId(LAB_HOST, labGuest(1).uuid), mac: labMac(1) },
      { guestId: guestId(LAB_HOST, labGuest(2).uuid), mac: labMac(2) },
    ]);
    expect(sharedInterfaces(twoNics(1), twoNics(2), 'other')).toEqual([
      { guestId: labGuest(1).id, mac: '52:54:00:00:01:01' },
      { guestId: labGuest(2).id, mac: '52:54:00:00:01:02' },
    ]);
  });

  it('none or several is an error that says what to do', () => {
    expect(() => sharedInterfaces(labGuest(1), alone)).toThrow(
      'lab-node1 and lab-node9 share no segment: nothing to cut',
    );
    expect(() => sharedInterfaces(labGuest(1), labGuest(2), 'other')).toThrow(
      'lab-node1 and lab-node2 share no segment named other: nothing to cut',
    );
    expect(() => sharedInterfaces(twoNics(1), twoNics(2))).toThrow(
      'lab-node1 and lab-node2 share several segments (kvmchaos-lab, other): pick one with --segment',
    );
  });

  it("across hosts, --segment may name the segment by either host's name for it", () => {
    // Host 1 calls the joined segments kvmchaos-lab and other; host 2 calls them br0 and br1.
    const h2 = 'remote-2' as typeof LAB_HOST;
    const [br0, br1] = [segmentId(h2, 'bridge', 'br0'), segmentId(h2, 'bridge', 'br1')];
    const joined = new Map<string, string>([
      [br0, segmentId(LAB_HOST, 'network', 'kvmchaos-lab')],
      [br1, other],
    ]);
    const segmentOf = (id: SegmentId) => (joined.get(id) ?? id) as SegmentId;
    const far = twoNics(2);
    const b = {
      ...far,
      interfaces: far.interfaces.map((i, n) => ({ ...i, segmentId: n === 0 ? br0 : br1 })),
    };
    const pick = (name: string) => sharedInterfaces(twoNics(1), b, name, '--segment', segmentOf);
    expect(pick('other')).toEqual(pick('br1'));
    expect(pick('br1')).toEqual([
      { guestId: labGuest(1).id, mac: '52:54:00:00:01:01' },
      { guestId: labGuest(2).id, mac: '52:54:00:00:01:02' },
    ]);
    expect(pick('kvmchaos-lab')).toEqual(pick('br0'));
    expect(pick('br0')[0].mac).toBe(labMac(1));
    expect(() => pick('br7')).toThrow('share no segment named br7');
  });

  it('links: every pair on a common segment, sorted', () => {
    const links = linksOf([labGuest(3), alone, labGuest(1), labGuest(2)]);
    expect(links.map(([a, b]) => `${a.name}-${b.name}`)).toEqual([
      'lab-node1-lab-node2',
      'lab-node1-lab-node3',
      'lab-node2-lab-node3',
    ]);
  });
});
