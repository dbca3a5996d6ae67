// The engine's side of cut intents: who this process is as an author, the intents a host holds
// (read from its domains' XML), and the operations that write or remove one.
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { OutsideEnd } from '../../shared/api';
import { describeCut, isNetTarget, type NetTarget, netWords } from '../../shared/chaos/cut';
import {
  type Author,
  type CutIntent,
  intentsOfDomain,
  type StoredIntent,
} from '../../shared/chaos/intent';
import type { ParsedHost } from '../../shared/inventory/build';
import type { MacAddress } from '../../shared/libvirt/values';
import type { Operation } from './operations';

/** This process as an author of cuts: `face:random` and user@machine. */
export function makeAuthor(face: string): Author {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container): keep 'unknown'
  }
  return { instance: `${face}:${randomUUID().slice(0, 8)}`, user: `${user}@${hostname()}` };
}

/** Every intent on the host, from the domains' XML as last read (live XML for running guests). */
export function intentsOf(parsed: ParsedHost): StoredIntent[] {
  return parsed.domains.flatMap(({ domain }) => intentsOfDomain(domain.xml, domain.uuid));
}

/** The domain an intent lives on: the one with the cut's `from` interface (its local end for a cut across hosts). */
function homeOf(parsed: ParsedHost, mac: MacAddress) {
  return parsed.domains.find(({ domain }) => domain.interfaces.some((i) => i.mac === mac))?.domain;
}

/** The guests' names an intent was made with, by MAC (for people). */
export function intentNames(i: CutIntent): (mac: string) => string {
  return (m) => (m === i.cut.from ? i.fromName : m === i.cut.to ? i.toName : m);
}

/**
 * An outside end as the contract shows it: the network the host holds, and the name the cut was
 * asked by ("gateway", a DNS name) when it says more than the address.
 */
export function outsideEndOf(intents: readonly CutIntent[], net: NetTarget): OutsideEnd {
  const i = intents.find((x) => x.cut.from === net || x.cut.to === net);
  const name = i && (i.cut.from === net ? i.fromName : i.toName);
  return { address: net, ...(name && name !== net && name !== netWords(net) ? { name } : {}) };
}

function words(i: CutIntent): string {
  return describeCut(i.cut, intentNames(i));
}

/** Where an intent operation writes: the guest, by name (for people) and reference. */
function on(d: { name: string; uuid: string; id?: number; active: boolean }) {
  return {
    target: d.name,
    dom: { name: d.name, uuid: d.uuid, id: d.id ?? -1 },
    active: d.active,
  };
}

/** The operation that keeps `intent` on the host (replacing `previous`, the same cut's), or null. */
export function setIntentOp(
  parsed: ParsedHost,
  intent: CutIntent,
  previous: CutIntent | null,
): Operation | null {
  // A cut across hosts is kept on this host's end (the other end's guest is not here).
  // A cut to the outside is kept on its guest's domain.
  const localEnd =
    intent.remote?.mac === intent.cut.from || isNetTarget(intent.cut.from)
      ? intent.cut.to
      : intent.cut.from;
  const d = isNetTarget(localEnd) ? undefined : homeOf(parsed, localEnd);
  if (!d) return null;
  const until = intent.expiresAt ? ` until ${intent.expiresAt}` : '';
  return {
    kind: 'set-intent',
    ...on(d),
    intent,
    previous,
    description: `keep the intent on ${d.name}: cut ${words(intent)}${until}, by ${intent.author.user}`,
  };
}

export function removeIntentOp(
  parsed: ParsedHost,
  intent: StoredIntent,
  why: string,
): Operation | null {
  const d = parsed.domains.find(({ domain }) => domain.uuid === intent.domainUuid)?.domain;
  if (!d) return null;
  return {
    kind: 'remove-intent',
    ...on(d),
    intent,
    previous: null,
    description: `remove the intent from ${d.name}: ${words(intent)} (${why})`,
  };
}
