// Cuts in the words a person would say: "cut lab-node1 from lab-node2", not "cut 1 link(s)".
// Used for the labels of what the UI sends (pending, notices, refusals) and for the engine's
// activity summaries, whose "a <-> b (scope)" lists are read back into the same words. Pure.

/** One cut between two named guests; `oneWay`: only traffic from `from` to `to` is dropped. */
export type NamedCut = { from: string; to: string; oneWay: boolean; scope: string };

const ALL_TRAFFIC = 'all traffic';
const SHOWN = 3;

function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * "cut lab-node1 from lab-node2 and lab-node3", "cut traffic from lab-node1 to lab-node2",
 * with the scope when it is not all traffic; more than three groups end in "and N more".
 */
export function cutsInWords(cuts: readonly NamedCut[]): string {
  if (cuts.length === 0) return 'cut nothing';
  const groups = new Map<string, { head: string; others: string[] }>();
  for (const c of cuts) {
    const key = `${c.oneWay ? '>' : '='}${c.from}`;
    const group = groups.get(key) ?? {
      head: c.oneWay ? `traffic from ${c.from} to` : `${c.from} from`,
      others: [],
    };
    if (!group.others.includes(c.to)) group.others.push(c.to);
    groups.set(key, group);
  }
  const phrases = [...groups.values()].map((g) => `${g.head} ${joinNames(g.others)}`);
  const shown = phrases.slice(0, SHOWN).join('; ');
  const more = phrases.length > SHOWN ? `; and ${phrases.length - SHOWN} more` : '';
  const scopes = [...new Set(cuts.map((c) => c.scope))];
  const scope =
    scopes.length === 1 && scopes[0] !== ALL_TRAFFIC
      ? ` (${scopes[0]} only)`
      : scopes.length > 1
        ? ' (several scopes)'
        : '';
  return `cut ${shown}${more}${scope}`;
}

/** Capitalised for a label or a notice. */
export const sentence = (words: string) => words.charAt(0).toUpperCase() + words.slice(1);

// The engine's summary of a cut apply: "cut a <-> b (all traffic), c -> d (UDP to port 53)".
const ENGINE_CUT = /^(.+?) (<->|->) (.+?) \(([^()]+)\)$/;

/**
 * An activity entry's summary in plain words: the engine's "cut a <-> b (scope)" lists become
 * cutsInWords, a topology is named as one; anything else is already words and stays.
 */
export function activityInWords(summary: string): string {
  if (summary.startsWith('cut ')) {
    const parts = summary.slice(4).split(/(?<=\)), /);
    const cuts = parts.map((p) => ENGINE_CUT.exec(p));
    if (cuts.every((m) => m !== null))
      return cutsInWords(
        cuts.map((m) => ({
          from: m?.[1] ?? '',
          to: m?.[3] ?? '',
          oneWay: m?.[2] === '->',
          scope: m?.[4] ?? ALL_TRAFFIC,
        })),
      );
  }
  const partition = /^partition ([a-z-]+): (.*)$/.exec(summary);
  if (partition) {
    const name = TOPOLOGY_WORDS[partition[1] ?? ''];
    if (name) return `${name}: ${partition[2]}`;
  }
  return summary;
}

const TOPOLOGY_WORDS: Record<string, string> = {
  isolate: 'isolate the guests',
  halves: 'split into two halves',
  'majority-minority': 'split into a majority and a minority',
  'majorities-ring': 'split into a ring of majorities',
  bridge: 'split into two halves joined by a bridge guest',
  groups: 'split into groups',
};
