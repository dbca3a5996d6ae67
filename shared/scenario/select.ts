// Which guests a scenario means: selectors resolved on the guests of its hosts (one, or several
// as the CLI's several -c), and the links between guests (two interfaces on a common segment,
// which may span hosts) that cuts and nemeses work on. Guest names across hosts are resolved
// here for the whole CLI too: `name@host` picks one where a name is taken on several hosts.
import {
  type Guest,
  type GuestEnd,
  type GuestId,
  type GuestInterface,
  parseGuestId,
  type SegmentId,
} from '../api';
import { problemAt, ScenarioError } from './problems';

/** Which segment an interface's segment is part of; across hosts, several ids are one segment. */
export type SegmentOf = (id: SegmentId) => SegmentId;
const sameId: SegmentOf = (id) => id;

/** `db1@kvm2` is db1 on host kvm2; without an `@` after the first character, any host. */
export function splitHost(selector: string): { name: string; host: string | null } {
  const at = selector.indexOf('@');
  return at > 0
    ? { name: selector.slice(0, at), host: selector.slice(at + 1) }
    : { name: selector, host: null };
}

/** A host id (user@address:port) named in full, or by its address with or without the port. */
export function isHostNamed(hostId: string, named: string): boolean {
  const bare = hostId.replace(/^[^@]*@/, '');
  return hostId === named || bare === named || bare.replace(/:\d+$/, '') === named;
}

const hostOf = (g: Guest): string => parseGuestId(g.id as GuestId).hostId;

/**
 * The guests one name picks, by name or uuid, on every host given; `name@host` only on that
 * host. More than one means the name is taken on several hosts (see nameClash).
 */
export function guestsNamed(guests: readonly Guest[], selector: string): Guest[] {
  return guests.filter(namedExactly(selector));
}

function namedExactly(selector: string): (g: Guest) => boolean {
  // libvirt allows '@' in a domain's name, so any '@' may be the one before the host:
  // `app@blue@kvm1` is the guest app@blue on kvm1 (or app on host blue@kvm1).
  const readings: Array<{ name: string; host: string | null }> = [{ name: selector, host: null }];
  for (let at = selector.indexOf('@', 1); at > 0; at = selector.indexOf('@', at + 1))
    readings.push({ name: selector.slice(0, at), host: selector.slice(at + 1) });
  return (g) =>
    readings.some(
      ({ name, host }) =>
        (g.name === name || g.uuid === name.toLowerCase()) &&
        (host === null || isHostNamed(hostOf(g), host)),
    );
}

/** A guest named with its host, `db1@root@kvm2:22`: it alone answers to that, on any hosts. */
export function qualifiedName(g: Guest): string {
  return `${g.name}@${hostOf(g)}`;
}

/** What to say when a name picks guests of several hosts: how to pick one. */
export function nameClash(selector: string, found: readonly Guest[]): string {
  return `'${selector}' names a guest on several hosts: say which, e.g. ${found.map(qualifiedName).join(' or ')}`;
}

