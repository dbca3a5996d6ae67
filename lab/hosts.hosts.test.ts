// The 2-host lab itself (`lab up --hosts 2`), proven with nothing of ours in the path: each
// libvirtd answers over its own sshd with its own host key, every guest reaches every guest of
// the other host, and a plain nwfilter binding made with virsh on host 2 cuts exactly one
// cross-host pair (its rules only in host 2's namespace) until it is deleted.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowsBetween, virshAt, waitAllFlowing, waitExactlyCut } from './hosts-support';
import { startLibvirtdOf, stopLibvirtdOf } from './lab';
import {
  allGuests,
  flow,
  type LabGuestState,
  type LabHostState,
  type LabState,
  type Protocol,
  readLabState,
} from './lab-client';
import { run } from './run';

const FILTER = 'kvm-chaos-labtest-hosts-drop';
const PROTOCOLS: readonly Protocol[] = ['icmp', 'tcp', 'udp'];
let state: LabState;
let h1: LabHostState;
let h2: LabHostState;
let port = '';
let dir = '';

async function defineAt(host: LabHostState, cmd: string, text: string) {
  const file = join(dir, `${cmd}.xml`);
  await writeFile(file, text);
  return virshAt(host, [cmd, file]);
}

/** OpenSSH's SHA256 fingerprint of a key line's base64 blob. */
const fingerprint = (blob: string) =>
  `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;

/** The key the sshd at host:port really serves, and the one our known_hosts pins for it. */
async function keys(host: LabHostState): Promise<{ served: string; pinned: string }> {
  const scan = await run('ssh-keyscan', [
    '-t',
    'ed25519',
    '-p',
    String(host.ssh.port),
    host.ssh.host,
  ]);
  const served = scan.stdout.trim().split(/\s+/)[2] ?? '';
  const known = await readFile(host.ssh.knownHosts, 'utf8');
  const line = known.split('\n').find((l) => l.startsWith(`[${host.ssh.host}]:${host.ssh.port} `));
  return { served, pinned: line?.split(/\s+/)[2] ?? '' };
}

const guest = (name: string): LabGuestState => {
  const g = allGuests(state).find((x) => x.name === name);
  if (!g) throw new Error(`no guest ${name} in lab.json`);
  return g;
};

async function cleanup() {
  if (port) await virshAt(h2, ['nwfilter-binding-delete', port]).catch(() => undefined);
  await virshAt(h2, ['nwfilter-undefine', FILTER]).catch(() => undefined);
}

beforeAll(async () => {
  state = await readLabState();
  [h1, h2] = state.hosts as [LabHostState, LabHostState];
  dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-hosts-'));
  await waitAllFlowing(state, 'every guest of both hosts reaching every other', 60_000);
  const { stdout } = await virshAt(h2, ['domiflist', 'h2-node1']);
  port = stdout.trim().split(/\s+/)[0] ?? '';
  await cleanup();
});
afterAll(async () => {
  await cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('a lab of two libvirt hosts', () => {
  it('lists two hosts, host 1 being the top-level lab', () => {
    expect(state.hosts.map((h) => h.id)).toEqual(['h1', 'h2']);
    expect(h1.sshUri).toBe(state.sshUri);
    expect(h1.guests).toEqual(state.guests);
    expect(h1.namespace).not.toBe(h2.namespace);
    expect(h2.guests.map((g) => g.name)).toEqual(
      h1.guests.map((g) => g.name.replace('lab-node', 'h2-node')),
    );
  });

  it('each libvirtd answers over its own sshd, with its own host key and only its own guests', async () => {
    const k1 = await keys(h1);
    const k2 = await keys(h2);
    expect(k1.served).toBe(k1.pinned);
    expect(k2.served).toBe(k2.pinned);
    expect(fingerprint(k1.served)).not.toBe(fingerprint(k2.served));

    const names = async (h: LabHostState) =>
      (await virshAt(h, ['list', '--all', '--name'])).stdout
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean)
        .sort();
    expect(await names(h1)).toEqual(expect.arrayContaining(h1.guests.map((g) => g.name)));
    expect((await names(h1)).some((n) => n.startsWith('h2-'))).toBe(false);
    expect(await names(h2)).toEqual(h2.guests.map((g) => g.name).sort());
    const hostname = async (h: LabHostState) => (await virshAt(h, ['hostname'])).stdout.trim();
    expect(await hostname(h2)).toBe('kvm-chaos-lab-h2');
    expect(await hostname(h1)).not.toBe(await hostname(h2));
  });

  it("h2's libvirtd stops and starts on its own: host 1 answers throughout, h2's guests keep running", async () => {
    await stopLibvirtdOf('h2');
    try {
      await expect(virshAt(h2, ['list', '--name'])).rejects.toThrow();
      expect((await virshAt(h1, ['list', '--name'])).stdout).toContain('lab-node1');
    } finally {
      await startLibvirtdOf('h2');
    }
    expect(
      (await virshAt(h2, ['list', '--name'])).stdout.split('\n').filter(Boolean).sort(),
    ).toEqual(h2.guests.map((g) => g.name).sort());
  });

  it('every guest reaches every guest of the other host over icmp, tcp and udp', async () => {
    const { matrix } = await waitAllFlowing(state, 'a fully connected 2-host lab');
    let pairs = 0;
    for (const a of h1.guests)
      for (const b of h2.guests)
        for (const [from, to] of [
          [a, b],
          [b, a],
        ] as const)
          for (const p of PROTOCOLS) {
            expect(
              flow(matrix, from.name, to.name, p).ok,
              `${from.name} -> ${to.name} ${p}`,
            ).toBeGreaterThan(0);
            pairs++;
          }
    expect(pairs).toBe(h1.guests.length * h2.guests.length * 2 * PROTOCOLS.length);
  });

  it("a drop filter bound with virsh on an h2 guest's port cuts exactly that cross-host pair, in h2's namespace only; deleting it heals", async () => {
    const a = guest('lab-node1');
    const b = guest('h2-node1');
    expect(port).toMatch(/^vnet\d+$/);
    await defineAt(
      h2,
      'nwfilter-define',
      `<filter name='${FILTER}' chain='root'>
  <rule action='drop' direction='in' priority='-700'><mac srcmacaddr='$PEER_MAC'/></rule>
  <rule action='drop' direction='out' priority='-700'><mac dstmacaddr='$PEER_MAC'/></rule>
