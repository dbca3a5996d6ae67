// libvirtd stopped and started again in the middle of a session (through the lab's own
// stopLibvirtd/startLibvirt, as `npm run lab -- restart-libvirtd` does), with calls running:
// every call settles (answered, or failed at once with a connection error: none hangs), the
// connection reports lost -> reconnecting -> connected, and its event subscription works again.
import { afterAll, describe, expect, it } from 'vitest';
import { startLibvirt, stopLibvirtd } from '../../lab/host';
import { type LabState, readLabState, virsh } from '../../lab/lab-client';
import {
  type ConnectionState,
  connect,
  type LibvirtConnection,
  type LibvirtEvent,
  RpcError,
} from './index';
import { labTargets, waitUntil } from './lab-support';

const state: LabState = await readLabState();
const node2 = state.guests[1]?.name ?? 'lab-node2';

interface Session {
  name: string;
  lv: LibvirtConnection;
  states: ConnectionState[];
  events: LibvirtEvent[];
  outcomes: PromiseSettledResult<string>[];
}

const sessions: Session[] = [];

afterAll(async () => {
  await startLibvirt();
  if ((await virsh(['domstate', node2])).stdout.trim() === 'paused') await virsh(['resume', node2]);
  for (const s of sessions) await s.lv.close();
});

describe('libvirtd restarted mid-session', () => {
  it('both transports recover, no call hangs, subscriptions come back', async () => {
    for (const { name, uri } of labTargets(state)) {
      const states: ConnectionState[] = [];
      const lv = await connect(uri, {
        onState: (s) => states.push(s),
        reconnect: { initialDelayMs: 200, maxDelayMs: 1_000 },
        keepalive: { intervalMs: 1_000, count: 3 },
      });
      const events: LibvirtEvent[] = [];
      await lv.subscribe('domain-lifecycle', (e) => events.push(e));
      sessions.push({ name, lv, states, events, outcomes: [] });
    }
    const hostname = (await virsh(['hostname'])).stdout.trim();

    // Keep 20 calls in flight on each connection for the whole outage.
    let stop = false;
    const load = sessions.map(async (s) => {
      while (!stop) {
        const batch = Array.from({ length: 20 }, () =>
          s.lv.connectGetHostname({ timeoutMs: 20_000 }),
        );
        s.outcomes.push(...(await Promise.allSettled(batch)));
        await new Promise((r) => setTimeout(r, 10));
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    await stopLibvirtd();
    await waitUntil('both connections to notice', () =>
      sessions.every((s) => s.states.some((x) => x.state === 'lost')),
    );
    await new Promise((r) => setTimeout(r, 1_500)); // reconnect attempts fail meanwhile
    await startLibvirt();
    await waitUntil(
      'both connections back',
      () => sessions.every((s) => s.lv.state.state === 'connected'),
      60_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(load);

    for (const s of sessions) {
      const kinds = s.states.map((x) => x.state);
      expect(kinds.slice(0, 3), s.name).toEqual(['connecting', 'connected', 'lost']);
      expect(kinds, s.name).toContain('reconnecting');
      expect(s.lv.state, s.name).toMatchObject({ state: 'connected', reconnected: true });
      const failedAttempts = s.states.filter((x) => x.state === 'reconnecting').length;
      expect(failedAttempts, `${s.name}: retries while libvirtd was down`).toBeGreaterThan(1);

      const answered = s.outcomes.filter((o) => o.status === 'fulfilled');
      const failed = s.outcomes.filter((o) => o.status === 'rejected');
      expect(answered.length, s.name).toBeGreaterThan(0);
      expect(failed.length, `${s.name}: the outage was felt by calls`).toBeGreaterThan(0);
      for (const o of answered) expect(o.value).toBe(hostname);
      for (const o of failed) {
        expect(o.reason, s.name).toBeInstanceOf(RpcError);
        // A hung call would have ended in 'timeout'.
        expect(['disconnected', 'not-connected'], s.name).toContain((o.reason as RpcError).code);
      }
      expect(await s.lv.connectGetHostname()).toBe(hostname);
    }

    // The event subscriptions were registered again on the new connections.
    await virsh(['suspend', node2]);
    await virsh(['resume', node2]);
    for (const s of sessions) {
      await waitUntil(`${s.name}: suspend/resume events`, () => {
        const seen = s.events.flatMap((e) =>
          e.kind === 'domain-lifecycle' && e.dom.name === node2 ? [e.event] : [],
        );
        return seen.includes('suspended') && seen.includes('resumed');
      });
    }
  });
});
