// Types and constants of libvirt's remote program (remote_protocol.x, virnetprotocol.x,
// virkeepaliveprotocol.x, libvirt 9.0.0). Names follow libvirt's, in camelCase.
import { type Decoded, XdrError, xdr } from './xdr';

export const REMOTE_PROGRAM = 0x20008086;
export const REMOTE_PROTOCOL_VERSION = 1;
export const KEEPALIVE_PROGRAM = 0x6b656570;
export const KEEPALIVE_PROTOCOL_VERSION = 1;
export const KeepaliveProc = { Ping: 1, Pong: 2 } as const;

export const AuthType = { None: 0, Sasl: 1, Polkit: 2 } as const;

/** Feature ids for CONNECT_SUPPORTS_FEATURE (src/libvirt_internal.h). */
export const DrvFeature = {
  FdPassing: 8,
  TypedParamString: 9,
  ProgramKeepalive: 10,
  RemoteEventCallback: 14,
  RemoteCloseCallback: 15,
} as const;

export const REMOTE_STRING_MAX = 4_194_304;
export const REMOTE_DOMAIN_LIST_MAX = 16_384;
export const REMOTE_NETWORK_LIST_MAX = 16_384;
export const REMOTE_NWFILTER_LIST_MAX = 16_384;
export const REMOTE_NWFILTER_BINDING_LIST_MAX = 16_384;
export const REMOTE_AUTH_TYPE_LIST_MAX = 20;
export const REMOTE_DOMAIN_INTERFACE_MAX = 2_048;
export const REMOTE_DOMAIN_IP_ADDR_MAX = 2_048;
export const REMOTE_NETWORK_DHCP_LEASES_MAX = 65_536;

const UUID_TEXT = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function uuidToText(b: Uint8Array): string {
  const hex = Buffer.from(b).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function uuidFromText(s: string): Uint8Array {
  if (typeof s !== 'string' || !UUID_TEXT.test(s)) throw new XdrError(`not a uuid: ${String(s)}`);
  return Buffer.from(s.replaceAll('-', ''), 'hex');
}

export const nonnullString = xdr.string(REMOTE_STRING_MAX);
export const optString = xdr.optional(nonnullString);
/** remote_uuid: 16 raw bytes on the wire, canonical lower-case text here. */
export const uuid = xdr.transform(xdr.fixedOpaque(16), uuidToText, uuidFromText);

export const domain = xdr.struct({ name: nonnullString, uuid, id: xdr.int() });
export const network = xdr.struct({ name: nonnullString, uuid });
export const nwfilter = xdr.struct({ name: nonnullString, uuid });
export const nwfilterBinding = xdr.struct({ portdev: nonnullString, filtername: nonnullString });

export type Domain = Decoded<typeof domain>;
export type Network = Decoded<typeof network>;
export type NwFilter = Decoded<typeof nwfilter>;
export type NwFilterBinding = Decoded<typeof nwfilterBinding>;

/** remote_error (= virNetMessageError), the payload of every REPLY with status ERROR. */
export const remoteError = xdr.struct({
  code: xdr.int(),
  domain: xdr.int(),
  message: optString,
  level: xdr.int(),
  dom: xdr.optional(domain),
  str1: optString,
  str2: optString,
  str3: optString,
  int1: xdr.int(),
  int2: xdr.int(),
  net: xdr.optional(network),
});
export type RemoteError = Decoded<typeof remoteError>;

export const domainIpAddr = xdr.struct({
  type: xdr.int(),
  addr: nonnullString,
  prefix: xdr.uint(),
});
export const domainInterface = xdr.struct({
  name: nonnullString,
  hwaddr: optString,
  addrs: xdr.array(domainIpAddr, REMOTE_DOMAIN_IP_ADDR_MAX),
});
export type DomainInterface = Decoded<typeof domainInterface>;

export const networkDhcpLease = xdr.struct({
  iface: nonnullString,
  expirytime: xdr.hyper(),
  type: xdr.int(),
  mac: optString,
  iaid: optString,
  ipaddr: nonnullString,
  prefix: xdr.uint(),
  hostname: optString,
  clientid: optString,
});
export type NetworkDhcpLease = Decoded<typeof networkDhcpLease>;

// Public constants (include/libvirt/*.h) a caller needs to use the procedures.

export const DomainState = {
  NoState: 0,
  Running: 1,
  Blocked: 2,
  Paused: 3,
  Shutdown: 4,
  Shutoff: 5,
  Crashed: 6,
  PmSuspended: 7,
} as const;

export const DomainAffect = { Current: 0, Live: 1, Config: 2 } as const;
export const DomainXmlFlags = { Secure: 1, Inactive: 2, UpdateCpu: 4, Migratable: 8 } as const;
export const NetworkXmlFlags = { Inactive: 1 } as const;
export const DomainMetadataType = { Description: 0, Title: 1, Element: 2 } as const;
export const InterfaceAddressesSource = { Lease: 0, Agent: 1, Arp: 2 } as const;
export const IpAddrType = { Ipv4: 0, Ipv6: 1 } as const;
export const NwFilterDefineFlags = { Validate: 1 } as const;

export const ListDomainsFlags = {
  Active: 1,
  Inactive: 2,
  Persistent: 4,
  Transient: 8,
  Running: 16,
  Paused: 32,
  Shutoff: 64,
  Other: 128,
} as const;
/** Note: the reverse of the domain flags' ACTIVE/INACTIVE. */
export const ListNetworksFlags = {
  Inactive: 1,
  Active: 2,
  Persistent: 4,
  Transient: 8,
  Autostart: 16,
  NoAutostart: 32,
} as const;

export const ConnectFlags = { ReadOnly: 1 } as const;

/** Event ids for the *_EVENT_*_REGISTER_ANY procedures. */
export const DomainEventId = {
  Lifecycle: 0,
  DeviceRemoved: 15,
  DeviceAdded: 19,
  MetadataChange: 23,
} as const;
export const NetworkEventId = { Lifecycle: 0 } as const;

/** "1009000" style numbers: major * 1e6 + minor * 1e3 + micro. */
export function parseVersion(v: bigint | number): { major: number; minor: number; micro: number } {
  const n = Number(v);
  return {
    major: Math.floor(n / 1_000_000),
    minor: Math.floor(n / 1_000) % 1_000,
    micro: n % 1_000,
  };
}