const GLOB = /[*?[]/;
const LABEL = 'label:';

function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    const close = c === '[' ? pattern.indexOf(']', i + 2) : -1;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (close > 0) {
      const body = pattern
        .slice(i + 1, close)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\');
      source += `[${body}]`;
      i = close;
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether a guest is what one selector names (a name, a pattern, or label:key[=value]); a name
 * or pattern may end in `@host` (a label's value is free text, so a label never does).
 */
function matcher(selector: string): (g: Guest) => boolean {
  if (selector.startsWith(LABEL)) {
    const spec = selector.slice(LABEL.length);
    const eq = spec.indexOf('=');
    const key = eq < 0 ? spec : spec.slice(0, eq);
    const value = eq < 0 ? undefined : spec.slice(eq + 1);
    return (g) => key in g.labels && (value === undefined || g.labels[key] === value);
  }
  const { name, host } = splitHost(selector);
  if (!GLOB.test(name)) return namedExactly(selector);
  const onHost = (g: Guest) => host === null || isHostNamed(hostOf(g), host);
  const re = globRegExp(name);
  // A name that happens to contain [ or ? still selects itself.
  return (g) => (g.name === name || re.test(g.name)) && onHost(g);
}

const isExactName = (selector: string) =>
  !selector.startsWith(LABEL) && !GLOB.test(splitHost(selector).name);

// Guests of several hosts may share a name: their ids then decide, so the order is stable.
const byName = (a: Guest, b: Guest) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

export interface SelectOptions {
  /** Only guests that run (cuts and nemeses need a port); an exact name that does not run is an error. */
  running?: boolean;
  /** Keep the order the selectors give (each pattern's matches by name); default: all by name. */
  listed?: boolean;
  /** The field the selectors come from, for messages ("steps[2].cut.from"). */
  path?: string;
}

/**
 * The guests a list of selectors names: their union, by name (or in the order listed). A
 * selector that names no guest is an error that names the selector.
 */
export function selectGuests(
  selectors: readonly string[],
  inventory: { readonly guests: readonly Guest[] },
  options: SelectOptions = {},
): Guest[] {
  const guests = [...inventory.guests].sort(byName);
  const chosen: Guest[] = [];
  const problems = [];
  for (const selector of selectors) {
    const all = guests.filter(matcher(selector));
    if (isExactName(selector) && all.length > 1) {
      problems.push(problemAt(options.path ?? '', nameClash(selector, all)));
      continue;
    }
    const usable = options.running ? all.filter((g) => g.state === 'running') : all;
    if (all.length === 0)
      problems.push(problemAt(options.path ?? '', `no guest matches '${selector}'`));
    else if (usable.length === 0)
      problems.push(
        problemAt(
          options.path ?? '',
          `'${selector}' matches no running guest (${all.map((g) => `${g.name} is ${g.state}`).join(', ')})`,
        ),
      );
    for (const g of usable) if (!chosen.includes(g)) chosen.push(g);
  }
  if (problems.length > 0) throw new ScenarioError(problems);
  return options.listed ? chosen : chosen.sort(byName);
}

/**
 * The one pair of interfaces through which a and b share a segment (optionally the segment
 * named so): the two ends of a cut between them. Guests of two hosts share a segment that
 * `segmentOf` says spans both.
 */
export function sharedInterfaces(
  a: Guest,
  b: Guest,
  segment?: string,
  pickWith = '--segment',
  segmentOf: SegmentOf = sameId,
): [GuestEnd, GuestEnd] {
  // Across hosts one segment may go by two names (a network on one, a bridge on the other):
  // either end's name picks it.
  const named = (...ends: GuestInterface[]) =>
    segment === undefined || ends.some((i) => i.segmentId?.endsWith(`:${segment}`));
  const pairs = a.interfaces.flatMap((x) =>
    b.interfaces
      .filter(
        (y) =>
          x.segmentId !== null &&
          y.segmentId !== null &&
          segmentOf(x.segmentId) === segmentOf(y.segmentId) &&
          named(x, y),
      )
      .map((y) => [x, y] as const),
  );
  const fail = (message: string) => new ScenarioError([problemAt('', message)]);
  if (pairs.length === 0)
    throw fail(
      `${a.name} and ${b.name} share no segment${segment ? ` named ${segment}` : ''}: nothing to cut`,
    );
  if (pairs.length > 1)
    throw fail(
      `${a.name} and ${b.name} share several segments (${pairs.map(([x]) => x.segmentId?.split(':').pop()).join(', ')}): pick one with ${pickWith}`,
    );
  const [x, y] = pairs[0] as (typeof pairs)[number];
  return [
    { guestId: a.id, mac: x.mac },
    { guestId: b.id, mac: y.mac },
  ];
}

/** Every pair of guests that share a segment, each pair by name and the pairs sorted. */
export function linksOf(guests: readonly Guest[], segmentOf: SegmentOf = sameId): [Guest, Guest][] {
  const sorted = [...guests].sort(byName);
  const links: [Guest, Guest][] = [];
  sorted.forEach((a, i) => {
    const segments = new Set(
      a.interfaces.flatMap((x) => (x.segmentId ? [segmentOf(x.segmentId)] : [])),
    );
    for (const b of sorted.slice(i + 1))
      if (b.interfaces.some((y) => y.segmentId !== null && segments.has(segmentOf(y.segmentId))))
        links.push([a, b]);
  });
  return links;
}
