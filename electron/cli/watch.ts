// `kvm-chaos watch`: a process that only keeps the host's promises. It connects (and reconnects,
// with capped backoff, for as long as it runs), and whenever the host's intents ask for it heals
// expired cuts and puts back wanted cuts not in force, whoever made them; it prints one line per
// thing it did. Several watchers, the app and serve may run at once: each change is an
// idempotent reconcile under the host's lock, so they converge.
import { unwrap } from '../../shared/api';
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

export async function watch(o: WatchOptions): Promise<void> {
  const engine = await createEngine({
    profiles: cliProfiles(),
    knownHostsPath: o.knownHostsPath,
    face: 'watch',
    keepPromises: true,
  });
  engine.subscribe((e) => {
    if (e.type === 'activity.appended' && e.entry.kind !== 'add-host')
      line(o.json, {
        event: e.entry.outcome,
        kind: e.entry.kind,
        summary: e.entry.summary,
        ...(e.entry.error ? { error: e.entry.error.message } : {}),
      });
    else if (e.type === 'host.state')
      line(o.json, {
        event: 'host',
        state: e.status.state,
        ...(e.status.error ? { error: e.status.error.message } : {}),
      });
    else if (e.type === 'hostKey.prompt') {
      // Nobody is there to answer: an unknown key is refused (add it to known_hosts first).
      line(o.json, { event: 'refused', summary: `unknown host key ${e.prompt.fingerprint}` });
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
    line(o.json, { event: 'watching', host: host.label, instance: engine.author.instance });
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  line(o.json, { event: 'stopped' });
  await engine.close();
}
