// hosts.json keeps the hosts and the user's segment groups side by side: a file from before the
// groups loads, and saving either half keeps the other as the file holds it.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostId, SegmentGroup } from '../../shared/api';
import { fileProfiles, memoryProfiles, withGroupsOf } from './profiles';
import type { HostProfile } from './types';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-profiles-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const host: HostProfile = {
  id: 'root@kvm1' as HostId,
  uri: 'ssh://root@kvm1',
  label: 'kvm1',
  auth: { method: 'agent' },
};
const groups: SegmentGroup[] = [
  {
    segments: [
      { host: 'root@kvm1' as HostId, bridge: 'br0' },
      { host: 'root@kvm2' as HostId, bridge: 'br0' },
    ],
  },
];

describe('fileProfiles', () => {
  it('loads a file written before segment groups, with none', async () => {
    const path = join(dir, 'hosts.json');
    await writeFile(path, JSON.stringify({ version: 1, hosts: [host] }));
    const store = fileProfiles(path);
    expect(await store.load()).toEqual([host]);
    expect(await store.loadSegmentGroups()).toEqual([]);
  });

  it('saves groups beside the hosts, and hosts beside the groups', async () => {
    const path = join(dir, 'sub', 'hosts.json');
    const store = fileProfiles(path);
    expect(await store.loadSegmentGroups()).toEqual([]);
    await store.save([host]);
    await store.saveSegmentGroups(groups);
    expect(await fileProfiles(path).load()).toEqual([host]);
    await store.save([{ ...host, label: 'renamed' }]);
    expect(await fileProfiles(path).loadSegmentGroups()).toEqual(groups);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      version: 1,
      hosts: [{ ...host, label: 'renamed' }],
      segmentGroups: groups,
    });
  });

  it('refuses a group that is not one, naming the file', async () => {
    const path = join(dir, 'hosts.json');
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        hosts: [],
        segmentGroups: [{ segments: [groups[0]?.segments[0]] }],
      }),
    );
    await expect(fileProfiles(path).loadSegmentGroups()).rejects.toThrow(
      `${path} is not a kvm-chaos host list`,
    );
  });
});

describe('withGroupsOf', () => {
  it('takes hosts from one store and groups from the other', async () => {
    const file = fileProfiles(join(dir, 'hosts.json'));
    await file.saveSegmentGroups(groups);
    const mixed = withGroupsOf(memoryProfiles(), file);
    await mixed.save([host]);
    expect(await mixed.load()).toEqual([host]);
    expect(await file.load()).toEqual([]);
    expect(await mixed.loadSegmentGroups()).toEqual(groups);
    await mixed.saveSegmentGroups([]);
    expect(await file.loadSegmentGroups()).toEqual([]);
  });
});
