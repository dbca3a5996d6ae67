// `kvm-chaos label GUEST key=value... [--remove key...]`: what the words mean, and how labels
// are printed. The keys themselves are checked by the contract (LabelKey).
import { UsageError } from './options';

/** "role=db" -> ["role", "db"]; the value may be empty or hold '=' itself. */
export function labelPairs(words: readonly string[]): Record<string, string> {
  const set: Record<string, string> = {};
  for (const w of words) {
    const i = w.indexOf('=');
    if (i < 1)
      throw new UsageError(`a label is key=value, not '${w}' (to remove one: --remove KEY)`);
    const key = w.slice(0, i);
    if (Object.hasOwn(set, key)) throw new UsageError(`label '${key}' is given twice`);
    set[key] = w.slice(i + 1);
  }
  return set;
}

/** One "key=value" a line, sorted by key; a sentence when there are none. */
export function labelsText(guest: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length ? keys.map((k) => `${k}=${labels[k]}`).join('\n') : `${guest} has no labels`;
}
