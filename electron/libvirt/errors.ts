// One error type per layer: XdrError (codec and framing, in xdr.ts), TransportError (dialing:
// ssh, host keys, sockets), RpcError (the connection: closed, timed out, dead peer) and
// LibvirtError (what libvirtd itself answered).
import type { RemoteError } from './protocol';

/** virErrorNumber values we act on (include/libvirt/virterror.h). */
export const ErrorCode = {
  InternalError: 1,
  NoSupport: 3,
  NoConnect: 5,
  InvalidArg: 8,
  OperationFailed: 9,
  XmlError: 27,
  DomExist: 28,
  OperationDenied: 29,
  XmlDetail: 35,
  NetworkExist: 37,
  Rpc: 39,
  NoDomain: 42,
  NoNetwork: 43,
  AuthFailed: 45,
  OperationInvalid: 55,
  NoInterface: 57,
  InvalidNwfilter: 61,
  NoNwfilter: 62,
  OperationTimeout: 68,
  ArgumentUnsupported: 74,
  NoDomainMetadata: 80,
  OperationUnsupported: 84,
  AgentUnresponsive: 86,
  AccessDenied: 88,
  NoNwfilterBinding: 101,
} as const;

/** virErrorDomain values seen in practice (where in libvirtd the error arose). */
export const ErrorDomain = {
  None: 0,
  Qemu: 10,
  Rpc: 7,
  Domain: 20,
  Network: 19,
  Nwfilter: 33,
} as const;

const NOT_FOUND_CODES: ReadonlySet<number> = new Set([
  ErrorCode.NoDomain,
  ErrorCode.NoNetwork,
  ErrorCode.NoNwfilter,
  ErrorCode.NoNwfilterBinding,
  ErrorCode.NoDomainMetadata,
  ErrorCode.NoInterface,
]);

/** An error libvirtd returned for a call (REPLY with status ERROR). */
export class LibvirtError extends Error {
  override readonly name = 'LibvirtError';
  readonly code: number;
  readonly domain: number;
  readonly level: number;
  /** The procedure that failed, e.g. "nwfilterLookupByName". */
  readonly procedure: string;

  constructor(remote: RemoteError, procedure: string) {
    super(remote.message ?? `libvirt error ${remote.code}`);
    this.code = remote.code;
    this.domain = remote.domain;
    this.level = remote.level;
    this.procedure = procedure;
  }

  /** The named object does not exist (domain, network, nwfilter, binding, metadata). */
  isNotFound(): boolean {
    return NOT_FOUND_CODES.has(this.code);
  }

  isNoSupport(): boolean {
    return this.code === ErrorCode.NoSupport || this.code === ErrorCode.OperationUnsupported;
  }

  isOperationInvalid(): boolean {
    return this.code === ErrorCode.OperationInvalid;
  }

  isAccessDenied(): boolean {
    return (
      this.code === ErrorCode.AccessDenied ||
      this.code === ErrorCode.OperationDenied ||
      this.code === ErrorCode.AuthFailed
    );
  }
}

export function isLibvirtError(err: unknown, code?: number): err is LibvirtError {
  return err instanceof LibvirtError && (code === undefined || err.code === code);
}

export function isNotFound(err: unknown): boolean {
  return err instanceof LibvirtError && err.isNotFound();
}

export type RpcErrorCode =
  /** The transport ended (EOF, reset, libvirtd gone) while the call was pending. */
  | 'disconnected'
  /** No reply within the call's timeout; the connection itself may still be fine. */
  | 'timeout'
  /** Keepalive: nothing heard from the peer for interval x (count + 1). */
  | 'dead-peer'
  /** The peer sent bytes that are not libvirt RPC. */
  | 'protocol'
  /** The caller closed the connection. */
  | 'closed'
  /** A call was made while there was no open connection (e.g. while reconnecting). */
  | 'not-connected'
  /** libvirtd wants an authentication method we do not implement (SASL). */
  | 'auth-unsupported'
  /** The call was aborted through its AbortSignal. */
  | 'aborted';

/** An error of one layer, told apart by `code`. */
abstract class CodedError<C extends string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class RpcError extends CodedError<RpcErrorCode> {
  override readonly name = 'RpcError';
}

export type TransportErrorCode =
  | 'connect-failed'
  /** The host is not in known_hosts and nobody (no callback, or the callback) trusted it. */
  | 'host-key-unknown'
  /** known_hosts holds a different key for this host: possible man-in-the-middle. */
  | 'host-key-changed'
  /** The key is marked @revoked in known_hosts. */
  | 'host-key-revoked'
  | 'auth-failed'
  /** The remote proxy (virt-ssh-helper / nc) could not be started or exited. */
  | 'proxy-failed'
  /** The URI or ssh configuration cannot be used as given. */
  | 'bad-target';

export class TransportError extends CodedError<TransportErrorCode> {
  override readonly name: string = 'TransportError';
}

/** Raised when the key a host presents differs from the one known_hosts holds for it. */
export class HostKeyChangedError extends TransportError {
  override readonly name = 'HostKeyChangedError';
  constructor(
    readonly host: string,
    readonly fingerprint: string,
    readonly knownFingerprints: readonly string[],
    readonly knownHostsFile: string,
  ) {
    super(
      'host-key-changed',
      `REMOTE HOST IDENTIFICATION HAS CHANGED for ${host}: it presented ${fingerprint}, but ` +
        `${knownHostsFile} holds ${knownFingerprints.join(', ')}. Someone could be intercepting ` +
        `the connection, or the host key was replaced; if you know it was, remove the old line ` +
        `from ${knownHostsFile} (ssh-keygen -R) and connect again.`,
    );
  }
}
