// `kvm-chaos serve`: the engine with the hosts saved in ~/.config/kvm-chaos, behind the local
// server, serving the built UI. Prints the one URL (with its token) that gives access.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../engine';
import { fileProfiles } from '../engine/profiles';
import { createServer } from '../server/server';

const here = dirname(fileURLToPath(import.meta.url));

export function rendererDist(): string {
  return resolve(here, '..', '..', 'renderer', 'dist');
}

export async function serve(o: {
  host: string;
  port: number;
  knownHostsPath: string;
  connect?: string | undefined;
}) {
  const staticDir = rendererDist();
  if (!existsSync(join(staticDir, 'index.html')))
    throw new Error(`the UI is not built (${staticDir}): run 'npm run build:renderer'`);
  const configDir = process.env.KVM_CHAOS_CONFIG ?? join(homedir(), '.config', 'kvm-chaos');
  const engine = await createEngine({
    profiles: fileProfiles(join(configDir, 'hosts.json')),
    knownHostsPath: o.knownHostsPath,
    autoLocal: true,
  });
  if (o.connect)
    await engine['hosts.add']({
      uri: o.connect,
      auth: o.connect.startsWith('qemu:///') ? { method: 'local' } : { method: 'agent' },
    });
  const server = await createServer({ api: engine, staticDir, host: o.host, port: o.port });
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
