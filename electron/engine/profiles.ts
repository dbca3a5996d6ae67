// Host profile stores: a JSON file (the CLI's ~/.config/kvm-chaos/hosts.json; Electron passes
// its own app-data path) and memory (one-shot CLI runs, tests). Profiles hold no secrets. The
// file also keeps the user's segment groups (segments of different hosts saved as one L2
// segment); a file written before them has none and loads as it did.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { HostAuth, HostId, type SegmentGroup, SegmentGroups } from '../../shared/api';
import type { HostProfile, HostProfileStore } from './types';

const Profile = z.object({ id: HostId, uri: z.string().min(1), label: z.string(), auth: HostAuth });

const ProfilesFile = z.object({
  version: z.literal(1),
  hosts: z.array(Profile),
  segmentGroups: SegmentGroups.optional(),
});
type ProfilesFile = z.infer<typeof ProfilesFile>;

export function memoryProfiles(
  initial: readonly HostProfile[] = [],
  groups: readonly SegmentGroup[] = [],
): HostProfileStore {
  let saved = [...initial];
  let savedGroups = [...groups];
  return {
    load: async () => [...saved],
    save: async (profiles) => {
      saved = [...profiles];
    },
    loadSegmentGroups: async () => [...savedGroups],
    saveSegmentGroups: async (next) => {
      savedGroups = [...next];
    },
  };
}

export function fileProfiles(path: string): HostProfileStore {
  async function read(): Promise<ProfilesFile> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, hosts: [] };
      throw e;
    }
    const parsed = ProfilesFile.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(`${path} is not a kvm-chaos host list: ${parsed.error.message}`);
    return parsed.data;
  }
  async function write(file: ProfilesFile) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // Write then rename, so a crash never leaves half a file.
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, path);
  }
  // Each half is saved with the other as the file holds it, so neither overwrites the other.
  return {
    load: async () => (await read()).hosts,
    async save(profiles) {
      const { segmentGroups } = await read().catch(() => ({ segmentGroups: undefined }));
      await write({
        version: 1,
        hosts: [...profiles],
        ...(segmentGroups ? { segmentGroups } : {}),
      });
    },
    loadSegmentGroups: async () => (await read()).segmentGroups ?? [],
    async saveSegmentGroups(groups) {
      const { hosts } = await read();
      await write({ version: 1, hosts, segmentGroups: [...groups] });
    },
  };
}

/**
 * Hosts from one store, segment groups from another: a one-shot CLI names its hosts with -c (in
 * memory) but joins segments as the user saved them in the config folder's hosts.json.
 */
export function withGroupsOf(hosts: HostProfileStore, groups: HostProfileStore): HostProfileStore {
  return {
    load: () => hosts.load(),
    save: (profiles) => hosts.save(profiles),
    loadSegmentGroups: () => groups.loadSegmentGroups(),
    saveSegmentGroups: (next) => groups.saveSegmentGroups(next),
  };
}
