import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MacAddress, macAddress } from '../libvirt/values';
import { vertexCover } from './cover';
import {
  type Cut,
  CutError,
  cutsFromFlows,
  flowsOf,
  normaliseCuts,
  parseScopeLabel,
  scopeLabel,
} from './cut';
import {
  bridge,
  complete,
  cutsToGrudge,
  type Grudge,
  grudgeToCuts,
  halves,
  isolate,
  majoritiesRing,
  majorityMinority,
  partitionToCuts,
} from './topology';

const nodes = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);
const macs = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    macAddress(`52:54:00:00:02:${(i + 1).toString(16).padStart(2, '0')}`),
  );

/** Who can reach whom (both ways) under a grudge. */
function reach<N extends string>(g: Grudge<N>, a: N, b: N): boolean {
  return !g.get(a)?.has(b) && !g.get(b)?.has(a);
}

describe('Jepsen topologies', () => {
  it('complete: each node drops exactly the nodes outside its component', () => {
    const g = complete([['a', 'b'], ['c'], ['d', 'e']]);
    expect([...(g.get('a') ?? [])].sort()).toEqual(['c', 'd', 'e']);
    expect([...(g.get('c') ?? [])].sort()).toEqual(['a', 'b', 'd', 'e']);
    expect(() => complete([['a'], ['a']])).toThrow(CutError);
  });

  it('isolate and halves (bisect)', () => {
    const iso = isolate(nodes(5), 'n3');
    for (const n of nodes(5)) if (n !== 'n3') expect(reach(iso, 'n3', n)).toBe(false);
    expect(reach(iso, 'n1', 'n5')).toBe(true);
    const h = halves(nodes(5));
    expect(reach(h, 'n1', 'n2')).toBe(true);
    expect(reach(h, 'n2', 'n3')).toBe(false);
    expect(reach(h, 'n3', 'n5')).toBe(true);
  });

  it('majority/minority refuses a minority that is not one', () => {
    expect(reach(majorityMinority(nodes(5), ['n1', 'n2']), 'n1', 'n3')).toBe(false);
    expect(() => majorityMinority(nodes(4), ['n1', 'n2'])).toThrow(CutError);
    expect(() => majorityMinority(nodes(4), [])).toThrow(CutError);
    expect(() => majorityMinority(nodes(4), ['x'])).toThrow(CutError);
  });

  it('majorities ring: every node sees a majority, and no two see the same one', () => {
    for (const n of [3, 4, 5, 6, 7, 9]) {
      const g = majoritiesRing(nodes(n));
      const views = nodes(n).map((x) => nodes(n).filter((y) => !g.get(x)?.has(y)));
      for (const v of views) expect(v.length).toBeGreaterThan(n / 2);
      if (n >= 5) expect(new Set(views.map((v) => v.sort().join())).size).toBe(n);
    }
  });

  it('bridge: two sides apart, the bridge node reaches both', () => {
    const g = bridge(nodes(5)); // [n1 n2] | n3 | [n4 n5]
    expect(reach(g, 'n1', 'n4')).toBe(false);
    expect(reach(g, 'n2', 'n5')).toBe(false);
    for (const n of ['n1', 'n2', 'n4', 'n5']) expect(reach(g, 'n3', n)).toBe(true);
    expect(reach(g, 'n1', 'n2')).toBe(true);
    expect(() => bridge(nodes(2))).toThrow(CutError);
  });

  it('grudges become cuts and back: mutual grudges are both-way cuts', () => {
    const m = macs(3) as [MacAddress, MacAddress, MacAddress];
    const g = new Map([
      [m[0], new Set([m[1], m[2]])],
      [m[1], new Set([m[0]])],
    ]);
    expect(grudgeToCuts(g)).toEqual([
      { from: m[0], to: m[1], direction: 'both', scope: { kind: 'all' } },
      { from: m[2], to: m[0], direction: 'one-way', scope: { kind: 'all' } },
    ]);
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.array(fc.nat(3), { minLength: 8, maxLength: 8 }),
        (n, groupOf) => {
          const ms = macs(n);
          const groups = [0, 1, 2, 3]
            .map((k) => ms.filter((_, i) => groupOf[i] === k))
            .filter((x) => x.length > 0);
          const cuts = partitionToCuts(groups);
          // Every cross-group pair cut both ways, nothing else.
          const expected = groups.reduce((acc, gr) => acc + gr.length * (n - gr.length), 0) / 2;
          expect(cuts.length).toBe(expected);
          expect(cuts.every((c) => c.direction === 'both')).toBe(true);
          expect(grudgeToCuts(cutsToGrudge(cuts))).toEqual(cuts);
        },
      ),
    );
  });
});

