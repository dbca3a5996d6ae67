// Cut ends outside the guests: an address, a network, or a DNS name. A name is resolved once,
// here, when the cut is asked for; the host then holds the addresses it resolved to (shown with
// the name beside them), so a later change in DNS never moves a cut that is in force. Resolution
// uses this machine's resolver (the one that runs kvm-chaos), which may differ from the guests'.
import { lookup } from 'node:dns/promises';
import { type CutEnd, type CutRequest, isGuestEnd, type OutsideEnd } from '../../shared/api';
import { CutError, type NetTarget, netTarget } from '../../shared/chaos/cut';
import { engineError } from './errors';

/** Resolves a DNS name to its IPv4 addresses. */
export type Resolve = (name: string) => Promise<string[]>;

/** The machine's resolver (getaddrinfo: /etc/hosts, then DNS), as `ping` would use it. */
const systemResolve: Resolve = async (name) =>
  (await lookup(name, { all: true, family: 4 })).map((a) => a.address);

/** Letters, digits, dots and dashes, at least one letter: a DNS name rather than a bad address. */
const DNS_NAME = /^(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?$/;

/** The outside end as addresses: itself when it is one, else every IPv4 address of the name. */
async function resolveEnd(end: OutsideEnd, resolve: Resolve): Promise<OutsideEnd[]> {
  const text = end.address.trim();
  try {
    const net = netTarget(text);
    return [{ address: net, ...(end.name ? { name: end.name } : {}) }];
  } catch (e) {
    if (!(e instanceof CutError)) throw e;
    if (!DNS_NAME.test(text) || text.includes('/')) throw engineError('invalid-request', e.message);
  }
  let addresses: string[];
  try {
    addresses = await resolve(text);
  } catch (e) {
    const code = (e as { code?: string }).code ?? String(e);
    throw engineError('invalid-request', `cannot resolve ${text} to an IPv4 address (${code})`);
  }
  const nets = [...new Set(addresses.map((a) => netTarget(a)))].sort();
  if (nets.length === 0)
    throw engineError(
      'invalid-request',
      `${text} has no IPv4 address: cuts to addresses match IPv4`,
    );
  return nets.map((address) => ({ address, name: end.name ?? text }));
}

/**
 * The cuts with every outside end as addresses: a name with three addresses becomes three cuts.
 * Also the names the user gave them, by network, for the intents and the summary.
 */
export async function resolveOutsideEnds(
  cuts: readonly CutRequest[],
  resolve: Resolve = systemResolve,
): Promise<{ cuts: CutRequest[]; names: Map<NetTarget, string> }> {
  const names = new Map<NetTarget, string>();
  const out: CutRequest[] = [];
  const ends = async (e: CutEnd): Promise<CutEnd[]> => {
    if (isGuestEnd(e)) return [e];
    const resolved = await resolveEnd(e, resolve);
    for (const r of resolved) if (r.name) names.set(r.address as NetTarget, r.name);
    return resolved;
  };
  for (const c of cuts) {
    const [froms, tos] = await Promise.all([ends(c.from), ends(c.to)]);
    for (const from of froms) for (const to of tos) out.push({ ...c, from, to });
  }
  return { cuts: out, names };
}
