// Jepsen's vocabulary (jepsen.nemesis): a partition is a grudge, a map from each node to the nodes
// it drops traffic from; topologies are small functions that build grudges, and one function
// turns any grudge into cuts. Nodes are whatever identifies an interface (the planner uses MACs).
import type { MacAddress } from '../libvirt/values';
import {
  ALL,
  type Cut,
  CutError,
  cutsFromFlows,
  type Endpoint,
  type Flow,
  type Scope,
  validScope,
} from './cut';

/** For each node, the nodes whose traffic it drops. */
export type Grudge<N extends string = string> = ReadonlyMap<N, ReadonlySet<N>>;

function checkNodes<N extends string>(nodes: readonly N[]): void {
  if (new Set(nodes).size !== nodes.length) throw new CutError('a node is listed twice');
}

/** Jepsen's complete-grudge: every node drops every node outside its own component. */
export function complete<N extends string>(components: readonly (readonly N[])[]): Grudge<N> {
  const all = components.flat();
  checkNodes(all);
  const grudge = new Map<N, Set<N>>();
  for (const comp of components) {
    const inside = new Set(comp);
    for (const n of comp) grudge.set(n, new Set(all.filter((m) => !inside.has(m))));
  }
  return grudge;
}

/** One node alone against the rest (Jepsen's split-one, our "isolate"). */
export function isolate<N extends string>(nodes: readonly N[], one: N): Grudge<N> {
  if (!nodes.includes(one)) throw new CutError(`${one} is not among the nodes`);
  return complete([[one], nodes.filter((n) => n !== one)]);
}

/** Jepsen's bisect: the first floor(n/2) nodes against the rest ("halves"). */
export function halves<N extends string>(nodes: readonly N[]): Grudge<N> {
  const k = Math.floor(nodes.length / 2);
  return complete([nodes.slice(0, k), nodes.slice(k)]);
}

/**
 * The given minority against everyone else. The minority must be a strict minority, so the
 * rest keeps a majority (a quorum); isolate and halves are the usual cases.
 */
export function majorityMinority<N extends string>(
  nodes: readonly N[],
  minority: readonly N[],
): Grudge<N> {
  const inMinority = new Set(minority);
  for (const n of minority)
    if (!nodes.includes(n)) throw new CutError(`${n} is not among the nodes`);
  if (minority.length === 0 || minority.length * 2 >= nodes.length)
    throw new CutError(
      `a minority of ${nodes.length} nodes has 1 to ${Math.ceil(nodes.length / 2) - 1} nodes`,
    );
  return complete([[...minority], nodes.filter((n) => !inMinority.has(n))]);
}

/**
 * Jepsen's majorities-ring: nodes in a ring, each sees a majority (itself and its nearest
 * neighbours) and drops the rest, so every node has a majority but no two share the same one.
 * Deterministic: the ring is the order given.
 */
export function majoritiesRing<N extends string>(nodes: readonly N[]): Grudge<N> {
  checkNodes(nodes);
  const n = nodes.length;
  const m = Math.floor(n / 2) + 1;
  const grudge = new Map<N, Set<N>>();
  nodes.forEach((node, i) => {
    const seen = new Set<N>();
    for (let k = 0; k < m; k++) seen.add(nodes[(i - Math.floor((m - 1) / 2) + k + n) % n] as N);
    grudge.set(node, new Set(nodes.filter((x) => !seen.has(x))));
  });
  return grudge;
}

/**
 * Jepsen's bridge: two halves that cannot reach each other, and one node (the first of the
 * second half) that both halves still reach.
 */
export function bridge<N extends string>(nodes: readonly N[]): Grudge<N> {
  checkNodes(nodes);
  if (nodes.length < 3) throw new CutError('a bridge needs at least 3 nodes');
  const k = Math.floor(nodes.length / 2);
  const left = nodes.slice(0, k);
  const [middle, ...right] = nodes.slice(k) as [N, ...N[]];
  const grudge = new Map<N, Set<N>>(nodes.map((x) => [x, new Set<N>()]));
  for (const a of left)
    for (const b of right) {
      grudge.get(a)?.add(b);
      grudge.get(b)?.add(a);
    }
  grudge.set(middle, new Set());
  return grudge;
}

/** The cuts that enforce a grudge: a mutual grudge is a both-way cut, a lone one one-way. */
export function grudgeToCuts(grudge: Grudge<Endpoint>, scope: Scope = ALL): Cut[] {
  const s = validScope(scope);
  const flows: Flow[] = [];
  for (const [node, dropped] of grudge)
    for (const src of dropped) if (src !== node) flows.push({ src, dst: node, scope: s });
  return cutsFromFlows(flows);
}

/** A partition as a list of groups: every group is cut from every other. */
export function partitionToCuts(
  groups: readonly (readonly MacAddress[])[],
  scope: Scope = ALL,
): Cut[] {
  return grudgeToCuts(complete(groups), scope);
}

/** The grudge a set of cuts amounts to (for display and for checking). */
export function cutsToGrudge(cuts: readonly Cut[]): Grudge<Endpoint> {
  const grudge = new Map<Endpoint, Set<Endpoint>>();
  const add = (dst: Endpoint, src: Endpoint) => {
    const set = grudge.get(dst) ?? new Set<Endpoint>();
    set.add(src);
    grudge.set(dst, set);
  };
  for (const c of cuts) {
    add(c.to, c.from);
    if (c.direction === 'both') add(c.from, c.to);
  }
  return grudge;
}
