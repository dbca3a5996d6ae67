// The reference behaviour every later layer must reproduce: a plain nwfilter binding made with
// virsh on lab-node1's port, dropping UDP from lab-node2's MAC, cuts exactly UDP 2 -> 1.
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exactlyCut,
  fullyConnected,
  holds,
  type LabState,
  readLabState,
  virsh,
  waitForMatrix,
} from './lab-client';

const FILTER = 'kvm-chaos-labtest-seed-udp';
let state: LabState;
let port: string;
const dir = join(tmpdir(), `kvm-chaos-seed-${process.pid}`);

async function defineFile(cmd: string[], name: string, text: string) {
  const file = join(tmpdir(), `${name}-${process.pid}.xml`);
  await writeFile(file, text);
  try {
    return await virsh([...cmd, file]);
  } finally {
    await rm(file, { force: true });
  }
}

async function portOf(guest: string): Promise<string> {
  const { stdout } = await virsh(['domiflist', guest]);
  const dev = stdout.trim().split(/\s+/)[0];
  if (!dev?.startsWith('vnet')) throw new Error(`no vnet for ${guest}: ${stdout}`);
  return dev;
}

async function cleanup() {
  await virsh(['nwfilter-binding-delete', port]).catch(() => undefined);
  await virsh(['nwfilter-undefine', FILTER]).catch(() => undefined);
}

beforeAll(async () => {
  state = await readLabState();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, what: 'a fully connected lab' });
  port = await portOf('lab-node1');
  await cleanup();
});
afterAll(async () => {
  await cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('the seed scenario through virsh', () => {
  it('drops UDP from node2 to node1 only, and heals when the binding is deleted', async () => {
    const [n1, n2] = state.guests as [LabState['guests'][0], LabState['guests'][0]];
    const uuid = (await virsh(['domuuid', n1.name])).stdout.trim();
    await defineFile(
      ['nwfilter-define'],
      'filter',
      `<filter name='${FILTER}' chain='root'>
  <rule action='drop' direction='in' priority='-700'>
    <ip srcmacaddr='$PEER_MAC' protocol='udp'/>
  </rule>
</filter>`,
    );
    await defineFile(
      ['nwfilter-binding-create'],
      'binding',
      `<filterbinding>
  <owner><name>${n1.name}</name><uuid>${uuid}</uuid></owner>
  <portdev name='${port}'/>
  <mac address='${n1.mac}'/>
  <filterref filter='${FILTER}'><parameter name='PEER_MAC' value='${n2.mac}'/></filterref>
</filterbinding>`,
    );
    const bindings = (await virsh(['nwfilter-binding-list'])).stdout;
    expect(bindings).toContain(port);

    const cut = exactlyCut(
      state,
      ['icmp', 'tcp', 'udp'],
      [{ from: n2.name, to: n1.name, protocol: 'udp' }],
    );
    const dropped = await waitForMatrix((m) => holds(m, cut), {
      timeoutMs: 15_000,
      what: 'UDP 2->1 cut, everything else flowing',
    });
    console.log(
      `seed: UDP 2->1 seen dropped ${(dropped.elapsedMs / 1000).toFixed(2)} s after create`,
    );

    await virsh(['nwfilter-binding-delete', port]);
    const healed = await waitForMatrix(fullyConnected, {
      timeoutMs: 15_000,
      what: 'UDP 2->1 back',
    });
    console.log(`seed: all flows back ${(healed.elapsedMs / 1000).toFixed(2)} s after delete`);
    expect((await virsh(['nwfilter-binding-list'])).stdout).not.toContain(port);
  });
});
