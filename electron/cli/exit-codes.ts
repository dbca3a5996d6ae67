// Exit codes scripts can trust. Documented in `kvm-chaos --help` and the README.
import type { ApiErrorCode } from '../../shared/api';

export const Exit = {
  ok: 0,
  /** libvirt refused, or an apply failed and was rolled back: the host is as it was. */
  failed: 1,
  /** Bad command line or bad input (unknown guest, invalid MAC/IP...): nothing was changed. */
  usage: 2,
  /** Could not connect, or the host stopped answering: unreachable, authentication, host key, timeout, stall. */
  connection: 3,
  /** A rollback failed: the host may be left part-way; run `kvm-chaos heal --all`. */
  partial: 4,
  /** A run stopped by Ctrl-C (128 + SIGINT) or SIGTERM (128 + 15), after healing what it made. */
  interrupted: 130,
  terminated: 143,
} as const;

/** Ends the command with this exit code, its output already printed. */
export class ExitWith extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function exitCodeFor(code: ApiErrorCode): number {
  switch (code) {
    case 'invalid-request':
    case 'unknown-call':
    case 'not-found':
    case 'not-cuttable':
    case 'unfiltered-window': // needs the caller's consent: nothing was changed
      return Exit.usage;
    case 'not-connected':
    case 'auth-failed':
    case 'host-key-rejected':
    case 'host-key-changed':
    case 'unreachable':
    case 'unauthorized':
    case 'transport-closed':
    case 'timeout':
      return Exit.connection;
    case 'rollback-failed':
      return Exit.partial;
    default:
      return Exit.failed;
  }
}

export const EXIT_HELP = `
Exit codes:
  0  done
  1  libvirt refused, or the apply failed and was rolled back (the host is as it was)
  2  bad command line or input (unknown guest, invalid address...), or a change that
     would leave a port unfiltered for a moment without --allow-unfiltered-window:
     nothing changed
  3  could not connect, or the host stopped answering (unreachable, authentication,
     unknown or changed host key, --timeout passed, connection dropped)
  4  a rollback failed: the host may be part-way; run 'kvm-chaos repair'
  130, 143  run: stopped by Ctrl-C or SIGTERM, after healing what the run made`;
