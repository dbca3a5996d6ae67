// What the command line may say, read with the same rules and words as the UI and the contract:
// numbers are decimal digits only, requests are checked against the API's own schemas before
// anything is sent, and a host address is refused before it is dialled or saved.
import { InvalidArgumentError } from 'commander';
import {
  type CallName,
  type CallParams,
  calls,
  describeIssues,
  type Parsed,
  readDuration,
  readHostAddress,
  readPort,
} from '../../shared/api';
import { TransportError } from '../libvirt/errors';
import { parseConnectUri } from '../libvirt/uri';

/** Bad command line or input: exit 2, nothing changed. */
export class UsageError extends Error {}

function required<T>(read: (text: string) => Parsed<T | null>, what: string) {
  return (text: string): T => {
    const parsed = read(text);
    if (!parsed.ok) throw new InvalidArgumentError(parsed.problem);
    if (parsed.value === null) throw new InvalidArgumentError(`${what} needs a value`);
    return parsed.value;
  };
}

/** --duration: whole seconds, decimal (0x10, 1e3, -5 are refused with the UI's words). */
export const durationArg = required(readDuration, '--duration');

/** --port of a cut: 1 to 65535, decimal. */
export const portArg = required(readPort, '--port');

/** A whole decimal number from min to max (no sign, no 0x, no exponent). */
export function decimalArg(what: string, min: number, max: number) {
  return (text: string): number => {
    const n = /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    if (!(n >= min && n <= max))
      throw new InvalidArgumentError(
        `'${text}' is not valid: ${what} is a whole number from ${min} to ${max}`,
      );
    return n;
  };
}

/** The params of a call, checked with the contract's schema: a UsageError with its words if not. */
export function checkedParams<C extends CallName>(name: C, params: unknown): CallParams<C> {
  const parsed = calls[name].params.safeParse(params);
  if (!parsed.success) throw new UsageError(`${name}: ${describeIssues(parsed.error)}`);
  return parsed.data as CallParams<C>;
}

/**
 * The host of -c, checked the way the UI checks an address and the way the connection will read
 * it; returns how to name it in messages (never with credentials).
 */
export function checkedTarget(uri: string): string {
  const address = readHostAddress(uri);
  if (!address.ok) throw new UsageError(address.problem);
  try {
    parseConnectUri(uri);
  } catch (e) {
    if (e instanceof TransportError) throw new UsageError(e.message);
    throw e;
  }
  const a = address.value;
  if (a.transport === 'unix') return `libvirtd on this machine (${a.driver})`;
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${a.user ? `${a.user}@` : ''}${host}${a.port ? `:${a.port}` : ''}`;
}