describe('cuts', () => {
  it('normalise: duplicates, reversed duplicates and one-way pairs merge', () => {
    const [a, b] = macs(2) as [MacAddress, MacAddress];
    const all = { kind: 'all' } as const;
    const cuts: Cut[] = [
      { from: b, to: a, direction: 'both', scope: all },
      { from: a, to: b, direction: 'one-way', scope: all },
      { from: a, to: b, direction: 'one-way', scope: { kind: 'udp', port: 53 } },
      { from: b, to: a, direction: 'one-way', scope: { kind: 'udp', port: 53 } },
      { from: a, to: b, direction: 'one-way', scope: { kind: 'tcp' } },
    ];
    expect(normaliseCuts(cuts)).toEqual([
      { from: a, to: b, direction: 'both', scope: all },
      { from: a, to: b, direction: 'both', scope: { kind: 'udp', port: 53 } },
      { from: a, to: b, direction: 'one-way', scope: { kind: 'tcp' } },
    ]);
    expect(cutsFromFlows(normaliseCuts(cuts).flatMap(flowsOf))).toEqual(normaliseCuts(cuts));
    expect(() => flowsOf({ from: a, to: a, direction: 'both', scope: all })).toThrow(CutError);
    expect(() =>
      flowsOf({ from: a, to: b, direction: 'both', scope: { kind: 'udp', port: 0 } }),
    ).toThrow(CutError);
  });

  it('scope labels round-trip', () => {
    for (const s of [
      { kind: 'all' },
      { kind: 'ipv4' },
      { kind: 'icmp' },
      { kind: 'tcp' },
      { kind: 'udp', port: 65535 },
    ] as const)
      expect(parseScopeLabel(scopeLabel(s))).toEqual(s);
    expect(parseScopeLabel('udp-0')).toBeNull();
    expect(parseScopeLabel('udp-70000')).toBeNull();
    expect(parseScopeLabel('sctp')).toBeNull();
  });
});

describe('vertex cover', () => {
  function bruteMin(edges: [string, string][]): number {
    const vs = [...new Set(edges.flat())];
    let best = vs.length;
    for (let mask = 0; mask < 1 << vs.length; mask++) {
      const chosen = new Set(vs.filter((_, i) => mask & (1 << i)));
      if (edges.every(([a, b]) => chosen.has(a) || chosen.has(b)))
        best = Math.min(best, chosen.size);
    }
    return best;
  }

  it('is exact on small graphs', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(9), fc.nat(9)), { maxLength: 20 }), (pairs) => {
        const edges = pairs
          .filter(([a, b]) => a !== b)
          .map(([a, b]) => [`v${a}`, `v${b}`] as [string, string]);
        const cover = vertexCover(edges);
        expect(edges.every(([a, b]) => cover.has(a) || cover.has(b))).toBe(true);
        expect(cover.size).toBe(bruteMin(edges));
      }),
    );
  });

  it('prefers the preferred vertices among equal covers', () => {
    const cover = vertexCover([['a', 'b']], { prefer: (v) => v === 'b' });
    expect([...cover]).toEqual(['b']);
  });

  it('takes every group but the largest for big partitions (greedy above the exact limit)', () => {
    for (const sizes of [
      [10, 12],
      [3, 5, 14],
      [1, 1, 30],
      [7, 7, 7],
    ]) {
      const groups = sizes.map((s, g) => Array.from({ length: s }, (_, i) => `g${g}-${i}`));
      const edges: [string, string][] = [];
      for (let x = 0; x < groups.length; x++)
        for (let y = x + 1; y < groups.length; y++)
          for (const a of groups[x] ?? []) for (const b of groups[y] ?? []) edges.push([a, b]);
      const cover = vertexCover(edges);
      const total = sizes.reduce((a, b) => a + b, 0);
      expect(cover.size).toBe(total - Math.max(...sizes));
      expect(edges.every(([a, b]) => cover.has(a) || cover.has(b))).toBe(true);
    }
  });
});
