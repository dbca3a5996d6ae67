// Which guests a scenario means: selectors resolved on one host's inventory, and the links
// between guests (two interfaces on a common segment) that cuts and nemeses work on.
import type { CutEnd, Guest, HostInventory } from '../api';
import { problemAt, ScenarioError } from './problems';

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

/** Whether a guest is what one selector names (a name, a pattern, or label:key[=value]). */
function matcher(selector: string): (g: Guest) => boolean {
  if (selector.startsWith(LABEL)) {
    const spec = selector.slice(LABEL.length);
    const eq = spec.indexOf('=');
    const key = eq < 0 ? spec : spec.slice(0, eq);
    const value = eq < 0 ? undefined : spec.slice(eq + 1);
    return (g) => key in g.labels && (value === undefined || g.labels[key] === value);
  }
  if (!GLOB.test(selector)) return (g) => g.name === selector;
  const re = globRegExp(selector);
  // A name that happens to contain [ or ? still selects itself.
  return (g) => g.name === selector || re.test(g.name);
}

const byName = (a: Guest, b: Guest) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

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
  inventory: Pick<HostInventory, 'guests'>,
  options: SelectOptions = {},
): Guest[] {
  const guests = [...inventory.guests].sort(byName);
  const chosen: Guest[] = [];
  const problems = [];
  for (const selector of selectors) {
    const all = guests.filter(matcher(selector));
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
 * named so): the two ends of a cut between them.
 */
export function sharedInterfaces(
  a: Guest,
  b: Guest,
  segment?: string,
  pickWith = '--segment',
): [CutEnd, CutEnd] {
  const pairs = a.interfaces.flatMap((x) =>
    b.interfaces
      .filter((y) => x.segmentId !== null && x.segmentId === y.segmentId)
      .filter((y) => segment === undefined || y.segmentId?.endsWith(`:${segment}`))
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
export function linksOf(guests: readonly Guest[]): [Guest, Guest][] {
  const sorted = [...guests].sort(byName);
  const links: [Guest, Guest][] = [];
  sorted.forEach((a, i) => {
    const segments = new Set(a.interfaces.flatMap((x) => (x.segmentId ? [x.segmentId] : [])));
    for (const b of sorted.slice(i + 1))
      if (b.interfaces.some((y) => y.segmentId !== null && segments.has(y.segmentId)))
        links.push([a, b]);
  });
  return links;
}
