// Reconnection logic over in-memory peers (the real libvirtd restart is in the lab suite).
import { afterEach, describe, expect, it } from 'vitest';
import { type ConnectionState, connect, type Dialer, type LibvirtConnection } from './connection';
import { RpcError, TransportError } from './errors';
import { MessageType } from './framing';
import { MemoryPeer, memoryDuplexPair, NO_REPLY } from './memory-transport';
import { procedures } from './procedures';
import { REMOTE_PROGRAM } from './protocol';

const DOM = { name: 'lab-node1', uuid: 'e3b65745-3b44-431d-8d46-7344a4a5a094', id: 4 };

/** A dialer whose every dial makes a fresh peer; `failNext` makes dials fail instead. */
function testDialer() {
  const peers: MemoryPeer[] = [];
  const failures: Error[] = [];
  let callbackIds = 0;
  const dialer: Dialer = async () => {
    const failure = failures.shift();
    if (failure) throw failure;
    const [ours, theirs] = memoryDuplexPair();
    const peer = new MemoryPeer(theirs);
    peers.push(peer);
    void peer.serve({
      connectGetHostname: () => `host-${peers.length}`,
      connectGetUri: () => NO_REPLY,
      connectDomainEventCallbackRegisterAny: () => ++callbackIds,
      connectDomainEventCallbackDeregisterAny: () => undefined,
      connectClose: () => undefined,
    });
    return ours;
  };
  return { dialer, peers, failures };
}

const opened: LibvirtConnection[] = [];
afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
});

async function open(dialer: Dialer, extra: Parameters<typeof connect>[1] = {}) {
  const states: ConnectionState[] = [];
  const lv = await connect('qemu:///system', {
    dialer,
    keepalive: false,
    reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    onState: (s) => states.push(s),
    ...extra,
  });
  opened.push(lv);
  return { lv, states };
}

