import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type ChaosServer, createServer } from '../../../electron/server/server';
import { ok } from '../../../shared/api';
import { engineTestDouble, LAB_HOST, labInventory } from '../../../shared/api/fixtures';
import type { TransportState } from './transport';
import { createWebSocketTransport, type SocketLike } from './websocket';

// The renderer's transport against the real server on loopback, the engine a test double.

const servers: ChaosServer[] = [];
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  for (const server of servers.splice(0)) await server.close();
});

async function serve(engine: ReturnType<typeof engineTestDouble>, port = 0, token?: string) {
  const server = await createServer({ api: engine.api, staticDir: '/nonexistent', port, token });
  servers.push(server);
  return server;
}

function transportTo(server: ChaosServer) {
  const url = `ws://127.0.0.1:${server.port}/ws?token=${server.token}`;
  const transport = createWebSocketTransport(
    url,
    (u) => new WebSocket(u) as unknown as SocketLike,
    [20, 20],
  );
  closers.push(() => transport.close());
  const states: TransportState[] = [transport.state];
  transport.onState((s) => states.push(s));
  return { transport, states };
}

async function until(probe: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WebSocket transport', () => {
  it('carries calls and events between the page and the engine', async () => {
    const engine = engineTestDouble({ 'inventory.get': () => ok(labInventory(3)) });
    const { transport } = transportTo(await serve(engine));
    await until(() => transport.state === 'open');
    const events: string[] = [];
    transport.api.subscribe((e) => events.push(e.type));
    expect(await transport.api['inventory.get']({ hostId: LAB_HOST })).toEqual({
      ok: true,
      value: labInventory(3),
    });
    engine.emit({ type: 'prompt.closed', promptId: 'p', reason: 'timeout' });
    await until(() => events.length === 1);
    expect(events).toEqual(['prompt.closed']);
  });

  it('answers calls made while disconnected at once, with what to do', async () => {
    const engine = engineTestDouble();
    const server = await serve(engine);
    const { transport } = transportTo(server);
    const early = await transport.api['hosts.list']({});
    expect(early).toMatchObject({ ok: false, error: { code: 'transport-closed' } });
    if (!early.ok) expect(early.error.hint).toContain('kvm-chaos serve');
  });

  it('fails a call in flight when the server goes away, then reconnects when it is back', async () => {
    const engine = engineTestDouble();
    engine.hold('chaos.undo');
    const server = await serve(engine);
    const { transport, states } = transportTo(server);
    await until(() => transport.state === 'open');
    const inFlight = transport.api['chaos.undo']({});
    await until(() => engine.calls.length === 1);
    const { port, token } = server;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'transport-closed' } });
    await serve(engineTestDouble({ 'hosts.list': () => ok([]) }), port, token);
    await until(() => transport.state === 'open');
    expect(await transport.api['hosts.list']({})).toEqual({ ok: true, value: [] });
    // Retries while the server is down may add closed/connecting pairs in between.
    expect(states.slice(0, 3)).toEqual(['connecting', 'open', 'closed']);
    expect(states.at(-1)).toBe('open');
  });
});
