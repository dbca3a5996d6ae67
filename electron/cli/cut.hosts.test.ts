// `kvm-chaos -c h1 -c h2 cut A B` between a guest of each lab host: the two hosts' bridges are one
// L2 segment (a DHCP lease joins them, as chaos.apply and partition join them), so the CLI finds
// the pair of interfaces, the cut drops exactly the flows between the two guests in the lab's
// probe matrix, and `heal --all` over both -c leaves each host's bindings byte-identical (virsh
// over each host's own sshd, lab/hosts-support.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKvmChaos } from '../../lab/cli-process';
import {
  bindingsOfEveryHost,
  expectHostsAsBefore,
  flowsBetween,
  hostsChangedSince,
  waitAllFlowing,
  waitExactlyCut,
} from '../../lab/hosts-support';
import { type LabState, type Protocol, readLabState } from '../../lab/lab-client';

const P: readonly Protocol[] = ['icmp', 'tcp'];
let lab: LabState;
let dir: string;
let original: Map<string, Map<string, string>>;

/** The CLI with one -c per lab host and a config folder of its own (no joins saved by anyone). */
const onBothHosts = (args: readonly string[]) =>
  startKvmChaos(args, {
    connect: lab.hosts.map((h) => h.sshUri),
    env: { ...process.env, KVM_CHAOS_CONFIG: dir },
  }).exited;

const expectAsBefore = (what: string) => expectHostsAsBefore(lab, original, what);

beforeAll(async () => {
  lab = await readLabState();
  expect(lab.hosts.map((h) => h.id)).toEqual(['h1', 'h2']);
  dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-cut-hosts-'));
  original = await bindingsOfEveryHost(lab);
  await waitAllFlowing(lab, 'a fully connected lab', 60_000);
});
afterAll(async () => {
  if (lab) await onBothHosts(['heal', '--all']);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kvm-chaos cut over two hosts', () => {
  it('cuts a guest of host 1 from a guest of host 2 on their joined segment, and heals it exactly', async () => {
    await expectAsBefore('before the cut');
    const cut = await onBothHosts(['cut', 'lab-node1', 'h2-node1']);
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.stderr).not.toContain('share no segment');
    // One both-way cut, held on one host: the other host's bindings are as before.
    expect(await hostsChangedSince(lab, original)).toHaveLength(1);
    const seen = await waitExactlyCut(
      lab,
      P,
      flowsBetween(['lab-node1'], ['h2-node1'], P),
      'lab-node1 cut from h2-node1',
    );
    console.log(
      `cut.hosts: the cut seen ${(seen.elapsedMs / 1000).toFixed(2)} s after the CLI returned`,
    );
    const heal = await onBothHosts(['heal', '--all']);
    expect(heal.code, heal.stderr).toBe(0);
    await expectAsBefore('after heal --all');
    await waitAllFlowing(lab, 'healed');
  });
});
