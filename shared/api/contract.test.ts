import { describe, expect, it } from 'vitest';
import { ApplyRequest, calls, HealRequest } from './calls';
import type { ChaosApi } from './chaos-api';
import { ChaosEvent } from './events';
import {
  engineTestDouble,
  LAB_HOST,
  labCut,
  labGuest,
  labInventory,
  labMac,
  labUuid,
} from './fixtures';
import { CutScope, HostInventory, HostKeyPrompt } from './model';
import { ok, type Result } from './result';
import {
  Cidr,
  GuestId,
  guestId,
  HostId,
  Ipv4,
  Ipv6,
  MacAddress,
  parseGuestId,
  segmentId,
} from './values';
import { createRemoteApi, dispatchCall, type Invoke } from './wire';

describe('ids', () => {
  it('derives a guest id from host and uuid and reads both back, even with a port in the host', () => {
    const host = HostId.parse('root@kvm1:2222');
    const id = guestId(host, labUuid(2).toUpperCase());
    expect(id).toBe(`guest:root@kvm1:2222:${labUuid(2)}`);
    expect(parseGuestId(id)).toEqual({ hostId: host, uuid: labUuid(2) });
  });

  it('refuses guest ids that do not end in a uuid', () => {
    expect(GuestId.safeParse('guest:lab:lab-node1').success).toBe(false);
    expect(GuestId.safeParse(`guest:lab:${labUuid(1)}`).success).toBe(true);
  });

  it('builds segment ids from kind and name', () => {
    expect(segmentId(LAB_HOST, 'bridge', 'br0')).toBe('segment:lab:bridge:br0');
    expect(() => segmentId(LAB_HOST, 'network', 'has space')).toThrow();
  });
});

describe('addresses', () => {
  it('normalises MACs as libvirt writes them and refuses malformed ones', () => {
    expect(MacAddress.parse('52:54:00:AB:CD:EF')).toBe('52:54:00:ab:cd:ef');
    expect(MacAddress.parse('52:54:0:a:b:c')).toBe('52:54:00:0a:0b:0c');
    for (const bad of ['52:54:00:ab:cd', '52-54-00-ab-cd-ef', '52:54:00:ab:cd:eg', '']) {
      expect(MacAddress.safeParse(bad).success, bad).toBe(false);
    }
  });

  it.each([
    ['192.168.77.11', true],
    ['255.255.255.255', true],
    ['256.1.1.1', false],
    ['192.168.77', false],
    ['01.2.3.4', false],
  ])('IPv4 %s -> %s', (text, valid) => {
    expect(Ipv4.safeParse(text).success).toBe(valid);
  });

  it.each([
    ['fe80::1', true],
    ['FE80:0:0:0:0:0:0:1', true],
    ['::', true],
    ['2001:db8:0:0:0:0:2:1', true],
    ['::ffff:192.168.77.11', true],
    ['2001:db8::2::1', false],
    ['2001:db8:0:0:0:0:2', false],
    ['fe80::g', false],
  ])('IPv6 %s -> %s', (text, valid) => {
    expect(Ipv6.safeParse(text).success).toBe(valid);
  });

  it.each([
    ['192.168.77.0/24', true],
    ['10.0.0.0/33', false],
    ['fd00::/64', true],
    ['fd00::/129', false],
    ['192.168.77.0', false],
  ])('CIDR %s -> %s', (text, valid) => {
    expect(Cidr.safeParse(text).success).toBe(valid);
  });
});

describe('requests', () => {
  const cut = {
    from: { guestId: labGuest(2).id, mac: labMac(2) },
    to: { guestId: labGuest(1).id, mac: labMac(1) },
    direction: 'one-way',
    scope: { kind: 'udp' },
  };

  it("accepts the seed's cut: one way, UDP only, node2 -> node1", () => {
    expect(ApplyRequest.parse({ cuts: [cut] })).toEqual({ cuts: [cut] });
  });

  it('refuses a port on an ICMP scope instead of dropping it silently', () => {
    expect(CutScope.safeParse({ kind: 'icmp', port: 53 }).success).toBe(false);
    expect(CutScope.safeParse({ kind: 'udp', port: 53 }).success).toBe(true);
    expect(CutScope.safeParse({ kind: 'udp', port: 70000 }).success).toBe(false);
  });

  it('takes cuts or a partition, never both, and durations within a week', () => {
    const partition = { topology: 'isolate', guestIds: [labGuest(1).id] };
    expect(ApplyRequest.safeParse({ partition, durationSeconds: 10 }).success).toBe(true);
    expect(ApplyRequest.safeParse({ cuts: [cut], partition }).success).toBe(false);
    expect(ApplyRequest.safeParse({ cuts: [] }).success).toBe(false);
    expect(ApplyRequest.safeParse({ partition, durationSeconds: 0 }).success).toBe(false);
    expect(ApplyRequest.safeParse({ partition, durationSeconds: 8 * 24 * 3600 }).success).toBe(
      false,
    );
  });

  it('knows every topology and how many members each needs', () => {
    const ids = [1, 2, 3].map((n) => labGuest(n).id);
    for (const topology of ['halves', 'majority-minority', 'majorities-ring', 'bridge']) {
      expect(ApplyRequest.safeParse({ partition: { topology, guestIds: ids } }).success).toBe(true);
    }
    const two = ids.slice(0, 2);
    expect(
      ApplyRequest.safeParse({ partition: { topology: 'bridge', guestIds: two } }).success,
    ).toBe(false);
    const groups = { topology: 'groups', groups: [[ids[0]], [ids[1], ids[2]]] };
    expect(ApplyRequest.safeParse({ partition: groups }).success).toBe(true);
    expect(ApplyRequest.safeParse({ partition: { topology: 'random' } }).success).toBe(false);
  });

  it('heals by cut ids, guest, host or all, one at a time', () => {
    expect(HealRequest.safeParse({ all: true }).success).toBe(true);
    expect(HealRequest.safeParse({ hostId: 'lab' }).success).toBe(true);
    expect(HealRequest.safeParse({ guestId: labGuest(1).id, dryRun: true }).success).toBe(true);
    expect(HealRequest.safeParse({ cutIds: ['cut:1'] }).success).toBe(true);
    expect(HealRequest.safeParse({ all: false }).success).toBe(false);
    expect(HealRequest.safeParse({ all: true, hostId: 'lab' }).success).toBe(false);
    expect(HealRequest.safeParse({}).success).toBe(false);
  });
});

