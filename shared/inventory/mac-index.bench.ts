// `npm run bench -- mac-index`: what finding the far ends of cuts across hosts costs a status
// refresh, against the scan the engine did before (every guest of every host, per MAC), in the
// same run. Two hosts of GUESTS guests each; one refresh looks up CUTS far ends on the other host.
// Two index rows: the inventory unchanged since the last refresh (the index is reused), and a new
// inventory every refresh (the index is built again first), the worst case.
import { Bench } from 'tinybench';
import type { HostInventory } from '../api';
import { fabricGuest, fabricInventory, fabricSegment } from './fabric-fixtures';
import { interfacesByMac } from './mac-index';

const GUESTS = Number(process.env.BENCH_GUESTS ?? 1000);
const CUTS = Number(process.env.BENCH_CUTS ?? 100);

const mac = (host: number, i: number) =>
  `52:54:0${host}:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
const host = (n: number) =>
  fabricInventory(
    `h${n}`,
    [fabricSegment(`h${n}`, 'lab')],
    Array.from({ length: GUESTS }, (_, i) => fabricGuest(`h${n}`, `g${i}`, mac(n, i), 'lab')),
  );
const hosts = [host(1), host(2)];
// Far ends spread over host 2's guests (host 1 is searched first, as a label mismatch would).
const ends = Array.from({ length: CUTS }, (_, i) => mac(2, Math.floor((i * GUESTS) / CUTS)));

function scan(invs: readonly HostInventory[], m: string) {
  for (const inv of invs)
    for (const g of inv.guests)
      for (const i of g.interfaces)
        if (i.mac === m) return { guestId: g.id, segmentId: i.segmentId };
  return undefined;
}
function indexed(invs: readonly HostInventory[], m: string) {
  for (const inv of invs) {
    const found = interfacesByMac(inv).get(m);
    if (found) return found;
  }
  return undefined;
}

let sink = 0;
const refresh = (find: typeof scan, invs: readonly HostInventory[]) => {
  for (const m of ends) if (find(invs, m)) sink++;
};
const bench = new Bench({ time: 1000 });
bench
  .add('scan (before)', () => refresh(scan, hosts))
  .add('index, inventory unchanged', () => refresh(indexed, hosts))
  .add('index, new inventory each refresh', () =>
    refresh(
      indexed,
      hosts.map((h) => ({ ...h })),
    ),
  );
await bench.run();
const base = bench.tasks[0]?.result;
const meanOf = (r: unknown) => (r as { latency?: { mean: number } }).latency?.mean ?? Number.NaN;
console.log(`${GUESTS} guests on each of 2 hosts, ${CUTS} far ends per refresh (sink ${sink > 0})`);
for (const t of bench.tasks) {
  const mean = meanOf(t.result);
  console.log(
    `${t.name.padEnd(36)} ${mean.toFixed(3).padStart(9)} ms per refresh  ${(meanOf(base) / mean).toFixed(1).padStart(7)}x the scan`,
  );
}
