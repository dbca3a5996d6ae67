// Reads everything the engine knows about a host from libvirt in one pass: domains with their
// XML and state, networks with XML and leases, nwfilters and bindings with their XML. Calls are
// pipelined over the one connection (libvirt matches replies by serial), not one by one.

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
import type { Domain } from '../libvirt/protocol';

/** VIR_CONNECT_LIST_NETWORKS_ACTIVE (networks number their flags the other way from domains). */
const NETWORKS_ACTIVE = 2;

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

export async function readDomain(lv: ProcedureMethods, dom: Domain): Promise<RawDomain | null> {
  const [xml, state] = await Promise.all([
    unlessGone(lv.domainGetXmlDesc({ dom, flags: 0 })),
    unlessGone(lv.domainGetState({ dom, flags: 0 })),
  ]);
  if (xml === null || state === null) return null;
  return { name: dom.name, uuid: dom.uuid, id: dom.id, state: state.state, xml };
}

export async function readBindings(lv: ProcedureMethods): Promise<RawBinding[]> {
  const { bindings } = await orNoneIfUnsupported(
    lv.connectListAllNwfilterBindings({ needResults: 1, flags: 0 }),
    { bindings: [], ret: 0 },
  );
  const read = await Promise.all(
    bindings.map(async (b) => {
      const xml = await unlessGone(lv.nwfilterBindingGetXmlDesc({ nwfilter: b, flags: 0 }));
      return xml === null ? null : { portdev: b.portdev, filter: b.filtername, xml };
    }),
  );
  return read.filter((b): b is RawBinding => b !== null);
}

export async function readFilters(lv: ProcedureMethods): Promise<RawFilter[]> {
  const { filters } = await orNoneIfUnsupported(
    lv.connectListAllNwfilters({ needResults: 1, flags: 0 }),
    { filters: [], ret: 0 },
  );
  const read = await Promise.all(
    filters.map(async (f) => {
      const xml = await unlessGone(lv.nwfilterGetXmlDesc({ nwfilter: f, flags: 0 }));
      return xml === null ? null : { name: f.name, uuid: f.uuid, xml };
    }),
  );
  return read.filter((f): f is RawFilter => f !== null);
}

export async function readNetworks(lv: ProcedureMethods): Promise<RawNetwork[]> {
  const [all, active] = await Promise.all([
    lv.connectListAllNetworks({ needResults: 1, flags: 0 }),
    lv.connectListAllNetworks({ needResults: 1, flags: NETWORKS_ACTIVE }),
  ]);
  const activeNames = new Set(active.nets.map((n) => n.name));
  const read = await Promise.all(
    all.nets.map(async (net) => {
      const isActive = activeNames.has(net.name);
      const [xml, leases] = await Promise.all([
        unlessGone(lv.networkGetXmlDesc({ net, flags: 0 })),
        isActive
          ? unlessGone(lv.networkGetDhcpLeases({ net, mac: null, needResults: 1, flags: 0 })).then(
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
  return read.filter((n): n is RawNetwork => n !== null);
}

export async function readHost(lv: ProcedureMethods): Promise<RawHostState> {
  const readAt = Date.now();
  const [hostname, list, networks, filters, bindings] = await Promise.all([
    lv.connectGetHostname(),
    lv.connectListAllDomains({ needResults: 1, flags: 0 }),
    readNetworks(lv),
    readFilters(lv),
    readBindings(lv),
  ]);
  const domains = (await Promise.all(list.domains.map((d) => readDomain(lv, d)))).filter(
    (d): d is RawDomain => d !== null,
  );
  return { hostname, domains, networks, filters, bindings, readAt };
}
