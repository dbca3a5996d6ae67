// Test support for suites that drive the engine against the lab: an engine connected to the
// lab's libvirtd through its real sshd, and the host's bindings read with virsh (an independent
// witness: not our RPC client) for byte-for-byte comparisons.

import { type ChildProcess, spawn } from 'node:child_process';
import { type LabHostState, type LabState, readLabState, virsh } from '../../lab/lab-client';
import {
  type CutEnd,
  type CutRequest,
  type Guest,
  HostId,
  type HostInventory,
  unwrap,
} from '../../shared/api';
import { waitUntil } from '../libvirt/lab-support';
import { createEngine } from './engine';
import { memoryProfiles } from './profiles';
import type { Engine } from './types';

export interface LabEngine {
  engine: Engine;
  hostId: HostId;
  lab: LabState;
  inventory(): Promise<HostInventory>;
  guest(name: string): Promise<Guest>;
  close(): Promise<void>;
}

export async function labEngine(): Promise<LabEngine> {
  const lab = await readLabState();
  const engine = await createEngine({
    profiles: memoryProfiles(),
    knownHostsPath: lab.ssh.knownHosts,
    bindingPollMs: 1000,
    // Like the app: it heals expired cuts and puts back cuts of restarted guests.
    face: 'test',
    keepPromises: true,
  });
  const added = unwrap(
    await engine['hosts.add']({
      uri: `ssh://${lab.ssh.user}@${lab.ssh.host}:${lab.ssh.port}`,
      auth: { method: 'key', keyPath: lab.ssh.key },
      label: 'lab',
    }),
  );
  unwrap(await engine['hosts.connect']({ hostId: added.id }));
  const inventory = async () => unwrap(await engine['inventory.get']({ hostId: added.id }));
  return {
    engine,
    hostId: HostId.parse(added.id),
    lab,
    inventory,
    async guest(name) {
      const g = (await inventory()).guests.find((x) => x.name === name);
      if (!g) throw new Error(`no guest ${name} in the inventory`);
      return g;
    },
    close: () => engine.close(),
  };
}

/** An engine on some hosts of a lab of several (`lab up --hosts N`), each through its own sshd. */
export interface LabHostsEngine {
  engine: Engine;
  /** The engine's host id of each lab host (h1, h2...), as connected so far. */
  ids: Map<string, HostId>;
  /** Adds and connects one more lab host, labelled by its lab id. */
  connect(h: LabHostState): Promise<HostId>;
  inventory(labHost: string): Promise<HostInventory>;
}

export async function labHostsEngine(
  lab: LabState,
  hosts: readonly LabHostState[],
  o: { bindingPollMs?: number } = {},
): Promise<LabHostsEngine> {
  const engine = await createEngine({
    profiles: memoryProfiles(),
    knownHostsPath: lab.ssh.knownHosts,
    face: 'test',
    ...(o.bindingPollMs ? { bindingPollMs: o.bindingPollMs } : {}),
  });
  const ids = new Map<string, HostId>();
  const connect = async (h: LabHostState) => {
    const added = unwrap(
      await engine['hosts.add']({
        uri: `ssh://${h.ssh.user}@${h.ssh.host}:${h.ssh.port}`,
        auth: { method: 'key', keyPath: h.ssh.key },
        label: h.id,
      }),
    );
    unwrap(await engine['hosts.connect']({ hostId: added.id }));
    const id = HostId.parse(added.id);
    ids.set(h.id, id);
    return id;
  };
  for (const h of hosts) await connect(h);
  const inventory = async (labHost: string) => {
    const id = ids.get(labHost);
    if (!id) throw new Error(`lab host ${labHost} is not connected`);
    return unwrap(await engine['inventory.get']({ hostId: id }));
  };
  return { engine, ids, connect, inventory };
}

/** A guest's first interface as a cut's end (the lab's guests have one each). */
function firstInterface(g: Guest): CutEnd {
  const i = g.interfaces[0];
  if (!i) throw new Error(`${g.name} has no interface to cut`);
  return { guestId: g.id, mac: i.mac };
}

/** The cut between two guests' first interfaces: both ways, every frame, unless told otherwise. */
export function cutBetween(
  a: Guest,
  b: Guest,
  how: Partial<Pick<CutRequest, 'direction' | 'scope'>> = {},
): CutRequest {
  return {
    from: firstInterface(a),
    to: firstInterface(b),
    direction: how.direction ?? 'both',
    scope: how.scope ?? { kind: 'all' },
  };
}

/** Every binding on the host as virsh prints it, by port. */
export async function bindingXmls(): Promise<Map<string, string>> {
  const { stdout } = await virsh(['nwfilter-binding-list']);
  const ports = stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((p): p is string => !!p && p.startsWith('vnet'));
  const out = new Map<string, string>();
  for (const p of ports) out.set(p, (await virsh(['nwfilter-binding-dumpxml', p])).stdout);
  return out;
}

/** Names of the nwfilters whose name starts with our prefix. */
export async function ourFilters(): Promise<string[]> {
  const { stdout } = await virsh(['nwfilter-list']);
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[1])
    .filter((n): n is string => !!n && n.startsWith('kvm-chaos-'))
    .sort();
}

/** One frame tcpdump saw: when (epoch ms), and its Ethernet addresses. */
export interface Frame {
  t: number;
  src: string;
  dst: string;
}

/**
 * tcpdump on one tap (run in the lab's namespace), one line per frame: `<epoch> <src> > <dst>, ...`
 * (-tt -e). Direction as the host sees the tap: in = frames from the guest, out = frames to it
 * (frames our rules drop on the way to the guest never reach it).
 */
export interface Capture {
  stop(): Promise<Frame[]>;
}

export async function capture(
  iface: string,
  filter: string,
  direction: 'in' | 'out',
): Promise<Capture> {
  const child: ChildProcess = spawn(
    'tcpdump',
    [
      '-i',
      iface,
      '-Q',
      direction,
      '-nn',
      '-e',
      '-tt',
      '-l',
      '--immediate-mode',
      ...(filter ? [filter] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const frames: Frame[] = [];
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
    const lines = out.split('\n');
    out = lines.pop() ?? '';
    for (const l of lines) {
      const m = /^(\d+\.\d+) (\S+) > (\S+),/.exec(l);
      if (m) frames.push({ t: Number(m[1]) * 1000, src: m[2] as string, dst: m[3] as string });
    }
  });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  await waitUntil(`tcpdump listening on ${iface}`, () => err.includes('listening on'), 10_000);
  return {
    stop: () =>
      new Promise((resolve) => {
        child.once('close', () => resolve(frames));
        if (child.pid) process.kill(child.pid, 'SIGINT');
      }),
  };
}
