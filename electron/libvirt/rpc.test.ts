// The RPC layer and the open handshake over an in-memory transport: MemoryPeer plays libvirtd's
// side frame by frame to reach the error paths a healthy daemon never produces on demand.
import { afterEach, describe, expect, it } from 'vitest';
import { type LibvirtClient, openClient } from './client';
import { LibvirtError, RpcError } from './errors';
import { type Frame, MessageType } from './framing';
import { MemoryPeer, memoryDuplexPair, procedureName } from './memory-transport';
import { procedures } from './procedures';
import { KEEPALIVE_PROGRAM, REMOTE_PROGRAM } from './protocol';
import { RpcConnection } from './rpc';
import { decode, XdrError } from './xdr';

const open: { client?: LibvirtClient; rpc?: RpcConnection }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) {
    o.client?.rpc.close();
    o.rpc?.close();
  }
});

async function connected(opts: Partial<Parameters<typeof openClient>[1]> = {}) {
  const [ours, theirs] = memoryDuplexPair();
  const peer = new MemoryPeer(theirs);
  const served = peer.serveOpen();
  const client = await openClient(ours, { name: 'qemu:///system', ...opts });
  await served;
  open.push({ client });
  return { client, peer, handshake: peer.frames.length };
}

describe('open handshake', () => {
  it('sends AUTH_LIST, SUPPORTS_FEATURE(keepalive), then exactly one CONNECT_OPEN', async () => {
    const { peer, client } = await connected();
    const procs = peer.frames.map((f) => procedureName(f.header.proc));
    expect(procs).toEqual(['authList', 'connectSupportsFeature', 'connectOpen']);
    const [auth, feature, openFrame] = peer.frames as [Frame, Frame, Frame];
    expect(auth.payload.length).toBe(0);
    expect(decode(procedures.connectSupportsFeature.args, feature.payload)).toBe(10);
    expect(decode(procedures.connectOpen.args, openFrame.payload)).toEqual({
      name: 'qemu:///system',
      flags: 0,
    });
    expect(peer.frames.map((f) => f.header.serial)).toEqual([1, 2, 3]);
    expect(client.isOpen).toBe(true);
  });

  it('runs AUTH_POLKIT when libvirtd offers only polkit', async () => {
    const [ours, theirs] = memoryDuplexPair();
    const peer = new MemoryPeer(theirs);
    const served = peer.serveOpen([2]);
    const client = await openClient(ours, { name: '', readOnly: true, keepalive: false });
    await served;
    open.push({ client });
    expect(peer.frames.map((f) => procedureName(f.header.proc))).toEqual([
      'authList',
      'authPolkit',
      'connectOpen',
    ]);
    const openArgs = decode(procedures.connectOpen.args, (peer.frames[2] as Frame).payload);
    expect(openArgs).toEqual({ name: '', flags: 1 });
  });

  it('refuses SASL-only daemons with auth-unsupported and closes the stream', async () => {
    const [ours, theirs] = memoryDuplexPair();
    const peer = new MemoryPeer(theirs);
    const opening = openClient(ours, { name: 'qemu:///system' });
    peer.reply(await peer.nth(1), procedures.authList.ret, [1]);
    await expect(opening).rejects.toMatchObject({ name: 'RpcError', code: 'auth-unsupported' });
    expect(ours.destroyed).toBe(true);
  });

  it('surfaces a CONNECT_OPEN error as LibvirtError', async () => {
    const [ours, theirs] = memoryDuplexPair();
    const peer = new MemoryPeer(theirs);
    const opening = openClient(ours, { name: 'nope:///', keepalive: false });
    peer.reply(await peer.nth(1), procedures.authList.ret, [0]);
    peer.replyError(await peer.nth(2), 5, 0, 'no connection driver available for nope:///');
    const err = await opening.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toMatchObject({ code: 5, procedure: 'connectOpen' });
  });
});

