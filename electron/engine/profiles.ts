// Host profile stores: a JSON file (the CLI's ~/.config/kvm-chaos/hosts.json; Electron passes
// its own app-data path) and memory (one-shot CLI runs, tests). Profiles hold no secrets.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { HostAuth, HostId } from '../../shared/api';
import type { HostProfile, HostProfileStore } from './types';

const Profiles = z.object({
  version: z.literal(1),
  hosts: z.array(
    z.object({ id: HostId, uri: z.string().min(1), label: z.string(), auth: HostAuth }),
  ),
});

export function memoryProfiles(initial: readonly HostProfile[] = []): HostProfileStore {
  let saved = [...initial];
  return {
    load: async () => [...saved],
    save: async (profiles) => {
      saved = [...profiles];
    },
  };
}

export function fileProfiles(path: string): HostProfileStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
      const parsed = Profiles.safeParse(JSON.parse(text));
      if (!parsed.success)
        throw new Error(`${path} is not a kvm-chaos host list: ${parsed.error.message}`);
      return parsed.data.hosts;
    },
    async save(profiles) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // Write then rename, so a crash never leaves half a file.
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify({ version: 1, hosts: profiles }, null, 2)}\n`, {
        mode: 0o600,
      });
      await rename(tmp, path);
    },
  };
}
