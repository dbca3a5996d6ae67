// Copy as commands that run (issue 15, item 5): the exported virsh script of a cut and of its heal,
// run with bash against the lab after the cut guest was restarted (so every port id in the log is
// stale), does what the engine did: the traffic matrix shows exactly the cut, then everything
// reaches again, and the host's bindings and filters are byte for byte what they were.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactlyCut, fullyConnected, holds, virsh, waitForMatrix } from '../../lab/lab-client';
import { unwrap } from '../../shared/api';
import { waitUntil } from '../libvirt/lab-support';
import { bindingXmls, cutBetween, type LabEngine, labEngine, ourFilters } from './lab-support';

let lab: LabEngine;

function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-s'], { env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
    child.stdin.end(script);
  });
}

const CUT = ['icmp', 'tcp'] as const;
const cutFlows = CUT.flatMap((protocol) => [
  { from: 'lab-node1', to: 'lab-node2', protocol },
  { from: 'lab-node2', to: 'lab-node1', protocol },
]);

beforeAll(async () => {
  lab = await labEngine();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: lab.lab, what: 'a lab' });
  expect(await ourFilters()).toEqual([]);
});

afterAll(async () => {
  await virsh(['start', 'lab-node1']).catch(() => {});
  await virsh(['start', 'lab-node2']).catch(() => {});
  await lab?.engine['hosts.connect']({ hostId: lab.hostId });
  await lab?.engine['chaos.heal']({ all: true });
  await lab?.close();
});

describe('the exported virsh script', () => {
  it('cuts and heals like the engine did, with ports found by guest and MAC after a restart', async () => {
    const [n1, n2] = [await lab.guest('lab-node1'), await lab.guest('lab-node2')];
    const [i1, i2] = [n1.interfaces[0], n2.interfaces[0]];
    if (!i1 || !i2) throw new Error('lab-node1 and lab-node2 need an interface');

    // The engine cuts and heals; the log holds both, with the ports of that moment.
    const applied = unwrap(await lab.engine['chaos.apply']({ cuts: [cutBetween(n1, n2)] }));
    const enforcedOn = applied.plan.portsTouched;
    expect(enforcedOn).toHaveLength(1);
    unwrap(await lab.engine['chaos.heal']({ all: true }));
    const log = unwrap(await lab.engine['activity.list']({ hostId: lab.hostId, limit: 10 }));
    const apply = log.find((e) => e.kind === 'apply' && e.outcome === 'ok');
    const heal = log.find((e) => e.kind === 'heal' && e.outcome === 'ok');
    if (!apply || !heal) throw new Error(`no apply and heal in ${JSON.stringify(log)}`);
    const script = async (id: string) =>
      unwrap(await lab.engine['activity.export']({ format: 'virsh-script', entryIds: [id] }))
        .content;
    const [applyScript, healScript] = [await script(apply.id), await script(heal.id)];
    for (const s of [applyScript, healScript]) {
      expect(s.match(/^export LIBVIRT_DEFAULT_URI=/gm)).toHaveLength(1);
      expect(s).not.toMatch(/known_hosts=|virsh -c /);
      expect(s).not.toMatch(/nwfilter-binding-(create|delete) .*vnet/);
    }
    expect(applyScript).toMatch(/port=\$\(port_of 'lab-node\d' '52:54:00:00:00:\d\d'\)/);
    expect(applyScript).toMatch(/domid=\$\(virsh domid 'lab-node\d'\)/);
    expect(applyScript).toContain(
      `LIBVIRT_DEFAULT_URI="\${KVM_CHAOS_URI_1:-qemu+ssh://root@127.0.0.1:2222/system?keyfile=`,
    );

    // The guest whose port enforced the cut comes back with another tap.
    const enforcer = enforcedOn[0] === i1.portdev ? 'lab-node1' : 'lab-node2';
    const other = enforcer === 'lab-node1' ? 'lab-node2' : 'lab-node1';
    const tapBefore = enforcedOn[0];
    // Another guest starts first, so the freed vnet number goes to it, not back to the same guest.
    await virsh(['destroy', enforcer]);
    await virsh(['destroy', other]);
    await virsh(['start', other]);
    await virsh(['start', enforcer]);
    await waitForMatrix(fullyConnected, {
      timeoutMs: 90_000,
      state: lab.lab,
      what: 'the restarted guests back',
    });
    const tapAfter = (await virsh(['domiflist', enforcer])).stdout.match(/\bvnet\d+\b/)?.[0];
    expect(tapAfter).toBeDefined();
    expect(tapAfter).not.toBe(tapBefore);
    const before = await bindingXmls();
    expect(await ourFilters()).toEqual([]);

    // No instance keeps the host's promises meanwhile (it would finish the script's cut itself).
    unwrap(await lab.engine['hosts.disconnect']({ hostId: lab.hostId }));
    // Through the lab's wrapper, as lab.json says virsh must reach it.
    const env = { KVM_CHAOS_URI_1: lab.lab.virshUri };
    const t0 = Date.now();
    const cut = await bash(applyScript, env);
    expect(cut.out).toMatch(/created|defined/i);
    expect(cut.code, cut.out).toBe(0);
    await waitForMatrix((m) => holds(m, exactlyCut(lab.lab, CUT, cutFlows)), {
      timeoutMs: 30_000,
      state: lab.lab,
      what: 'the script cut lab-node1 from lab-node2',
    });
    expect([...(await bindingXmls()).keys()]).toEqual([tapAfter]);
    const healed = await bash(healScript, env);
    expect(healed.code, healed.out).toBe(0);
    await waitForMatrix(fullyConnected, {
      timeoutMs: 30_000,
      state: lab.lab,
      what: 'the script healed everything',
    });
    console.log(
      `virsh script: cut ${enforcer} (${tapBefore} in the log, ${tapAfter} now) and healed in ${((Date.now() - t0) / 1000).toFixed(1)} s with bash`,
    );
    expect(await bindingXmls()).toEqual(before);
    await waitUntil('no filter of ours left', async () => (await ourFilters()).length === 0);
  });
});