describe('calls', () => {
  it('matches concurrent replies by serial, in any order', async () => {
    const { client, peer, handshake } = await connected();
    const names = Array.from({ length: 50 }, (_, i) => `dom-${i}`);
    const calls = names.map((n) => client.domainLookupByName(n));
    const frames = await Promise.all(names.map((_, i) => peer.nth(handshake + i + 1)));
    for (const f of [...frames].reverse()) {
      const name = decode(procedures.domainLookupByName.args, f.payload);
      const uuid = `00000000-0000-0000-0000-${String(f.header.serial).padStart(12, '0')}`;
      peer.reply(f, procedures.domainLookupByName.ret, { name, uuid, id: f.header.serial });
    }
    const doms = await Promise.all(calls);
    expect(doms.map((d) => d.name)).toEqual(names);
    expect(new Set(frames.map((f) => f.header.serial)).size).toBe(50);
    expect(client.rpc.pendingCount).toBe(0);
  });

  it('turns an error reply into LibvirtError with code, domain, message and level', async () => {
    const { client, peer, handshake } = await connected();
    const call = client.nwfilterLookupByName('no-such-filter');
    peer.replyError(await peer.nth(handshake + 1), 62, 33, 'Network filter not found');
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toMatchObject({
      code: 62,
      domain: 33,
      level: 2,
      message: 'Network filter not found',
    });
    expect((err as LibvirtError).isNotFound()).toBe(true);
    expect((err as LibvirtError).procedure).toBe('nwfilterLookupByName');
  });

  it('times out one call without harming the others; a late reply is dropped', async () => {
    const { client, peer, handshake } = await connected();
    const slow = client.connectGetHostname({ timeoutMs: 30 });
    const fast = client.connectGetUri();
    const slowFrame = await peer.nth(handshake + 1);
    const fastFrame = await peer.nth(handshake + 2);
    await expect(slow).rejects.toMatchObject({ code: 'timeout' });
    peer.reply(slowFrame, procedures.connectGetHostname.ret, 'late');
    peer.reply(fastFrame, procedures.connectGetUri.ret, 'qemu:///system');
    await expect(fast).resolves.toBe('qemu:///system');
    expect(client.isOpen).toBe(true);
  });

  it('fails every pending call at once when the transport ends', async () => {
    const { client, peer, handshake } = await connected();
    const calls = [client.connectGetHostname(), client.connectListAllDomains({})];
    await peer.nth(handshake + 2);
    peer.stream.destroy();
    const results = await Promise.allSettled(calls);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'disconnected' });
    }
    await expect(client.closed).resolves.toMatchObject({ code: 'disconnected' });
    await expect(client.connectGetHostname()).rejects.toBeInstanceOf(RpcError);
  });

  it('rejects arguments that cannot be encoded without sending anything', async () => {
    const { client, peer, handshake } = await connected();
    await expect(client.connectSupportsFeature(2 ** 40)).rejects.toBeInstanceOf(XdrError);
    await expect(client.domainLookupByUuid('nope')).rejects.toBeInstanceOf(XdrError);
    const uri = client.connectGetUri();
    const f = await peer.nth(handshake + 1);
    expect(procedureName(f.header.proc)).toBe('connectGetUri');
    peer.reply(f, procedures.connectGetUri.ret, 'x');
    await uri;
  });

  it('aborts a call through its signal', async () => {
    const { client } = await connected();
    const ac = new AbortController();
    const call = client.connectGetHostname({ signal: ac.signal });
    ac.abort();
    await expect(call).rejects.toMatchObject({ code: 'aborted' });
  });

  it('closes with a protocol error on a malformed frame', async () => {
    const { client, peer } = await connected();
    const call = client.connectGetHostname();
    peer.stream.write(Buffer.from('SSH-2.0-not-libvirt\r\n'));
    await expect(call).rejects.toMatchObject({ code: 'protocol' });
    expect(client.isOpen).toBe(false);
  });

  it('fails the call, not the connection, on an undecodable reply', async () => {
    const { client, peer, handshake } = await connected();
    const call = client.connectGetHostname();
    peer.send({ ...(await peer.nth(handshake + 1)).header, type: MessageType.Reply }, (w) =>
      w.uint32(99),
    );
    await expect(call).rejects.toBeInstanceOf(XdrError);
    expect(client.isOpen).toBe(true);
  });
});

