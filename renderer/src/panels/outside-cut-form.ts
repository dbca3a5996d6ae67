import {
  type CutRequest,
  type CutScope,
  type Guest,
  type GuestInterface,
  type HostInventory,
  OutsideEnd,
  outsideText,
  type Parsed,
  readPort,
} from '../../../shared/api';
import { CutError, netTarget, scopeWords } from '../../../shared/chaos/cut';
import { gatewayOf, outsideEndFor } from '../../../shared/inventory/gateway';
import { cutsInWords, sentence } from '../store/plain-words';
import { readScope } from '../store/selectors';

// The guest panel's "Cut from outside…" form, read before anything is sent: what the user typed
// (gateway, an address, a network or a DNS name), which way and what traffic, as the cut request
// chaos.apply takes and the words its notice says. Addresses are checked here with the engine's
// own words (netTarget); a DNS name can only be judged by the engine, which resolves it. Pure.

/** both: nothing passes; outgoing: only guest -> outside is dropped; incoming: the reverse. */
export type OutsideDirection = 'both' | 'outgoing' | 'incoming';

export const OUTSIDE_DIRECTIONS: ReadonlyArray<{ value: OutsideDirection; label: string }> = [
  { value: 'both', label: 'Both ways' },
  { value: 'outgoing', label: 'Only outgoing' },
  { value: 'incoming', label: 'Only incoming' },
];

export type OutsideForm = {
  target: string;
  direction: OutsideDirection;
  scopeKind: CutScope['kind'];
  /** The port as typed (read for TCP and UDP only). */
  port: string;
  /** The interface to cut; null: the guest's first one that can be cut. */
  mac: string | null;
};

export type OutsideReading =
  | { ok: true; cut: CutRequest; label: string }
  /** field: where the problem is said; quiet: nothing typed yet, said without alarm. */
  | { ok: false; problem: string; field: 'target' | 'interface' | 'port'; quiet?: true };

export const TARGET_PLACEHOLDER = 'gateway, 10.0.0.0/8 or a DNS name';

/** The guest's interfaces a cut can be put on. */
export function cuttableInterfaces(guest: Guest): GuestInterface[] {
  return guest.interfaces.filter((i) => i.uncuttable === null && i.portdev !== null);
}

/** The quick pick's words, "Gateway (192.168.77.1)", or null when the gateway is not known. */
export function gatewayChoice(inventory: HostInventory, guest: Guest): string | null {
  const gw = gatewayOf(inventory, guest);
  return gw.address === null ? null : `Gateway (${gw.address})`;
}

/**
 * Text the engine would read as an address rather than a name: no letter at all, or a '/' or a
 * ':' (a network, IPv6), which no DNS name holds.
 */
function looksLikeAddress(text: string): boolean {
  return !/[A-Za-z]/.test(text) || /[/:]/.test(text);
}

/** The outside end as it will be sent, or what is wrong with the typed target. */
function readTarget(
  inventory: HostInventory,
  guest: Guest,
  typed: string,
): { end: OutsideEnd } | { problem: string } {
  let end: OutsideEnd;
  try {
    end = outsideEndFor(inventory, guest, typed);
  } catch (e) {
    return { problem: (e as Error).message };
  }
  const text = end.address;
  if (looksLikeAddress(text)) {
    try {
      const net = netTarget(text);
      // One address reads as itself (the engine lists it as a.b.c.d/32 and shows it bare).
      end = { ...end, address: net.endsWith('/32') ? net.slice(0, -3) : net };
    } catch (e) {
      if (e instanceof CutError) return { problem: e.message };
      throw e;
    }
  }
  const checked = OutsideEnd.safeParse(end);
  if (!checked.success)
    return { problem: `'${text}' is not ${checked.error.issues[0]?.message ?? 'a target'}` };
  return { end: checked.data };
}

/** The scope the form asks for: its kind, and for TCP and UDP the port as typed. */
export function readOutsideScope(form: Pick<OutsideForm, 'scopeKind' | 'port'>): Parsed<CutScope> {
  return readScope(form.scopeKind, readPort(form.port));
}

export function readOutsideCut(
  inventory: HostInventory,
  guest: Guest,
  form: OutsideForm,
): OutsideReading {
  if (form.target.trim() === '')
    return { ok: false, problem: `Type ${TARGET_PLACEHOLDER}.`, field: 'target', quiet: true };
  const iface = cuttableInterfaces(guest).find((i) => form.mac === null || i.mac === form.mac);
  if (!iface) {
    const why = guest.interfaces.find((i) => i.uncuttable)?.uncuttable?.explanation;
    const problem = why ?? `${guest.name} has no interface that can be cut`;
    return { ok: false, problem, field: 'interface' };
  }
  const target = readTarget(inventory, guest, form.target);
  if ('problem' in target) return { ok: false, problem: target.problem, field: 'target' };
  const scope = readOutsideScope(form);
  if (!scope.ok) return { ok: false, problem: scope.problem, field: 'port' };

  const own = { guestId: guest.id, mac: iface.mac };
  const { end } = target;
  const [from, to] = form.direction === 'incoming' ? [end, own] : [own, end];
  const direction = form.direction === 'both' ? 'both' : 'one-way';
  const [fromName, toName] =
    form.direction === 'incoming' ? [outsideText(end), guest.name] : [guest.name, outsideText(end)];
  const words = cutsInWords([
    { from: fromName, to: toName, oneWay: direction === 'one-way', scope: scopeWords(scope.value) },
  ]);
  return {
    ok: true,
    cut: { from, to, direction, scope: scope.value },
    label: sentence(words),
  };
}
