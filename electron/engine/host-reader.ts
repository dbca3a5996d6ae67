// Reads everything the engine knows about a host from libvirt in one pass: domains with their
// XML and state, networks with XML and leases, nwfilters and bindings with their XML. What libvirt
// lists in one call is listed in one call (domains by state, so no per-domain state call); the
// per-object XML then goes through one bounded window of calls in flight on the one connection
// (libvirt matches replies to calls by serial, so they need not come back in order).

import type {
  RawBinding,
  RawDomain,
  RawFilter,
  RawHostState,
  RawLease,
  RawNetwork,
} from '../../shared/inventory/raw';
import { isNotFound, LibvirtError } from '../libvirt/errors';
import type { ProcedureMethods } from '../libvirt/procedures';
import { type Domain, DomainState, ListDomainsFlags, ListNetworksFlags } from '../libvirt/protocol';
import { type CallWindow, callWindow } from './call-window';

/**
 * Calls in flight at once during a read. Measured on the 2-CPU lab machine (busy, so noisy):
 * one read of 2000 test-driver guests through libvirtd, median of 9, by window size:
 *   local socket: 1 → 424 ms, 4 → 159, 8 → 168, 16 → 202, 32 → 348, unbounded → 292;
 *   ssh (lab sshd): 1 → 658 ms, 4 → 848, 8 → 568, 16 → 468, 32 → 445, unbounded → 206.
 * libvirtd works on 5 calls of a client at a time (max_client_requests) and leaves the rest in
 * the socket; a round trip over ssh wants more in flight to hide it. 32 keeps the ssh case
 * near its best without thousands of frames and promises queued at once (memory), and a change
 * queued behind a read waits for at most 32 calls.
 */
export const READ_WINDOW = 32;

/** Objects can vanish between the list and the read (a guest undefined meanwhile): skip those. */
async function unlessGone<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

/** Drivers without nwfilter support (libvirt's test driver) hold no filters and no bindings. */
async function orNoneIfUnsupported<T>(p: Promise<T>, none: T): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof LibvirtError && e.isNoSupport()) return none;
    throw e;
  }
}

const present = <T>(xs: (T | null)[]): T[] => xs.filter((x): x is T => x !== null);

/** A domain's state, when the listing already said it (null: ask libvirt). */
type KnownState = (dom: Domain) => number | null;

/** One domain: its XML, and its state unless the listing gave it. */
export async function readDomain(
  lv: ProcedureMethods,
  dom: Domain,
  window: CallWindow = callWindow(READ_WINDOW),
  known: KnownState = () => null,
): Promise<RawDomain | null> {
  const listed = known(dom);
  const [xml, state] = await Promise.all([
    window.run(() => unlessGone(lv.domainGetXmlDesc({ dom, flags: 0 }))),
    listed === null
      ? window.run(() => unlessGone(lv.domainGetState({ dom, flags: 0 })).then((s) => s?.state))
      : listed,
  ]);
  if (xml === null || state === null || state === undefined) return null;
  return { name: dom.name, uuid: dom.uuid, id: dom.id, state, xml };
}

/** The states libvirt can list by (VIR_CONNECT_LIST_DOMAINS_RUNNING...); the rest are asked. */
const LISTED_STATES = [
  [ListDomainsFlags.Running, DomainState.Running],
  [ListDomainsFlags.Paused, DomainState.Paused],
  [ListDomainsFlags.Shutoff, DomainState.Shutoff],
] as const;

/** Every domain, and the state of each as three listings say it (four calls for any count). */
async function listDomains(
  lv: ProcedureMethods,
): Promise<{ domains: Domain[]; known: KnownState }> {
  const [all, ...byState] = await Promise.all([
    lv.connectListAllDomains({ needResults: 1, flags: 0 }),
    ...LISTED_STATES.map(([flags]) => lv.connectListAllDomains({ needResults: 1, flags })),
  ]);
  const states = new Map<string, { state: number; id: number }>();
  byState.forEach(({ domains }, i) => {
    const state = LISTED_STATES[i]?.[1];
    if (state !== undefined) for (const d of domains) states.set(d.uuid, { state, id: d.id });
  });
  // A domain started or stopped between the listings shows another id there, or none: asked.
  const known: KnownState = (d) => {
    const s = states.get(d.uuid);
    return s && s.id === d.id ? s.state : null;
  };
  return { domains: all.domains, known };
}

export async function readBindings(
  lv: ProcedureMethods,
  window: CallWindow = callWindow(READ_WINDOW),
): Promise<RawBinding[]> {
  const { bindings } = await orNoneIfUnsupported(
    lv.connectListAllNwfilterBindings({ needResults: 1, flags: 0 }),
    { bindings: [], ret: 0 },
  );
  return present(
    await Promise.all(
      bindings.map(async (b) => {
        const xml = await window.run(() =>
          unlessGone(lv.nwfilterBindingGetXmlDesc({ nwfilter: b, flags: 0 })),
        );
        return xml === null ? null : { portdev: b.portdev, filter: b.filtername, xml };
      }),
    ),
  );
}

export async function readFilters(
  lv: ProcedureMethods,
  window: CallWindow = callWindow(READ_WINDOW),
): Promise<RawFilter[]> {
  const { filters } = await orNoneIfUnsupported(
    lv.connectListAllNwfilters({ needResults: 1, flags: 0 }),
    { filters: [], ret: 0 },
  );
  return present(
    await Promise.all(
      filters.map(async (f) => {
        const xml = await window.run(() =>
          unlessGone(lv.nwfilterGetXmlDesc({ nwfilter: f, flags: 0 })),
        );
        return xml === null ? null : { name: f.name, uuid: f.uuid, xml };
      }),
    ),
  );
}

export async function readNetworks(
  lv: ProcedureMethods,
  window: CallWindow = callWindow(READ_WINDOW),
): Promise<RawNetwork[]> {
  const [all, active] = await Promise.all([
    lv.connectListAllNetworks({ needResults: 1, flags: 0 }),
    lv.connectListAllNetworks({ needResults: 1, flags: ListNetworksFlags.Active }),
  ]);
  const activeNames = new Set(active.nets.map((n) => n.name));
  const read = await Promise.all(
    all.nets.map(async (net) => {
      const isActive = activeNames.has(net.name);
      const [xml, leases] = await Promise.all([
        window.run(() => unlessGone(lv.networkGetXmlDesc({ net, flags: 0 }))),
        isActive
          ? window
              .run(() =>
                unlessGone(lv.networkGetDhcpLeases({ net, mac: null, needResults: 1, flags: 0 })),
              )
              .then(
                (r) => r?.leases ?? [],
                () => [] as RawLease[], // drivers without leases (test driver) say NO_SUPPORT
              )
          : Promise.resolve([] as RawLease[]),
      ]);
      return xml === null
        ? null
        : { name: net.name, uuid: net.uuid, active: isActive, xml, leases };
    }),
  );
  return present(read);
}

async function readDomains(lv: ProcedureMethods, window: CallWindow): Promise<RawDomain[]> {
  const { domains, known } = await listDomains(lv);
  return present(await Promise.all(domains.map((d) => readDomain(lv, d, window, known))));
}

export async function readHost(
  lv: ProcedureMethods,
  window: CallWindow = callWindow(READ_WINDOW),
): Promise<RawHostState> {
  const readAt = Date.now();
  const [hostname, domains, networks, filters, bindings] = await Promise.all([
    lv.connectGetHostname(),
    readDomains(lv, window),
    readNetworks(lv, window),
    readFilters(lv, window),
    readBindings(lv, window),
  ]);
  return { hostname, domains, networks, filters, bindings, readAt };
}
