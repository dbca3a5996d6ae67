// The procedures of libvirt's remote program that kvm-chaos uses, as one table:
// number, argument codec, return codec (remote_protocol.x, libvirt 9.0.0). A struct with a
// single field has the same bytes as that field, so single-field args and returns are given
// as the field itself (`domainLookupByName('x')` returns a Domain, not `{ dom }`).
import {
  DrvFeature,
  domain,
  domainInterface,
  network,
  networkDhcpLease,
  nonnullString,
  nwfilter,
  nwfilterBinding,
  optString,
  REMOTE_AUTH_TYPE_LIST_MAX,
  REMOTE_DOMAIN_INTERFACE_MAX,
  REMOTE_DOMAIN_LIST_MAX,
  REMOTE_NETWORK_DHCP_LEASES_MAX,
  REMOTE_NETWORK_LIST_MAX,
  REMOTE_NWFILTER_BINDING_LIST_MAX,
  REMOTE_NWFILTER_LIST_MAX,
  uuid,
} from './protocol';
import { type AnyCodec, type Decoded, decode, type Encodable, type XdrWriter, xdr } from './xdr';

export interface ProcedureDef<A extends AnyCodec = AnyCodec, R extends AnyCodec = AnyCodec> {
  readonly proc: number;
  readonly args: A;
  readonly ret: R;
}

const def = <A extends AnyCodec, R extends AnyCodec>(
  proc: number,
  args: A,
  ret: R,
): ProcedureDef<A, R> => ({ proc, args, ret });

const none = xdr.void();
const int = xdr.int();
const uint = xdr.uint();
const flags = xdr.defaulted(xdr.uint(), 0);
/** LIST_ALL_*: need_results defaults to 1 (return the objects, not only their count). */
const needResults = xdr.defaulted(xdr.int(), 1);
const optDomain = xdr.optional(domain);
const optNetwork = xdr.optional(network);

const listArgs = xdr.struct({ needResults, flags });
/** {dom, xml, flags}: attach, detach and update device. */
const deviceArgs = xdr.struct({ dom: domain, xml: nonnullString, flags });

export const procedures = {
  connectOpen: def(1, xdr.struct({ name: optString, flags }), none),
  connectClose: def(2, none, none),
  connectGetType: def(3, none, nonnullString),
  connectGetVersion: def(4, none, xdr.uhyper()),
  domainCreate: def(9, domain, none),
  domainDestroy: def(12, domain, none),
  domainGetXmlDesc: def(14, xdr.struct({ dom: domain, flags }), nonnullString),
  domainLookupByName: def(23, nonnullString, domain),
  domainLookupByUuid: def(24, uuid, domain),
  networkGetXmlDesc: def(43, xdr.struct({ net: network, flags }), nonnullString),
  networkLookupByName: def(46, nonnullString, network),
  connectGetHostname: def(59, none, nonnullString),
  connectSupportsFeature: def(60, int, int),
  /** A port's running totals (device: its <target dev> or MAC); a tap's are from the guest's side. */
  domainInterfaceStats: def(
    65,
    xdr.struct({ dom: domain, device: nonnullString }),
    xdr.struct({
      rxBytes: xdr.hyper(),
      rxPackets: xdr.hyper(),
      rxErrs: xdr.hyper(),
      rxDrop: xdr.hyper(),
      txBytes: xdr.hyper(),
      txPackets: xdr.hyper(),
      txErrs: xdr.hyper(),
      txDrop: xdr.hyper(),
    }),
  ),
  authList: def(66, none, xdr.array(int, REMOTE_AUTH_TYPE_LIST_MAX)),
  authPolkit: def(70, none, int),
  connectGetUri: def(110, none, nonnullString),
  connectGetLibVersion: def(157, none, xdr.uhyper()),
  domainAttachDeviceFlags: def(160, deviceArgs, none),
  domainDetachDeviceFlags: def(161, deviceArgs, none),
  domainUpdateDeviceFlags: def(174, deviceArgs, none),
  nwfilterLookupByName: def(175, nonnullString, nwfilter),
  nwfilterLookupByUuid: def(176, uuid, nwfilter),
  nwfilterGetXmlDesc: def(177, xdr.struct({ nwfilter, flags }), nonnullString),
  nwfilterDefineXml: def(180, nonnullString, nwfilter),
  nwfilterUndefine: def(181, nwfilter, none),
  domainCreateWithFlags: def(196, xdr.struct({ dom: domain, flags }), domain),
  domainGetState: def(
    212,
    xdr.struct({ dom: domain, flags }),
    xdr.struct({ state: int, reason: int }),
  ),
  domainDestroyFlags: def(234, xdr.struct({ dom: domain, flags }), none),
  domainSetMetadata: def(
    264,
    xdr.struct({
      dom: domain,
      type: int,
      metadata: optString,
      key: optString,
      uri: optString,
      flags,
    }),
    none,
  ),
  domainGetMetadata: def(
    265,
    xdr.struct({ dom: domain, type: int, uri: optString, flags }),
    nonnullString,
  ),
  connectListAllDomains: def(
    273,
    listArgs,
    xdr.struct({ domains: xdr.array(domain, REMOTE_DOMAIN_LIST_MAX), ret: uint }),
  ),
  connectListAllNetworks: def(
    283,
    listArgs,
    xdr.struct({ nets: xdr.array(network, REMOTE_NETWORK_LIST_MAX), ret: uint }),
  ),
  connectListAllNwfilters: def(
    286,
    listArgs,
    xdr.struct({ filters: xdr.array(nwfilter, REMOTE_NWFILTER_LIST_MAX), ret: uint }),
  ),
  connectNetworkEventRegisterAny: def(313, xdr.struct({ eventID: int, net: optNetwork }), int),
  connectNetworkEventDeregisterAny: def(314, int, none),
  connectDomainEventCallbackRegisterAny: def(
    316,
    xdr.struct({ eventID: int, dom: optDomain }),
    int,
  ),
  connectDomainEventCallbackDeregisterAny: def(317, int, none),
  networkGetDhcpLeases: def(
    341,
    xdr.struct({ net: network, mac: optString, needResults, flags }),
    xdr.struct({
      leases: xdr.array(networkDhcpLease, REMOTE_NETWORK_DHCP_LEASES_MAX),
      ret: uint,
    }),
  ),
  domainInterfaceAddresses: def(
    353,
    xdr.struct({ dom: domain, source: uint, flags }),
    xdr.array(domainInterface, REMOTE_DOMAIN_INTERFACE_MAX),
  ),
  nwfilterBindingLookupByPortDev: def(397, nonnullString, nwfilterBinding),
  nwfilterBindingGetXmlDesc: def(
    398,
    xdr.struct({ nwfilter: nwfilterBinding, flags }),
    nonnullString,
  ),
  nwfilterBindingCreateXml: def(399, xdr.struct({ xml: nonnullString, flags }), nwfilterBinding),
  nwfilterBindingDelete: def(400, nwfilterBinding, none),
  connectListAllNwfilterBindings: def(
    401,
    listArgs,
    xdr.struct({
      bindings: xdr.array(nwfilterBinding, REMOTE_NWFILTER_BINDING_LIST_MAX),
      ret: uint,
    }),
  ),
  nwfilterDefineXmlFlags: def(431, xdr.struct({ xml: nonnullString, flags }), nwfilter),
} as const;

