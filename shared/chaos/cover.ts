// Choosing ports is a vertex cover: every pair that must be cut is an edge, and a rule on either
// end's port enforces it. Exact (smallest cover, then most preferred vertices) for components up
// to EXACT_LIMIT vertices; above that a greedy cover that is exact for partitions into groups
// (it takes every group but the largest).

export const EXACT_LIMIT = 16;

export interface CoverOptions<V> {
  /** Among covers of equal size, take the one with the most preferred vertices. */
  readonly prefer?: (v: V) => boolean;
  readonly exactLimit?: number;
  /**
   * What taking a vertex costs (default 1): the cover of least total cost wins, then the smaller,
   * then the most preferred. The planner prices ports whose change opens an unfiltered window high.
   */
  readonly cost?: (v: V) => number;
}

/** Exact weighted cover: every subset of a component, cheapest first, then smallest, then preferred. */
function cheapestCover<V extends string>(
  vertices: readonly V[],
  edges: readonly (readonly [V, V])[],
  prefer: (v: V) => boolean,
  cost: (v: V) => number,
): Set<V> {
  const n = vertices.length;
  const index = new Map(vertices.map((v, i) => [v, i]));
  const masks = edges.map(([a, b]) => (1 << (index.get(a) ?? 0)) | (1 << (index.get(b) ?? 0)));
  let best = (1 << n) - 1;
  let bestKey: [number, number, number] = [Number.POSITIVE_INFINITY, n + 1, 0];
  for (let set = 0; set < 1 << n; set++) {
    if (!masks.every((m) => (set & m) !== 0)) continue;
    let c = 0;
    let size = 0;
    let preferred = 0;
    for (let i = 0; i < n; i++)
      if (set & (1 << i)) {
        const v = vertices[i] as V;
        c += cost(v);
        size++;
        if (prefer(v)) preferred++;
      }
    const [bc, bs, bp] = bestKey;
    if (c < bc || (c === bc && (size < bs || (size === bs && preferred > bp)))) {
      best = set;
      bestKey = [c, size, preferred];
    }
  }
  return new Set(vertices.filter((_, i) => best & (1 << i)));
}

function components<V extends string>(adj: Map<V, Set<V>>): V[][] {
  const seen = new Set<V>();
  const out: V[][] = [];
  for (const start of [...adj.keys()].sort()) {
    if (seen.has(start)) continue;
    const comp: V[] = [];
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      const v = stack.pop() as V;
      comp.push(v);
      for (const w of adj.get(v) ?? [])
        if (!seen.has(w)) {
          seen.add(w);
          stack.push(w);
        }
    }
    out.push(comp.sort());
  }
  return out;
}

function covers<V>(edges: readonly (readonly [V, V])[], chosen: ReadonlySet<V>): boolean {
  return edges.every(([a, b]) => chosen.has(a) || chosen.has(b));
}

function exactCover<V extends string>(
  vertices: readonly V[],
  edges: readonly (readonly [V, V])[],
  prefer: (v: V) => boolean,
): Set<V> {
  const n = vertices.length;
  for (let k = 1; k <= n; k++) {
    let best: V[] | null = null;
    let bestScore = -1;
    // Combinations of k indices in lexicographic order.
    const idx = Array.from({ length: k }, (_, i) => i);
    for (;;) {
      const pick = idx.map((i) => vertices[i] as V);
      if (covers(edges, new Set(pick))) {
        const score = pick.filter(prefer).length;
        if (score > bestScore) {
          best = pick;
          bestScore = score;
          if (score === k) break;
        }
      }
      let i = k - 1;
      while (i >= 0 && idx[i] === n - k + i) i--;
      if (i < 0) break;
      idx[i] = (idx[i] as number) + 1;
      for (let j = i + 1; j < k; j++) idx[j] = (idx[j - 1] as number) + 1;
    }
    if (best) return new Set(best);
  }
  return new Set(vertices);
}

function greedyCover<V extends string>(
  vertices: readonly V[],
  edges: readonly (readonly [V, V])[],
  prefer: (v: V) => boolean,
): Set<V> {
  const remaining = new Map<V, Set<V>>(vertices.map((v) => [v, new Set<V>()]));
  for (const [a, b] of edges) {
    remaining.get(a)?.add(b);
    remaining.get(b)?.add(a);
  }
  const chosen = new Set<V>();
  for (;;) {
    let best: V | null = null;
    let bestDeg = 0;
    for (const v of vertices) {
      const deg = remaining.get(v)?.size ?? 0;
      if (
        deg > bestDeg ||
        (deg === bestDeg && deg > 0 && best !== null && prefer(v) && !prefer(best))
      ) {
        best = v;
        bestDeg = deg;
      }
    }
    if (best === null) break;
    chosen.add(best);
    for (const w of remaining.get(best) ?? []) remaining.get(w)?.delete(best);
    remaining.set(best, new Set());
  }
  // Drop vertices made redundant by later picks (non-preferred ones first).
  const order = [...chosen].sort((a, b) => Number(prefer(a)) - Number(prefer(b)));
  for (const v of order) {
    chosen.delete(v);
    if (!covers(edges, chosen)) chosen.add(v);
  }
  return chosen;
}

/** A smallest set of vertices touching every edge (self-loops are ignored). */
export function vertexCover<V extends string>(
  edges: readonly (readonly [V, V])[],
  options: CoverOptions<V> = {},
): Set<V> {
  const prefer = options.prefer ?? (() => false);
  const limit = options.exactLimit ?? EXACT_LIMIT;
  const cost = options.cost;
  const adj = new Map<V, Set<V>>();
  const real = edges.filter(([a, b]) => a !== b);
  for (const [a, b] of real) {
    if (!adj.has(a)) adj.set(a, new Set());
    if (!adj.has(b)) adj.set(b, new Set());
    adj.get(a)?.add(b);
    adj.get(b)?.add(a);
  }
  const result = new Set<V>();
  for (const comp of components(adj)) {
    const inComp = new Set(comp);
    const compEdges = real.filter(([a]) => inComp.has(a));
    // Components with pricier vertices are solved by cost; the rest (the common case) by size.
    const priced = cost !== undefined && comp.some((v) => cost(v) !== 1);
    const cover =
      comp.length <= limit
        ? priced
          ? cheapestCover(comp, compEdges, prefer, cost)
          : exactCover(comp, compEdges, prefer)
        : greedyCover(comp, compEdges, (v) => prefer(v) && (cost?.(v) ?? 1) === 1);
    for (const v of cover) result.add(v);
  }
  return result;
}