describe('payloads', () => {
  it('a lab-shaped inventory with a cut, bindings and a full change event is inside the contract', () => {
    const inventory = labInventory(3, { cuts: [labCut(2, 1)] });
    expect(HostInventory.parse(inventory)).toEqual(inventory);
    const event = {
      type: 'inventory.changed',
      hostId: LAB_HOST,
      change: { kind: 'full', inventory },
    };
    expect(ChaosEvent.parse(event)).toEqual(event);
  });

  it('host-key prompts carry an OpenSSH SHA256 fingerprint', () => {
    const prompt = {
      promptId: 'p1',
      hostId: 'lab',
      host: '127.0.0.1',
      port: 2222,
      keyType: 'ssh-ed25519',
      fingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
      knownHostsPath: '/root/.config/kvm-chaos/known_hosts',
    };
    expect(HostKeyPrompt.safeParse(prompt).success).toBe(true);
    expect(HostKeyPrompt.safeParse({ ...prompt, fingerprint: 'MD5:aa:bb' }).success).toBe(false);
  });

  it('every event type in the union is distinct and parses', () => {
    const types = ChaosEvent.options.map((o) => o.shape.type.value);
    expect(new Set(types).size).toBe(types.length);
    expect(types).toContain('apply.progress');
  });
});

describe('dispatchCall (host side)', () => {
  it('passes validated, normalised params to the engine', async () => {
    const guest = labGuest(1);
    const { api, calls: received } = engineTestDouble({
      'protection.clear': () => ok(applyResult()),
    });
    const result = await dispatchCall(api, 'protection.clear', {
      guestId: guest.id,
      mac: '52:54:00:00:00:AA',
    });
    expect(result.ok).toBe(true);
    expect(received).toEqual([
      { name: 'protection.clear', params: { guestId: guest.id, mac: '52:54:00:00:00:aa' } },
    ]);
  });

  it('refuses unknown calls and invalid params before the engine sees them', async () => {
    const { api, calls: received } = engineTestDouble({});
    const unknown = await dispatchCall(api, 'chaos.nuke', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
    const proto = await dispatchCall(api, '__proto__', {});
    expect(proto).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
    const invalid = await dispatchCall(api, 'chaos.apply', { cuts: [{ from: 'x' }] });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    if (!invalid.ok) expect(invalid.error.message).toMatch(/^chaos\.apply: cuts\.0\./);
    expect(received).toEqual([]);
  });

  it('turns an engine that throws, or answers outside the contract, into an internal error', async () => {
    const { api } = engineTestDouble({
      'hosts.list': () => {
        throw new Error('boom');
      },
      'presets.list': () => ok([{ id: 'x' }]),
    });
    expect(await dispatchCall(api, 'hosts.list', {})).toEqual({
      ok: false,
      error: { code: 'internal', message: 'hosts.list threw: boom' },
    });
    const bad = await dispatchCall(api, 'presets.list', {});
    expect(bad).toMatchObject({ ok: false, error: { code: 'internal' } });
    if (!bad.ok) expect(bad.error.message).toContain('outside the contract');
  });

  it('passes engine errors through as data', async () => {
    const error = { code: 'not-connected', message: 'lab is not connected', hint: 'Reconnect it.' };
    const { api } = engineTestDouble({
      'inventory.get': () => ({ ok: false, error }) as Result<unknown>,
    });
    expect(await dispatchCall(api, 'inventory.get', { hostId: 'lab' })).toEqual({
      ok: false,
      error,
    });
  });
});

describe('createRemoteApi (client side)', () => {
  it('exposes every call of the contract and checks the answers', async () => {
    const sent: Array<[string, unknown]> = [];
    const invoke: Invoke = async (name, params) => {
      sent.push([name, params]);
      if (name === 'presets.list') return ok('not a list');
      if (name === 'hosts.list') throw new Error('socket closed');
      return ok([]) as Result<unknown>;
    };
    const api = createRemoteApi(invoke, () => () => {});
    for (const name of Object.keys(calls))
      expect(typeof api[name as keyof ChaosApi]).toBe('function');
    expect(await api['activity.list']({})).toEqual({ ok: true, value: [] });
    expect(await api['presets.list']({})).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(await api['hosts.list']({})).toMatchObject({
      ok: false,
      error: { code: 'transport-closed', message: expect.stringContaining('socket closed') },
    });
    expect(sent.map(([name]) => name)).toEqual(['activity.list', 'presets.list', 'hosts.list']);
  });
});

function applyResult() {
  return {
    applyId: 'apply-1',
    dryRun: false,
    plan: { operations: [], cuts: [], portsTouched: [], unfilteredWindows: [] },
    cutIds: [],
  };
}
