// A host as libvirt describes it, read in one pass: XML strings and a few numbers, nothing
// parsed yet. The engine reads it (electron/engine/host-reader.ts); everything derived from it
// (inventory, cuts, plans) is pure and lives in shared/.

/** One DHCP lease (virNetworkDHCPLease): only what the inventory uses. */
export interface RawLease {
  mac: string | null;
  ipaddr: string;
  /** 0 = IPv4, 1 = IPv6. */
  type: number;
  hostname: string | null;
}

export interface RawDomain {
  name: string;
  uuid: string;
  id: number;
  /** virDomainState number. */
  state: number;
  xml: string;
}

export interface RawNetwork {
  name: string;
  uuid: string;
  active: boolean;
  xml: string;
  leases: RawLease[];
}

export interface RawBinding {
  portdev: string;
  filter: string;
  xml: string;
}

export interface RawFilter {
  name: string;
  uuid: string;
  xml: string;
}

export interface RawHostState {
  hostname: string;
  domains: RawDomain[];
  networks: RawNetwork[];
  filters: RawFilter[];
  bindings: RawBinding[];
  readAt: number;
}
