import { afterEach, describe, expect, it } from 'vitest';
import type { ActivityEntry } from '../../shared/api';
import { createEngine } from './engine';
import { memoryProfiles } from './profiles';
import type { Engine } from './types';

// hosts.add refuses what the UI's form refuses, with the same words, before anything is saved
// or dialled; a refusal is in the activity log. Nothing here reaches a host: the one address
// that is added points at a socket that does not exist.

let engine: Engine | null = null;
afterEach(async () => {
  await engine?.close();
  engine = null;
});

async function started() {
  const profiles = memoryProfiles();
  engine = await createEngine({ profiles, knownHostsPath: '/nonexistent/known_hosts' });
  const activity: ActivityEntry[] = [];
  engine.subscribe((e) => {
    if (e.type === 'activity.appended') activity.push(e.entry);
  });
  return { engine, profiles, activity };
}

describe('hosts.add', () => {
  it('refuses an address that is not a host, saves nothing, and logs the refusal', async () => {
    const { engine, profiles, activity } = await started();
    for (const uri of ['!!! not a host ###', 'ssh://root@127.0.0.1:abc', 'ssh://root:pw@kvm1']) {
      const added = await engine['hosts.add']({ uri, auth: { method: 'agent' } });
      expect(added.ok).toBe(false);
      if (!added.ok) expect(added.error.code).toBe('invalid-request');
    }
    expect(await profiles.load()).toEqual([]);
    expect(activity.map((a) => [a.kind, a.outcome, a.error?.message])).toEqual([
      [
        'add-host',
        'refused',
        "'!!! not a host ###' is not a host: give the host as ssh://user@host[:port], qemu+ssh://user@host/system or an ~/.ssh/config alias",
      ],
      [
        'add-host',
        'refused',
        "'abc' is not a port in ssh://root@127.0.0.1:abc: a port is a whole number from 1 to 65535",
      ],
      [
        'add-host',
        'refused',
        'the address holds a password, which would be saved with it: leave it out and use ssh-agent or a key file',
      ],
    ]);
    expect(JSON.stringify(activity)).not.toContain('pw@');
  });

  it('refuses a second profile for the same host, however it is written', async () => {
    const { engine, profiles } = await started();
    const socket = 'qemu+unix:///system?socket=/nonexistent/libvirt-sock';
    const first = await engine['hosts.add']({ uri: socket, auth: { method: 'local' } });
    expect(first.ok).toBe(true);
    const again = await engine['hosts.add']({
      uri: 'qemu:///system?socket=/nonexistent/libvirt-sock',
      auth: { method: 'local' },
    });
    expect(again).toEqual({
      ok: false,
      error: {
        code: 'invalid-request',
        message: `qemu:///system?socket=/nonexistent/libvirt-sock is already added as this machine (local): its guests would show twice`,
      },
    });
    expect((await profiles.load()).map((p) => p.uri)).toEqual([socket]);
  });
});
