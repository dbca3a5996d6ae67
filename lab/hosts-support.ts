// What the suites of a lab of several hosts (`lab up --hosts N`) share: each host as virsh shows
// it over that host's own sshd, an independent witness (not our RPC client) of what a change
// across hosts left on each of them, byte for byte; and the flows between groups of guests.
import { expect } from 'vitest';
import type { LabHostState, LabState } from './lab';
import {
  allGuests,
  exactlyCut,
  fullyConnected,
  holds,
  type WaitResult,
  waitForMatrix,
} from './lab-client';
import type { Protocol } from './matrix';
import { run } from './run';

/** virsh on one host, through its sshd (the wrapper refuses any key but the pinned one). */
export const virshAt = (h: LabHostState, args: readonly string[]) =>
  run('virsh', ['-q', '-c', h.virshUri, ...args]);

/** Every binding of one host as virsh prints it, by port. */
export async function bindingsOf(h: LabHostState): Promise<Map<string, string>> {
  const { stdout } = await virshAt(h, ['nwfilter-binding-list']);
  const ports = stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((p): p is string => !!p && p.startsWith('vnet'));
  const out = new Map<string, string>();
  for (const p of ports) out.set(p, (await virshAt(h, ['nwfilter-binding-dumpxml', p])).stdout);
  return out;
}

/** The names of the filters of ours a host holds, sorted. */
export async function ourFiltersOf(h: LabHostState): Promise<string[]> {
  const { stdout } = await virshAt(h, ['nwfilter-list']);
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[1])
    .filter((n): n is string => !!n && n.startsWith('kvm-chaos-'))
    .sort();
}

/** Every host's bindings, by host id. */
export async function bindingsOfEveryHost(
  lab: Pick<LabState, 'hosts'>,
): Promise<Map<string, Map<string, string>>> {
  return new Map(
    await Promise.all(lab.hosts.map(async (h) => [h.id, await bindingsOf(h)] as const)),
  );
}

/** The hosts whose bindings differ from `original` now, by id. */
export async function hostsChangedSince(
  lab: Pick<LabState, 'hosts'>,
  original: ReadonlyMap<string, ReadonlyMap<string, string>>,
): Promise<string[]> {
  const now = await bindingsOfEveryHost(lab);
  const same = (a?: ReadonlyMap<string, string>, b?: ReadonlyMap<string, string>) =>
    JSON.stringify(a && [...a]) === JSON.stringify(b && [...b]);
  return lab.hosts.filter((h) => !same(original.get(h.id), now.get(h.id))).map((h) => h.id);
}

/** Each host's bindings byte-identical to `original`, and no filter of ours left on any host. */
export async function expectHostsAsBefore(
  lab: Pick<LabState, 'hosts'>,
  original: ReadonlyMap<string, ReadonlyMap<string, string>>,
  what: string,
): Promise<void> {
  expect(await bindingsOfEveryHost(lab), what).toEqual(original);
  for (const h of lab.hosts) expect(await ourFiltersOf(h), `${what}: ${h.id}`).toEqual([]);
}

/** Every flow between a guest of `a` and a guest of `b`, both ways, over these protocols. */
export function flowsBetween(
  a: readonly string[],
  b: readonly string[],
  protocols: readonly Protocol[],
): { from: string; to: string; protocol: Protocol }[] {
  return a.flatMap((x) =>
    b.flatMap((y) =>
      protocols.flatMap((protocol) => [
        { from: x, to: y, protocol },
        { from: y, to: x, protocol },
      ]),
    ),
  );
}

/** Waits until every guest of every host reaches every other one, over every protocol. */
export const waitAllFlowing = (
  lab: LabState,
  what: string,
  timeoutMs = 30_000,
): Promise<WaitResult> =>
  waitForMatrix(fullyConnected, { timeoutMs, guests: allGuests(lab), state: lab, what });

/** Waits until exactly the flows `cut` are dropped among all the hosts' guests, the rest passing. */
export const waitExactlyCut = (
  lab: LabState,
  protocols: readonly Protocol[],
  cut: ReturnType<typeof flowsBetween>,
  what: string,
  timeoutMs = 30_000,
): Promise<WaitResult> => {
  const guests = allGuests(lab);
  return waitForMatrix((m) => holds(m, exactlyCut({ guests }, protocols, cut)), {
    timeoutMs,
    guests,
    state: lab,
    what,
  });
};
