// `kvm-chaos watch`: a process that only keeps the host's promises. It connects (and reconnects,
// with capped backoff, for as long as it runs), and whenever the host's intents ask for it heals
// expired cuts and puts back wanted cuts not in force, whoever made them. It prints one line per
// thing it did and per change of a host's connection. Several watchers, the app and serve may
// run at once: each change is an idempotent reconcile under the host's lock, so they converge.
import { type HostStatus, unwrap } from '../../shared/api';
import { createEngine } from '../engine';
import { cliProfiles } from './segments';
import { authFor, type SavedTargets } from './targets';

export interface WatchOptions {
  /** Every host to watch (each `-c`). */
  connect: readonly string[];
  /** The saved hosts among them (`-c @…`): reached with their saved auth unless -i is given. */
  saved?: SavedTargets | undefined;
  knownHostsPath: string;
  key?: string | undefined;
  json: boolean;
}

const line = (json: boolean, what: Record<string, unknown>) =>
  process.stdout.write(
    `${json ? JSON.stringify({ at: new Date().toISOString(), ...what }) : `${new Date().toISOString()} ${Object.values(what).join(' ')}`}\n`,
  );

/** Backoff between dials of a host that cannot be reached: doubling from the first, capped. */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

export async function watch(o: WatchOptions): Promise<void> {
  const engine = await createEngine({
    profiles: cliProfiles(),
    knownHostsPath: o.knownHostsPath,
    face: 'watch',
    keepPromises: true,
  });
  // Lines go out in the order things happened; a host line waits for the host's label, which
  // the engine knows before it dials but this process only once hosts.add returns.
  let printing = Promise.resolve();
  let stopped = false;
  const say = (what: () => Promise<Record<string, unknown> | null> | Record<string, unknown>) => {
    // Nothing after "stopped": closing the connections is not news.
    if (stopped) return;
    printing = printing.then(async () => {
      const words = await what();
      if (words) line(o.json, words);
    });
  };

  // A host line says a change and names the host, since one watch keeps several. The engine
  // repeats a state as it learns more of a host (its hostname, its version), and a host that
  // stays unreachable fails the same way at every dial: neither is news.
  const lastSaid = new Map<string, { state: string; error?: string }>();
  const hostLine = (status: HostStatus) => async () => {
    const now = { state: status.state, ...(status.error ? { error: status.error.message } : {}) };
    const before = lastSaid.get(status.hostId);
    if (before && JSON.stringify(before) === JSON.stringify(now)) return null;
    // A redial's own steps (disconnected, connecting) after a failure: only its outcome is news.
    if (before?.error && !now.error && now.state !== 'connected') return null;
    lastSaid.set(status.hostId, now);
    const hosts = await engine['hosts.list']({});
    const label = hosts.ok ? hosts.value.find((h) => h.id === status.hostId)?.label : undefined;
    const retrying = status.state === 'disconnected' && now.error && !stopped;
    return {
      event: 'host',
      host: label ?? status.hostId,
      ...now,
      ...(retrying ? { next: 'retrying' } : {}),
    };
  };

  // The engine reconnects a connection it lost, but a first dial that fails is final for it (a
  // person at the app is told and decides). A watch runs unattended, often started before its
  // host is up: it dials again, with capped backoff, for as long as it runs.
  const retries = new Map<string, { delayMs: number; timer: NodeJS.Timeout }>();
  const redial = (status: HostStatus) => {
    const pending = retries.get(status.hostId);
    if (status.state === 'connected') {
      if (pending) clearTimeout(pending.timer);
      retries.delete(status.hostId);
    }
    if (stopped || status.state !== 'disconnected' || !status.error) return;
    const delayMs = pending ? Math.min(RETRY_MAX_MS, pending.delayMs * 2) : RETRY_FIRST_MS;
    const timer = setTimeout(() => {
      if (!stopped) void engine['hosts.connect']({ hostId: status.hostId });
    }, delayMs);
    retries.set(status.hostId, { delayMs, timer });
  };

  const refused = new Set<string>();
  engine.subscribe((e) => {
    if (e.type === 'activity.appended' && e.entry.kind !== 'add-host')
      say(() => ({
        event: e.entry.outcome,
        kind: e.entry.kind,
        summary: e.entry.summary,
        ...(e.entry.error ? { error: e.entry.error.message } : {}),
      }));
    else if (e.type === 'host.state') {
      say(hostLine(e.status));
      redial(e.status);
    } else if (e.type === 'hostKey.prompt') {
      // Nobody is there to answer: an unknown key is refused (add it to known_hosts first), and
      // said once, not at every dial.
      if (!refused.has(e.prompt.fingerprint))
        say(() => ({ event: 'refused', summary: `unknown host key ${e.prompt.fingerprint}` }));
      refused.add(e.prompt.fingerprint);
      void engine['hostKey.answer']({ promptId: e.prompt.promptId, accept: false });
    } else if (e.type === 'passphrase.prompt')
      void engine['passphrase.answer']({ promptId: e.prompt.promptId, passphrase: null });
  });
  for (const uri of o.connect) {
    const host = unwrap(
      await engine['hosts.add']({
        uri,
        auth: authFor(uri, o),
        label: o.saved?.get(uri)?.label ?? uri,
      }),
    );
    say(() => ({ event: 'watching', host: host.label, instance: engine.author.instance }));
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  say(() => ({ event: 'stopped' }));
  stopped = true;
  for (const { timer } of retries.values()) clearTimeout(timer);
  await printing;
  await engine.close();
}
