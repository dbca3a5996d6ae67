// What `-c` names, expanded to hosts: an address as given, `@saved` for every host the app and
// serve saved in the config folder's hosts.json, `@LABEL` for one of them (by label, else id);
// and KVM_CHAOS_CONNECT may hold several addresses for pipelines. A saved host keeps its saved
// auth (key, agent or local) unless -i says otherwise, as the app would reach it.
import { type HostAuth, hostAddressKey, readHostAddress } from '../../shared/api';
import { fileProfiles } from '../engine/profiles';
import type { HostProfile } from '../engine/types';
import { UsageError } from './options';

/** `-c @saved`: every saved host. */
export const ALL_SAVED = '@saved';

/** How a saved host is reached and named, by its URI. */
export type SavedTargets = ReadonlyMap<string, Pick<HostProfile, 'auth' | 'label'>>;

export interface Targets {
  /** Every host's URI, in the order named, each once. */
  uris: string[];
  /** The saved hosts among them: their saved auth and label. */
  saved: SavedTargets;
}

/** The hosts of a hosts.json as read, and where it was (for the messages). */
export interface SavedHosts {
  path: string;
  hosts: readonly HostProfile[];
}

/**
 * KVM_CHAOS_CONNECT's value as addresses: separated by spaces or commas, which no address
 * contains (readHostAddress refuses whitespace; a URI's query has no use for commas here).
 */
export function envTargets(value: string): string[] {
  return value.split(/[\s,]+/).filter((t) => t !== '');
}

export const namesSaved = (given: readonly string[]) => given.some((t) => t.startsWith('@'));

const labelsOf = (hosts: readonly HostProfile[]) =>
  hosts.map((h) => (h.label === h.id ? h.label : `${h.label} (${h.id})`)).join(', ');

/** One `@name`: the saved host labelled so, else the one with that id. */
function savedNamed(name: string, saved: SavedHosts): HostProfile {
  const labelled = saved.hosts.filter((h) => h.label === name);
  if (labelled.length > 1)
    throw new UsageError(
      `${labelled.length} hosts saved in ${saved.path} are labelled '${name}': name one by its id (${labelled.map((h) => h.id).join(', ')})`,
    );
  const found = labelled[0] ?? saved.hosts.find((h) => h.id === name);
  if (!found)
    throw new UsageError(
      `no host saved as '${name}' in ${saved.path}; saved: ${labelsOf(saved.hosts)} (or -c ${ALL_SAVED} for all)`,
    );
  return found;
}

/** The -c list with every `@…` replaced by the saved hosts it names (pure: the file read first). */
export function expandTargets(given: readonly string[], saved: SavedHosts | null): Targets {
  const uris: string[] = [];
  const savedByUri = new Map<string, Pick<HostProfile, 'auth' | 'label'>>();
  const seen = new Map<string, string>();
  const add = (given: string, profile?: HostProfile) => {
    // `-c @saved -c kvm1` with kvm1 saved (in any spelling of its address): once, as saved.
    const address = readHostAddress(given);
    const key = address.ok ? hostAddressKey(address.value) : given;
    const uri = seen.get(key) ?? given;
    if (!seen.has(key)) {
      seen.set(key, uri);
      uris.push(uri);
    }
    if (profile && !savedByUri.has(uri))
      savedByUri.set(uri, { auth: profile.auth, label: profile.label });
  };
  for (const t of given) {
    if (!t.startsWith('@')) {
      add(t);
      continue;
    }
    if (!saved || saved.hosts.length === 0)
      throw new UsageError(
        `-c ${t}: no hosts are saved in ${saved?.path ?? 'the config folder'} (the app and 'kvm-chaos serve' save them there; KVM_CHAOS_CONFIG names another folder)`,
      );
    const picked = t === ALL_SAVED ? saved.hosts : [savedNamed(t.slice(1), saved)];
    for (const h of picked) add(h.uri, h);
  }
  return { uris, saved: savedByUri };
}

/** The saved hosts of a hosts.json (none when it is missing); an unreadable one is a usage error. */
export async function readSavedHosts(path: string): Promise<SavedHosts> {
  try {
    return { path, hosts: await fileProfiles(path).load() };
  } catch (e) {
    throw new UsageError(
      `-c @…: cannot read the saved hosts: ${e instanceof Error ? e.message : e}`,
    );
  }
}

/** Expands -c, reading the saved hosts only when a `@…` asks for them. */
export async function resolveTargets(given: readonly string[], path: string): Promise<Targets> {
  return expandTargets(given, namesSaved(given) ? await readSavedHosts(path) : null);
}

const isLocal = (uri: string) => /^qemu(\+unix)?:\/\/\/(system|session)/.test(uri);

/**
 * How to reach one host: the local socket needs no ssh; -i, when given, is the key for every
 * ssh host; else a saved host's own auth; else ssh-agent (and ~/.ssh/config).
 */
export function authFor(
  uri: string,
  o: { key?: string | undefined; saved?: SavedTargets },
): HostAuth {
  if (isLocal(uri)) return { method: 'local' };
  if (o.key) return { method: 'key', keyPath: o.key };
  return o.saved?.get(uri)?.auth ?? { method: 'agent' };
}
