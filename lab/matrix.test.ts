import { describe, expect, it } from 'vitest';
import { buildFlows, lastRounds, parseRound, renderTable } from './matrix';

const line = (node: number, round: number, icmp: string, udp: string) =>
  `@kc v1 node=${node} round=${round} icmp=${icmp} tcp=${icmp} udp=${udp} macspoof=${udp} ipspoof=${udp}`;

describe('probe console lines', () => {
  it('parses a round line into masks', () => {
    const r = parseRound(line(2, 7, '1-0', '0-1'));
    expect(r).toEqual({
      node: 2,
      round: 7,
      masks: { icmp: '1-0', tcp: '1-0', udp: '0-1', macspoof: '0-1', ipspoof: '0-1' },
    });
  });

  it('ignores kernel chatter, partial lines and lines missing a protocol', () => {
    expect(parseRound('[    1.23] virtio_net virtio0 eth0: renamed')).toBeNull();
    expect(parseRound('@kc v1 node=1 round=3 icmp=-1 tcp=-1')).toBeNull();
    expect(parseRound('@kc v1 node=1 round=3 icmp=-1 tcp=-1 udp=-1 macspoof=-1 ipspo')).toBeNull();
    const text = [
      'junk',
      line(1, 1, '-1', '-1'),
      '@kc ip 192.168.77.11/24',
      line(1, 2, '-0', '-1'),
      'trunc',
    ].join('\n');
    expect(lastRounds(text, 4).map((r) => r.round)).toEqual([1, 2]);
  });
});

function round(text: string) {
  const r = parseRound(text);
  if (!r) throw new Error(`not a round line: ${text}`);
  return r;
}

describe('flows', () => {
  // node1 reaches node2 by icmp in both rounds; node2 reaches node1 in none. UDP is read on the
  // receiver: node1 received from node2 once, node2 received from node1 never.
  const guests = [
    {
      name: 'a',
      node: 1,
      rounds: [round(line(1, 1, '-1', '-1')), round(line(1, 2, '-1', '-0'))],
    },
    {
      name: 'b',
      node: 2,
      rounds: [round(line(2, 1, '0-', '0-')), round(line(2, 2, '0-', '0-'))],
    },
  ];
  const flows = buildFlows(guests);
  const get = (from: string, to: string, p: string) =>
    flows.find((f) => f.from === from && f.to === to && f.protocol === p);

  it('counts round trips at the sender', () => {
    expect(get('a', 'b', 'icmp')).toMatchObject({ ok: 2, of: 2 });
    expect(get('b', 'a', 'icmp')).toMatchObject({ ok: 0, of: 2 });
  });

  it('counts one-way datagrams at the receiver', () => {
    expect(get('b', 'a', 'udp')).toMatchObject({ ok: 1, of: 2 });
    expect(get('a', 'b', 'udp')).toMatchObject({ ok: 0, of: 2 });
  });

  it('renders a table a person can read', () => {
    const reading = (name: string, node: number) => ({
      name,
      node,
      ageMs: 100,
      fresh: true,
      lastRound: 2,
      lastLine: '',
    });
    const table = renderTable(
      { at: '', window: 2, guests: [reading('a', 1), reading('b', 2)], flows },
      ['icmp'],
    );
    expect(table.split('\n')).toEqual([
      'icmp (from row to column, rounds ok of last 2)',
      '          a         b       ',
      'a         -         ok 2/2  ',
      'b         x 0/2     -',
    ]);
  });
});
