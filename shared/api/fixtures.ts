import { type CallName, callNames } from './calls';
import type { ChaosApi, ChaosEventListener } from './chaos-api';
import type { ChaosEvent } from './events';
import type {
  ActiveCut,
  Binding,
  Guest,
  HostInventory,
  HostSummary,
  Preset,
  Segment,
} from './model';
import { ok, type Result } from './result';
import { ApplyId, CutId, guestId, HostId, segmentId } from './values';

// Test fixtures: contract-valid payloads shaped like the lab (lab-node1..N on kvmchaos-lab,
// bridge kcbr0, MAC 52:54:00:00:00:NN, IP 192.168.77.(10+N)). For unit tests of the UI, the
// server and the schemas; nothing outside tests imports this.

export const LAB_HOST = HostId.parse('lab');
export const LAB_SEGMENT = segmentId(LAB_HOST, 'network', 'kvmchaos-lab');

export const labHost: HostSummary = {
  id: LAB_HOST,
  uri: 'ssh://root@127.0.0.1:2222',
  label: 'lab',
  auth: { method: 'agent' },
  status: { hostId: LAB_HOST, state: 'connected', since: 0 },
};

export function labUuid(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** The lab's MAC for node 1..9 (node2 = 52:54:00:00:00:22); larger fixtures count in hex. */
export function labMac(n: number): string {
  if (n >= 1 && n <= 9) return `52:54:00:00:00:${n}${n}`;
  const hex = (b: number) => b.toString(16).padStart(2, '0');
  return `52:54:00:01:${hex((n >> 8) & 255)}:${hex(n & 255)}`;
}

export function labGuest(n: number, overrides: Partial<Guest> = {}): Guest {
  return {
    id: guestId(LAB_HOST, labUuid(n)),
    hostId: LAB_HOST,
    uuid: labUuid(n),
    name: `lab-node${n}`,
    state: 'running',
    interfaces: [
      {
        mac: labMac(n),
        type: 'network',
        segmentId: LAB_SEGMENT,
        portdev: `vnet${n - 1}`,
        model: 'virtio',
        uncuttable: null,
        ips: [{ family: 'ipv4', address: labIp(n), source: 'dhcp-host' }],
        protection: { kind: 'none' },
        binding: null,
      },
    ],
    labels: {},
    ...overrides,
  };
}

/** The lab's address for node N: 192.168.77.(10+N); larger fixtures spill into 10.77.0.0/16. */
export function labIp(n: number): string {
  return n <= 200 ? `192.168.77.${10 + n}` : `10.77.${(n >> 8) & 255}.${n & 255}`;
}

export const labSegment: Segment = {
  id: LAB_SEGMENT,
  hostId: LAB_HOST,
  kind: 'network',
  name: 'kvmchaos-lab',
  bridge: 'kcbr0',
  cidrs: ['192.168.77.0/24'],
  active: true,
};

export function labBinding(n: number, filter = 'clean-traffic'): Binding {
  return {
    portdev: `vnet${n - 1}`,
    ownerName: `lab-node${n}`,
    ownerUuid: labUuid(n),
    guestId: guestId(LAB_HOST, labUuid(n)),
    mac: labMac(n),
    filter,
    parameters: [{ name: 'IP', value: labIp(n) }],
    class: filter.startsWith('kvm-chaos') ? 'ours' : 'protection',
    xml: `<filterbinding>\n  <owner>\n    <name>lab-node${n}</name>\n    <uuid>${labUuid(n)}</uuid>\n  </owner>\n  <portdev name='vnet${n - 1}'/>\n  <mac address='${labMac(n)}'/>\n  <filterref filter='${filter}'>\n    <parameter name='IP' value='${labIp(n)}'/>\n  </filterref>\n</filterbinding>\n`,
  };
}

export function labCut(from: number, to: number, overrides: Partial<ActiveCut> = {}): ActiveCut {
  return {
    id: CutId.parse(`cut:lab:${labMac(from)}>${labMac(to)}`),
    hostId: LAB_HOST,
    segmentId: LAB_SEGMENT,
    from: { guestId: guestId(LAB_HOST, labUuid(from)), mac: labMac(from) },
    to: { guestId: guestId(LAB_HOST, labUuid(to)), mac: labMac(to) },
    direction: 'both',
    scope: { kind: 'all' },
    state: 'applied',
    expiresAt: null,
    applyId: ApplyId.parse('apply-1'),
    enforcedOn: [`vnet${to - 1}`],
    author: { instance: 'test-instance', user: 'root@lab' },
    createdAt: 1_764_000_000_000,
    runId: null,
    ...overrides,
  };
}

export function labInventory(guests = 3, overrides: Partial<HostInventory> = {}): HostInventory {
  return {
    hostId: LAB_HOST,
    hostname: 'kvmchaos-lab',
    revision: 1,
    readAt: 1_764_000_000_000,
    segments: [labSegment],
    guests: Array.from({ length: guests }, (_, i) => labGuest(i + 1)),
    bindings: [],
    filters: [],
    cuts: [],
    interruptions: [],
    ...overrides,
  };
}

export const cleanTrafficPreset: Preset = {
  id: 'clean-traffic',
  label: 'Clean traffic',
  description: 'Stops MAC, IP and ARP spoofing; the guest may only use its own addresses.',
  filter: 'clean-traffic',
  isDefault: true,
  parameters: [
    {
      name: 'IP',
      label: 'IP address',
      kind: 'ip',
      required: true,
      multiple: true,
      description: 'Pinned explicitly rather than learnt from DHCP.',
    },
  ],
};

/**
 * A test double of the engine at the contract's seam, for tests of what sits on either side
 * (the server, the renderer's store): answers each call from `answers` (ok(null) otherwise),
 * records what reached it, can hold a call open until released, and emits events on demand.
 */
export function engineTestDouble(answers: EngineAnswers = {}) {
  const calls: Array<{ name: CallName; params: unknown }> = [];
  const listeners = new Set<ChaosEventListener>();
  const holding = new Set<CallName>();
  const held = new Map<CallName, () => void>();
  const api: Record<string, unknown> = {
    subscribe: (listener: ChaosEventListener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  for (const name of callNames) {
    api[name] = async (params: unknown): Promise<Result<unknown>> => {
      calls.push({ name, params });
      if (holding.has(name)) await new Promise<void>((resolve) => held.set(name, resolve));
      const answer = answers[name];
      if (answer === undefined) return ok(null);
      return answer(params);
    };
  }
  return {
    api: api as unknown as ChaosApi,
    calls,
    listeners,
    /** Sends anything, even what the contract forbids (the server must filter it). */
    emit(event: unknown) {
      for (const listener of listeners) listener(event as ChaosEvent);
    },
    hold(name: CallName) {
      holding.add(name);
    },
    release(name: CallName) {
      holding.delete(name);
      held.get(name)?.();
    },
  };
}

export type EngineAnswers = Partial<Record<CallName, (params: unknown) => Result<unknown>>>;
export type EngineTestDouble = ReturnType<typeof engineTestDouble>;
