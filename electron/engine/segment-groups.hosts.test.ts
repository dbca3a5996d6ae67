// Segments joined by the user, against the lab's two libvirt hosts: a join saved through the CLI
// (`kvm-chaos segments join`) lands in the hosts.json an engine keeps its hosts in; an engine
// started afresh from that file joins the segments "by you" (beside the DHCP lease the lab also
// shows), a cut across the hosts plans there, the join refuses what would make two bridges of
// host 1 one segment, and "not joined" is saved and announced without reconnecting.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKvmChaos } from '../../lab/cli-process';
import { type LabState, readLabState } from '../../lab/lab-client';
import {
  type ChaosEvent,
  type Guest,
  type HostId,
  type HostInventory,
  type SegmentGroup,
  unwrap,
} from '../../shared/api';
import { sharedSegments } from '../../shared/inventory/fabric';
import { resolveGroups } from '../../shared/inventory/segment-groups';
import { createEngine } from './engine';
import { fileProfiles } from './profiles';
import type { Engine } from './types';

let lab: LabState;
let dir: string;
let hostsFile: string;
const engines: Engine[] = [];

const ssh = (h: LabState['hosts'][number]) => `ssh://${h.ssh.user}@${h.ssh.host}:${h.ssh.port}`;

async function engineFromFile(): Promise<Engine> {
  const engine = await createEngine({
    profiles: fileProfiles(hostsFile),
    knownHostsPath: lab.ssh.knownHosts,
    face: 'test',
  });
  engines.push(engine);
  return engine;
}

/** Every saved host connected and read; their inventories. */
async function inventories(engine: Engine): Promise<HostInventory[]> {
  const hosts = unwrap(await engine['hosts.list']({}));
  expect(hosts).toHaveLength(2);
  return Promise.all(
    hosts.map(async (h) => {
      unwrap(await engine['hosts.connect']({ hostId: h.id }));
      return unwrap(await engine['inventory.get']({ hostId: h.id }));
    }),
  );
}

async function cli(args: readonly string[]) {
  const run = await startKvmChaos(args, {
    connect: lab.hosts.slice(0, 2).map((h) => h.sshUri),
    env: { ...process.env, KVM_CHAOS_CONFIG: dir },
  }).exited;
  return run;
}

const savedGroups = async (): Promise<SegmentGroup[] | undefined> =>
  JSON.parse(await readFile(hostsFile, 'utf8')).segmentGroups;

beforeAll(async () => {
  lab = await readLabState();
  expect(lab.hosts.length).toBeGreaterThanOrEqual(2);
  dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-segments-'));
  hostsFile = join(dir, 'hosts.json');
  // The user's hosts, saved as the app or serve saves them.
  const first = await engineFromFile();
  for (const h of lab.hosts.slice(0, 2))
    unwrap(
      await first['hosts.add']({
        uri: ssh(h),
        auth: { method: 'key', keyPath: h.ssh.key },
        label: h.id,
      }),
    );
  await first.close();
});
afterAll(async () => {
  for (const e of engines) await e.close();
  await rm(dir, { recursive: true, force: true });
});

