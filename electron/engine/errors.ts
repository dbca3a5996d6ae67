// Every error the engine returns, as the contract's ApiError: a code, libvirt's own words when
// it spoke, and a hint that says what to do.
import type { ApiError } from '../../shared/api';
import { XmlModelError } from '../../shared/libvirt';
import { LibvirtError, RpcError, TransportError } from '../libvirt/errors';
import { ConflictError } from './operations';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(readonly api: ApiError) {
    super(api.message);
  }
}

export function engineError(code: ApiError['code'], message: string, hint?: string): EngineError {
  return new EngineError(hint === undefined ? { code, message } : { code, message, hint });
}

export function toApiError(e: unknown): ApiError {
  if (e instanceof EngineError) return e.api;
  if (e instanceof ConflictError)
    return {
      code: 'busy',
      message: `${e.message}, again after re-planning several times`,
      hint: 'another writer (not kvm-chaos, which waits for the host lock) keeps changing the same port; try again',
    };
  if (e instanceof LibvirtError) {
    const libvirt = { code: e.code, domain: e.domain, message: e.message };
    if (e.isAccessDenied())
      return {
        code: 'libvirt',
        message: e.message,
        hint: 'the ssh user needs libvirt access: root, or a member of the libvirt group',
        libvirt,
      };
    return { code: e.isNotFound() ? 'not-found' : 'libvirt', message: e.message, libvirt };
  }
  if (e instanceof TransportError) {
    switch (e.code) {
      case 'host-key-changed':
      case 'host-key-revoked':
        return {
          code: 'host-key-changed',
          message: e.message,
          hint: 'verify the host key out of band before changing known_hosts',
        };
      case 'host-key-unknown':
        return {
          code: 'host-key-rejected',
          message: e.message,
          hint: 'accept the key fingerprint when asked, after checking it on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)',
        };
      case 'auth-failed':
        return {
          code: 'auth-failed',
          message: e.message,
          hint: "check the key or ssh-agent, and that the key is in the remote user's authorized_keys",
        };
      case 'proxy-failed':
        return {
          code: 'unreachable',
          message: e.message,
          hint: 'the host needs virt-ssh-helper (libvirt-clients) or nc with -U, and libvirtd running',
        };
      case 'bad-target':
        return { code: 'invalid-request', message: e.message };
      default:
        return {
          code: 'unreachable',
          message: e.message,
          hint: 'check the host name, port and that sshd (or the libvirt socket) is reachable',
        };
    }
  }
  if (e instanceof RpcError) {
    if (e.code === 'timeout') return { code: 'timeout', message: e.message };
    if (e.code === 'auth-unsupported')
      return {
        code: 'auth-failed',
        message: e.message,
        hint: 'connect as root or a libvirt group member (polkit or no auth)',
      };
    return {
      code: 'not-connected',
      message: e.message,
      hint: 'the connection dropped; kvm-chaos reconnects by itself',
    };
  }
  if (e instanceof XmlModelError) return { code: 'invalid-request', message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}