</filter>`,
    );
    // Legacy ebtables prints MACs without leading zeros (52:54:0:0:0:11), ebtables-nft in full.
    const short = a.mac
      .split(':')
      .map((x) => Number.parseInt(x, 16).toString(16))
      .join(':');
    const rules = async (ns: string) =>
      (await run('ip', ['netns', 'exec', ns, 'ebtables', '-t', 'nat', '-L'])).stdout.toLowerCase();
    const namesA = (text: string) => text.includes(a.mac) || text.includes(` ${short} `);
    const h1Before = await rules(h1.namespace);
    expect(namesA(await rules(h2.namespace))).toBe(false);
    const uuid = (await virshAt(h2, ['domuuid', b.name])).stdout.trim();
    await defineAt(
      h2,
      'nwfilter-binding-create',
      `<filterbinding>
  <owner><name>${b.name}</name><uuid>${uuid}</uuid></owner>
  <portdev name='${port}'/>
  <mac address='${b.mac}'/>
  <filterref filter='${FILTER}'><parameter name='PEER_MAC' value='${a.mac}'/></filterref>
</filterbinding>`,
    );

    const dropped = await waitExactlyCut(
      state,
      PROTOCOLS,
      flowsBetween([a.name], [b.name], PROTOCOLS),
      'lab-node1 <-> h2-node1 cut, every other pair flowing',
      20_000,
    );
    console.log(
      `hosts: cross-host pair seen cut ${(dropped.elapsedMs / 1000).toFixed(2)} s after create`,
    );

    // The rules are h2's: its namespace's ebtables now name host 1's guest; host 1's are as before.
    expect(namesA(await rules(h2.namespace))).toBe(true);
    expect(await rules(h1.namespace)).toBe(h1Before);

    await virshAt(h2, ['nwfilter-binding-delete', port]);
    const healed = await waitAllFlowing(state, 'the pair back', 20_000);
    console.log(`hosts: all flows back ${(healed.elapsedMs / 1000).toFixed(2)} s after delete`);
    expect((await virshAt(h2, ['nwfilter-binding-list'])).stdout).not.toContain(port);
  });
});
