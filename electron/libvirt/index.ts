// kvm-chaos's libvirt client: libvirt's own RPC protocol over a unix socket or one ssh
// channel per host. Plain Node (no Electron), for the engine, the CLI, the server and tests.
//
//   const lv = await connect('qemu+ssh://root@kvm1/system', { onUnknownHostKey, passphrase });
//   const { domains } = await lv.connectListAllDomains();
//   await lv.subscribe('domain-lifecycle', (e) => ...);
//   lv.onState((s) => ...); // connecting | connected | lost | reconnecting | failed | closed
//   await lv.close();

export type { LibvirtClient, OpenOptions, SubscribeFilter, Subscription } from './client';
export { openClient } from './client';
export {
  type ConnectionState,
  type ConnectOptions,
  connect,
  type LibvirtConnection,
  openTarget,
  type ReconnectOptions,
} from './connection';
export {
  ErrorCode,
  ErrorDomain,
  HostKeyChangedError,
  isLibvirtError,
  isNotFound,
  LibvirtError,
  RpcError,
  type RpcErrorCode,
  TransportError,
  type TransportErrorCode,
} from './errors';
export type {
  DomainLifecycleEventName,
  EventKind,
  EventOf,
  LibvirtEvent,
  NetworkLifecycleEventName,
} from './events';
export type { ArgsOf, CallOptions, ProcedureMethods, ProcedureName, ReturnOf } from './procedures';
export {
  ConnectFlags,
  type Domain,
  DomainAffect,
  DomainEventId,
  type DomainInterface,
  DomainMetadataType,
  DomainState,
  DomainXmlFlags,
  InterfaceAddressesSource,
  IpAddrType,
  ListDomainsFlags,
  ListNetworksFlags,
  type Network,
  type NetworkDhcpLease,
  NetworkXmlFlags,
  type NwFilter,
  type NwFilterBinding,
  NwFilterDefineFlags,
  parseVersion,
} from './protocol';
export { DEFAULT_KEEPALIVE, type KeepaliveOptions } from './rpc';
export type {
  HostKeyDecision,
  PassphraseRequest,
  SshDialOptions,
  UnknownHostKey,
} from './transport/ssh';
export { type ConnectTarget, parseConnectUri } from './uri';
export { XdrError } from './xdr';