describe('keepalive', () => {
  it('answers a PING with a PONG (type MESSAGE, serial 0, empty payload)', async () => {
    const { peer, handshake } = await connected();
    peer.send({ prog: KEEPALIVE_PROGRAM, vers: 1, proc: 1, type: 2, serial: 0, status: 0 });
    const pong = await peer.nth(handshake + 1);
    const { prog, proc, type, serial, status } = pong.header;
    expect([prog, proc, type, serial, status]).toEqual([KEEPALIVE_PROGRAM, 2, 2, 0, 0]);
    expect(pong.payload.length).toBe(0);
  });

  it('pings a silent peer and declares it dead after count unanswered pings', async () => {
    const { client, peer, handshake } = await connected({
      keepalive: { intervalMs: 40, count: 2 },
    });
    const pending = client.connectGetHostname({ timeoutMs: 10_000 });
    const started = Date.now();
    const reason = await client.closed;
    expect(reason.code).toBe('dead-peer');
    await expect(pending).rejects.toMatchObject({ code: 'dead-peer' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    const pings = peer.frames.slice(handshake).filter((f) => f.header.prog === KEEPALIVE_PROGRAM);
    expect(pings.length).toBe(2);
    expect(pings.every((f) => f.header.proc === 1)).toBe(true);
  });

  it('a peer that answers stays alive', async () => {
    const { client, peer } = await connected({ keepalive: { intervalMs: 20, count: 1 } });
    peer.stream.on('data', () => {
      const last = peer.frames.at(-1);
      if (last?.header.prog === KEEPALIVE_PROGRAM && last.header.proc === 1) {
        peer.send({ ...last.header, proc: 2 });
      }
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(client.isOpen).toBe(true);
  });
});

describe('events', () => {
  it('routes MESSAGE frames by type even though they carry serial 1', async () => {
    const { client, peer, handshake } = await connected();
    const seen: unknown[] = [];
    const subscribing = client.subscribe('domain-lifecycle', (e) => seen.push(e));
    const reg = await peer.nth(handshake + 1);
    expect(decode(procedures.connectDomainEventCallbackRegisterAny.args, reg.payload)).toEqual({
      eventID: 0,
      dom: null,
    });
    peer.reply(reg, procedures.connectDomainEventCallbackRegisterAny.ret, 7);
    const sub = await subscribing;
    // A call with serial 1 is outstanding-looking: the event must not be taken as its reply.
    const hostname = client.connectGetHostname();
    const dom = { name: 'lab-node1', uuid: '6695eb01-f6a4-8623-42a4-fa3e9aa28de0', id: 3 };
    const event = (callbackID: number, ev: number) =>
      peer.send(
        {
          prog: REMOTE_PROGRAM,
          vers: 1,
          proc: 318,
          type: MessageType.Message,
          serial: 1,
          status: 0,
        },
        (w) => {
          w.int32(callbackID);
          procedures.domainLookupByName.ret.encode(w, dom);
          w.int32(ev);
          w.int32(1);
        },
      );
    event(7, 5); // stopped/destroyed
    event(8, 2); // someone else's callback id: ignored
    const call = await peer.nth(handshake + 2);
    peer.reply(call, procedures.connectGetHostname.ret, 'lab');
    await expect(hostname).resolves.toBe('lab');
    expect(seen).toEqual([
      {
        kind: 'domain-lifecycle',
        dom,
        event: 'stopped',
        detail: 'destroyed',
        raw: { event: 5, detail: 1 },
      },
    ]);
    const unsubscribing = sub.unsubscribe();
    const dereg = await peer.nth(handshake + 3);
    expect(procedureName(dereg.header.proc)).toBe('connectDomainEventCallbackDeregisterAny');
    expect(decode(procedures.connectDomainEventCallbackDeregisterAny.args, dereg.payload)).toBe(7);
    peer.reply(dereg, null);
    await unsubscribing;
    event(7, 2);
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toHaveLength(1);
  });

  it('a listener that throws does not break the read loop', async () => {
    const { client, peer, handshake } = await connected();
    const subscribing = client.subscribe('network-lifecycle', () => {
      throw new Error('listener bug');
    });
    peer.reply(await peer.nth(handshake + 1), procedures.connectNetworkEventRegisterAny.ret, 1);
    await subscribing;
    peer.send(
      { prog: REMOTE_PROGRAM, vers: 1, proc: 315, type: MessageType.Message, serial: 1, status: 0 },
      (w) => {
        w.int32(1);
        procedures.networkLookupByName.ret.encode(w, {
          name: 'kvmchaos-lab',
          uuid: '00000000-0000-0000-0000-000000000001',
        });
        w.int32(3);
        w.int32(0);
      },
    );
    const call = client.connectGetHostname();
    peer.reply(await peer.nth(handshake + 2), procedures.connectGetHostname.ret, 'still-here');
    await expect(call).resolves.toBe('still-here');
  });
});

describe('RpcConnection alone', () => {
  it('close() fails pending calls with code closed', async () => {
    const [ours, theirs] = memoryDuplexPair();
    const rpc = new RpcConnection(ours);
    open.push({ rpc });
    const peer = new MemoryPeer(theirs);
    const call = rpc.call(59, 'connectGetHostname', undefined);
    await peer.nth(1);
    rpc.close();
    await expect(call).rejects.toMatchObject({ code: 'closed' });
    await expect(rpc.call(59, 'connectGetHostname', undefined)).rejects.toMatchObject({
      code: 'closed',
    });
  });
});