export type Procedures = typeof procedures;
export type ProcedureName = keyof Procedures;
export type ArgsOf<K extends ProcedureName> = Encodable<Procedures[K]['args']>;
export type ReturnOf<K extends ProcedureName> = Decoded<Procedures[K]['ret']>;

export interface CallOptions {
  /** Milliseconds before the call fails with RpcError 'timeout'. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

type MethodOf<K extends ProcedureName> = [ArgsOf<K>] extends [undefined]
  ? (options?: CallOptions) => Promise<ReturnOf<K>>
  : Record<never, never> extends ArgsOf<K>
    ? (args?: ArgsOf<K>, options?: CallOptions) => Promise<ReturnOf<K>>
    : (args: ArgsOf<K>, options?: CallOptions) => Promise<ReturnOf<K>>;

/** One typed method per procedure, e.g. `connectGetHostname()`, `domainGetXmlDesc({ dom })`. */
export type ProcedureMethods = { readonly [K in ProcedureName]: MethodOf<K> };

export type CallFn = <K extends ProcedureName>(
  name: K,
  args: ArgsOf<K>,
  options?: CallOptions,
) => Promise<ReturnOf<K>>;

/** Builds the typed methods over any call function (a client, or the reconnecting wrapper). */
export function bindProcedures(call: CallFn): ProcedureMethods {
  const methods: Record<string, unknown> = {};
  for (const name of Object.keys(procedures) as ProcedureName[]) {
    const voidArgs = procedures[name].args === none;
    methods[name] = voidArgs
      ? (options?: CallOptions) => call(name, undefined as ArgsOf<typeof name>, options)
      : (args: ArgsOf<typeof name>, options?: CallOptions) => call(name, args ?? {}, options);
  }
  return methods as ProcedureMethods;
}

export const KEEPALIVE_FEATURE = DrvFeature.ProgramKeepalive;

/** The writer of a call's arguments, or undefined for a void call. */
export function argsWriter<K extends ProcedureName>(
  name: K,
  args: ArgsOf<K>,
): ((w: XdrWriter) => void) | undefined {
  const codec: AnyCodec = procedures[name].args;
  if (codec === none) return undefined;
  return (w) => codec.encode(w, args);
}

export function decodeReturn<K extends ProcedureName>(name: K, payload: Uint8Array): ReturnOf<K> {
  return decode(procedures[name].ret as AnyCodec, payload) as ReturnOf<K>;
}