describe('segments joined by the user, across the lab’s two hosts', () => {
  // Host ids as the engine makes them from an address: user@host:port.
  const idOf = (n: number) => {
    const h = lab.hosts[n] as LabState['hosts'][number];
    return `${h.ssh.user}@${h.ssh.host}:${h.ssh.port}` as HostId;
  };
  let h1Id: HostId;
  let h2Id: HostId;
  beforeAll(() => {
    [h1Id, h2Id] = [idOf(0), idOf(1)];
    expect(lab.hosts.slice(0, 2).map((h) => h.bridge)).toEqual(['kcbr0', 'kcbr0']);
  });

  it('refuses, through the CLI, a join that would make two bridges of host 1 one segment', async () => {
    // The lease joins h1's kcbr0 with h2's kcbr0 already; h1's virbr0 is another bridge of h1.
    const r = await cli(['segments', 'join', `${h1Id}:virbr0`, `${h2Id}:kcbr0`]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `joining ${h1Id}:virbr0 and ${h2Id}:kcbr0 would make ${h1Id}:virbr0 and ${h1Id}:kcbr0, two bridges of ${h1Id}, one segment`,
    );
    expect(await savedGroups()).toBeUndefined();
  });

  it('saves a join made with the CLI beside the hosts, and lists it as joined by you', async () => {
    // Host 2 by its bare address: how a person types it.
    const h2Address = lab.hosts[1]?.ssh.host as string;
    const r = await cli(['segments', 'join', `${h1Id}:kcbr0`, `${h2Address}:kcbr0`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const groups = [
      {
        segments: [
          { host: h1Id, bridge: 'kcbr0' },
          { host: h2Id, bridge: 'kcbr0' },
        ],
      },
    ];
    expect(await savedGroups()).toEqual(groups);
    // The hosts the app saved are still there.
    expect((await fileProfiles(hostsFile).load()).map((p) => p.id)).toEqual([h1Id, h2Id]);
    const listed = JSON.parse(r.stdout) as {
      segments: { ref: string; joinedWith: string[]; why: string[] }[];
      groups: SegmentGroup[];
    };
    expect(listed.groups).toEqual(groups);
    const row = listed.segments.find((x) => x.ref === `${h2Id}:kcbr0`);
    expect(row?.joinedWith).toEqual([`${h1Id}:kcbr0`]);
    expect(row?.why).toContain('joined by you');
    expect(row?.why.some((w) => w.includes('holds a DHCP lease from kvmchaos-lab'))).toBe(true);
  });

  it('an engine started from the saved file joins the segments by you, and a cut across hosts plans', async () => {
    const engine = await engineFromFile();
    const groups = unwrap(await engine['segments.list']({}));
    expect(groups).toEqual(await savedGroups());
    const invs = await inventories(engine);
    const shared = sharedSegments(invs, resolveGroups(groups, invs));
    expect(shared).toHaveLength(1);
    expect(shared[0]?.hosts).toEqual([h1Id, h2Id]);
    expect(shared[0]?.evidence.map((e) => e.kind).sort()).toEqual(['lease', 'user']);
    const guest = (inv: HostInventory | undefined, name: string) =>
      inv?.guests.find((g) => g.name === name) as Guest;
    const [a, b] = [guest(invs[0], 'lab-node1'), guest(invs[1], 'h2-node1')];
    const plan = unwrap(
      await engine['chaos.apply']({
        partition: { topology: 'groups', groups: [[a.id], [b.id]] },
        dryRun: true,
      }),
    );
    expect(plan.dryRun).toBe(true);
    // One port of the two carries the cut, whichever host it is on.
    expect(plan.plan.portsTouched).toHaveLength(1);
    expect(plan.plan.operations.length).toBeGreaterThan(0);
  });

  it('"not joined" is saved at once and announced to every client, without reconnecting', async () => {
    const engine = engines.at(-1) as Engine;
    const events: ChaosEvent[] = [];
    const stop = engine.subscribe((e) => events.push(e));
    const seg = (await inventories(engine))[1]?.segments.find((s) => s.bridge === 'kcbr0');
    if (!seg) throw new Error("no kcbr0 on host 2's inventory");
    expect(unwrap(await engine['segments.split']({ segment: seg.id }))).toEqual([]);
    stop();
    expect(events.filter((e) => e.type === 'segments.changed')).toEqual([
      { type: 'segments.changed', groups: [] },
    ]);
    expect(events.some((e) => e.type === 'host.state')).toBe(false);
    expect(await savedGroups()).toEqual([]);
    // Split again: nothing of the user's is left to take back; the lease join is not the user's.
    const again = await engine['segments.split']({ segment: seg.id });
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.message).toBe(`${h2Id}:kcbr0 is not joined by you`);
  });
});
