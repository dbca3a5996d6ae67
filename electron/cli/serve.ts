// `kvm-chaos serve`: the engine with the hosts saved in ~/.config/kvm-chaos, behind the local
// server, serving the built UI. Prints the one URL (with its token) that gives access.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../engine';
import { fileProfiles } from '../engine/profiles';
import { type ChaosServer, createServer } from '../server/server';
import { UsageError } from './options';
import { authFor, type SavedTargets } from './targets';

// Two levels below the root both as source (electron/cli) and as the bundle (dist/cli).
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function rendererDist(): string {
  return join(root, 'renderer', 'dist');
}

/**
 * A fresh clone has sources and vite but no built UI: build it (a few seconds, once) rather
 * than refuse. Only when it is missing: serves starting together (lab suites) must not rebuild
 * a directory another one is serving from. `npm start` rebuilds a stale UI itself.
 */
function buildUi(staticDir: string): void {
  const vite = join(root, 'node_modules', '.bin', 'vite');
  if (staticDir !== rendererDist() || !existsSync(vite))
    throw new UsageError(`the UI is not built (${staticDir}): run 'npm run build:renderer' first`);
  process.stderr.write(
    'kvm-chaos: the UI is not built yet: building it (npm run build:renderer)\n',
  );
  const built = spawnSync(vite, ['build', '-c', 'renderer/vite.config.ts', '--logLevel', 'error'], {
    cwd: root,
    // stdout carries only the URL.
    stdio: ['ignore', 2, 2],
  });
  if (built.status !== 0 || !existsSync(join(staticDir, 'index.html')))
    throw new UsageError(`the UI did not build (see above): 'npm run build:renderer' shows why`);
}

export async function serve(o: {
  host: string;
  port: number;
  knownHostsPath: string;
  /** Hosts to add at start (each `-c`). */
  connect?: readonly string[] | undefined;
  /** The saved hosts among them (`-c @…`), with their saved auth. */
  saved?: SavedTargets | undefined;
  /** The built UI; default renderer/dist. */
  staticDir?: string;
}) {
  const staticDir = o.staticDir ?? rendererDist();
  if (!existsSync(join(staticDir, 'index.html'))) buildUi(staticDir);
  const configDir = process.env.KVM_CHAOS_CONFIG ?? join(homedir(), '.config', 'kvm-chaos');
  const engine = await createEngine({
    profiles: fileProfiles(join(configDir, 'hosts.json')),
    knownHostsPath: o.knownHostsPath,
    autoLocal: true,
    face: 'serve',
    keepPromises: true,
  });
  // A saved host is already there (the engine refuses it twice); the others with the agent.
  for (const uri of o.connect ?? [])
    await engine['hosts.add']({ uri, auth: authFor(uri, { saved: o.saved }) });
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  let server: ChaosServer;
  try {
    server = await createServer({ api: engine, staticDir, host: o.host, port: o.port, log });
  } catch (e) {
    await engine.close();
    throw listenProblem(e, o) ?? e;
  }
  if (o.host !== '127.0.0.1' && o.host !== '::1' && o.host !== 'localhost')
    process.stderr.write(
      `warning: listening on ${o.host}: anyone who can reach it and has the URL's token controls your hosts\n`,
    );
  process.stdout.write(`kvm-chaos serving on ${server.url}\n`);
  const stop = async () => {
    await server.close();
    await engine.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await new Promise(() => {}); // serve until stopped
}

/** Why the port cannot be had, in one line; null for other errors. */
function listenProblem(e: unknown, o: { host: string; port: number }): UsageError | null {
  const where = `${o.host}:${o.port}`;
  switch ((e as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new UsageError(
        `${where} is taken (another kvm-chaos serve?): choose another --port, or --port 0 for a free one`,
      );
    case 'EACCES':
      return new UsageError(`${where}: not allowed to listen there (ports below 1024 need root)`);
    case 'EADDRNOTAVAIL':
      return new UsageError(`${where}: ${o.host} is not an address of this machine`);
    default:
      return null;
  }
}