const waitFor = async (what: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe('connect() and reconnection', () => {
  it('keeps backing off when every new link drops at once (its first reads fail)', async () => {
    const { dialer, peers } = testDialer();
    const { states } = await open(dialer, {
      reconnect: { initialDelayMs: 5, maxDelayMs: 40, stableAfterMs: 1000 },
    });
    // Each link is dropped as soon as it is up, like a host whose first reads close it.
    const dropNewest = () => peers.at(-1)?.stream.destroy();
    dropNewest();
    const attempts = () => states.flatMap((s) => (s.state === 'reconnecting' ? [s.attempt] : []));
    let seen = 1;
    await waitFor(() => {
      if (peers.length > seen) {
        seen = peers.length;
        dropNewest();
      }
      return attempts().length >= 5;
    });
    expect(attempts().slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    const delays = states.flatMap((s) => (s.state === 'reconnecting' ? [s.delayMs] : []));
    expect(Math.max(...delays)).toBeLessThanOrEqual(40 * 1.2);
  });

  it('says which host did not answer which call, in seconds', async () => {
    const { dialer } = testDialer();
    const { lv } = await open(dialer);
    await expect(lv.connectGetUri({ timeoutMs: 50 })).rejects.toThrow(
      /^libvirtd on this machine \(\/var\/run\/libvirt\/libvirt-sock\) did not answer connectGetUri within 0\.05 s$/,
    );
  });

  it('names the host and the step when libvirtd never answers the opening handshake', async () => {
    const dialer: Dialer = async () => {
      const [ours, theirs] = memoryDuplexPair();
      theirs.resume(); // reads everything, answers nothing: a stopped libvirtd
      return ours;
    };
    const failed = connect('ssh://root@kvm1:2222', {
      dialer,
      keepalive: false,
      openTimeoutMs: 50,
    });
    await expect(failed).rejects.toMatchObject({ code: 'timeout' });
    await expect(failed).rejects.toThrow(
      /libvirtd on root@kvm1:2222 did not answer within 0\.05 s while opening the connection \(authList\)/,
    );
  });

  it('connects, then reports connecting -> connected', async () => {
    const { dialer } = testDialer();
    const { lv, states } = await open(dialer);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'connected']);
    expect(await lv.connectGetHostname()).toBe('host-1');
  });

  it('on a drop: in-flight calls fail at once, new calls fail fast, then it reconnects', async () => {
    const { dialer, peers, failures } = testDialer();
    const { lv, states } = await open(dialer);
    failures.push(new TransportError('connect-failed', 'libvirtd is restarting'));
    const seen: string[] = [];
    await lv.subscribe('domain-lifecycle', (e) => seen.push(`${e.dom.name}:${e.event}`));

    // A call the first peer will never answer: it must fail the moment the link drops.
    const inFlight = lv.connectGetUri();
    await waitFor(() => peers[0]?.frames.at(-1)?.header.proc === procedures.connectGetUri.proc);
    peers[0]?.stream.destroy();
    await expect(inFlight).rejects.toMatchObject({ name: 'RpcError', code: 'disconnected' });
    await expect(lv.connectGetHostname()).rejects.toMatchObject({ code: 'not-connected' });

    await waitFor(() => lv.state.state === 'connected');
    expect(states.map((s) => s.state)).toEqual([
      'connecting',
      'connected',
      'lost',
      'reconnecting', // first retry: the dialer fails once
      'reconnecting',
      'connected',
    ]);
    expect(states.at(-1)).toMatchObject({ reconnected: true });
    expect(await lv.connectGetHostname()).toBe('host-2');

    // The subscription was registered again on the new link, under its new callback id.
    const second = peers[1] as MemoryPeer;
    const reg = second.frames.find(
      (f) => f.header.proc === procedures.connectDomainEventCallbackRegisterAny.proc,
    );
    expect(reg).toBeDefined();
    second.send(
      { prog: REMOTE_PROGRAM, vers: 1, proc: 318, type: MessageType.Message, serial: 1, status: 0 },
      (w) => {
        w.int32(2); // the second registration's callback id
        procedures.domainLookupByName.ret.encode(w, DOM);
        w.int32(2);
        w.int32(0);
      },
    );
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['lab-node1:started']);
  });

  it('stops retrying on an error retrying cannot fix', async () => {
    const { dialer, peers, failures } = testDialer();
    const { lv, states } = await open(dialer);
    failures.push(new TransportError('host-key-changed', 'the host key changed'));
    peers[0]?.stream.destroy();
    await waitFor(() => lv.state.state === 'failed');
    expect(lv.state).toMatchObject({ error: { code: 'host-key-changed' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(peers).toHaveLength(1);
    expect(states.map((s) => s.state)).toEqual([
      'connecting',
      'connected',
      'lost',
      'reconnecting',
      'failed',
    ]);
  });

  it('with reconnect: false a drop ends in failed', async () => {
    const { dialer, peers } = testDialer();
    const { lv } = await open(dialer, { reconnect: false });
    peers[0]?.stream.destroy();
    await waitFor(() => lv.state.state === 'failed');
    expect(peers).toHaveLength(1);
  });

  it('close() sends CONNECT_CLOSE and never reconnects', async () => {
    const { dialer, peers } = testDialer();
    const { lv, states } = await open(dialer);
    await lv.close();
    expect(states.at(-1)?.state).toBe('closed');
    expect(peers[0]?.frames.at(-1)?.header.proc).toBe(procedures.connectClose.proc);
    await new Promise((r) => setTimeout(r, 30));
    expect(peers).toHaveLength(1);
    await expect(lv.connectGetHostname()).rejects.toBeInstanceOf(RpcError);
  });

  it('a first connection that fails rejects connect() with the transport error', async () => {
    const { dialer, failures } = testDialer();
    failures.push(new TransportError('auth-failed', 'no key accepted'));
    const states: ConnectionState[] = [];
    await expect(
      connect('qemu:///system', { dialer, onState: (s) => states.push(s) }),
    ).rejects.toMatchObject({ name: 'TransportError', code: 'auth-failed' });
    expect(states.map((s) => s.state)).toEqual(['connecting', 'failed']);
  });
});
