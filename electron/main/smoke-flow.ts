// Test support: the desktop smoke flow (connect to the lab, cut one link, heal it), run through
// any `invoke` of the contract: window.kvmChaos inside the real Electron (e2e/electron.e2e.test.ts)
// or the preload bridge over a stand-in IPC with the real engine (ipc.lab.test.ts). Each cut is
// judged by the lab's traffic matrix, never by what the app says.
import {
  exactlyCut,
  fullyConnected,
  holds,
  type LabState,
  type Protocol,
  waitForMatrix,
} from '../../lab/lab-client';
import type { HostInventory, HostSummary, Invoke } from '../../shared/api';

const PROTOCOLS: readonly Protocol[] = ['icmp', 'udp', 'tcp'];

async function call<T>(invoke: Invoke, name: Parameters<Invoke>[0], params: unknown): Promise<T> {
  const answer = await invoke(name, params);
  if (!answer.ok) throw new Error(`${name}: ${answer.error.code}: ${answer.error.message}`);
  return answer.value as T;
}

/** Adds and connects the lab; the lab's host key must already be in the app's known_hosts. */
export async function connectLab(invoke: Invoke, lab: LabState): Promise<HostSummary> {
  const host = await call<HostSummary>(invoke, 'hosts.add', {
    uri: `ssh://${lab.ssh.user}@${lab.ssh.host}:${lab.ssh.port}`,
    auth: { method: 'key', keyPath: lab.ssh.key },
    label: 'lab',
  });
  return call<HostSummary>(invoke, 'hosts.connect', { hostId: host.id });
}

/** Cuts lab-node1 from lab-node2 (both ways, all traffic), checks the matrix, heals, checks. */
export async function cutAndHealOneLink(
  invoke: Invoke,
  lab: LabState,
  host: HostSummary,
): Promise<{ cutIds: string[] }> {
  const inventory = await call<HostInventory>(invoke, 'inventory.get', { hostId: host.id });
  const end = (name: string) => {
    const guest = inventory.guests.find((g) => g.name === name);
    const mac = guest?.interfaces[0]?.mac;
    if (!guest || !mac) throw new Error(`${name} is not in the inventory`);
    return { guestId: guest.id, mac };
  };
  const [a, b] = ['lab-node1', 'lab-node2'];
  const applied = await call<{ cutIds: string[] }>(invoke, 'chaos.apply', {
    cuts: [{ from: end(a), to: end(b), direction: 'both', scope: { kind: 'all' } }],
  });
  try {
    const cut = PROTOCOLS.flatMap((protocol) => [
      { from: a, to: b, protocol },
      { from: b, to: a, protocol },
    ]);
    await waitForMatrix((m) => holds(m, exactlyCut(lab, PROTOCOLS, cut)), {
      state: lab,
      what: `${a} and ${b} cut from each other, every other flow intact`,
    });
  } finally {
    await call(invoke, 'chaos.heal', { cutIds: applied.cutIds });
  }
  await waitForMatrix(fullyConnected, { state: lab, what: 'every flow back after heal' });
  return applied;
}
