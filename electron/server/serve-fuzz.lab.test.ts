// `kvm-chaos serve` under hostile clients, on the real lab: while fuzzers send invalid UTF-8,
// binary and non-JSON frames, oversized messages and floods of calls, a second client cuts and
// heals lab-node2. The server must stay up, every call of the second client must succeed, and
// the flood may delay its calls by less than a second over the same calls without the flood.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { fullyConnected, waitForMatrix } from '../../lab/lab-client';
import type { GuestId, Result } from '../../shared/api';
import { type LabEngine, labEngine, ourFilters } from '../engine/lab-support';
import { type ChaosServer, createServer } from './server';

let lab: LabEngine;
let server: ChaosServer;
let staticDir: string;
const logged: string[] = [];

beforeAll(async () => {
  lab = await labEngine();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: lab.lab, what: 'connected' });
  staticDir = await mkdtemp(join(tmpdir(), 'kvm-chaos-fuzz-'));
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>kvm-chaos</title>');
  server = await createServer({ api: lab.engine, staticDir, log: (l) => logged.push(l) });
});
afterAll(async () => {
  await server?.close();
  await lab?.engine['chaos.heal']({ hostId: lab.hostId });
  await lab?.close();
  await rm(staticDir, { recursive: true, force: true });
});

/** A client of the contract: calls with ids, answers by id. */
async function client() {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, {
    maxPayload: 64 * 1024 * 1024,
  });
  ws.on('error', () => {});
  const waiting = new Map<number, (r: Result<unknown>) => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { kind: string; id: number; result: Result<unknown> };
    if (m.kind === 'result') waiting.get(m.id)?.(m.result);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('close', reject);
  });
  let next = 0;
  return {
    ws,
    call(name: string, params: unknown): Promise<Result<unknown>> {
      const id = next++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ kind: 'call', id, name, params }));
      });
    },
  };
}

type Victim = Awaited<ReturnType<typeof client>>;

/** One cut of lab-node2 and its heal, each call timed. */
async function cutAndHeal(victim: Victim, guestId: GuestId, latencies: number[]) {
  let t = Date.now();
  const applied = await victim.call('chaos.apply', {
    partition: { topology: 'isolate', guestIds: [guestId] },
  });
  latencies.push(Date.now() - t);
  expect(applied.ok, JSON.stringify(applied)).toBe(true);
  const cutIds = (applied as { value: { cutIds: string[] } }).value.cutIds;
  expect(cutIds.length).toBeGreaterThan(0);
  t = Date.now();
  const healed = await victim.call('chaos.heal', { cutIds });
  latencies.push(Date.now() - t);
  expect(healed.ok, JSON.stringify(healed)).toBe(true);
}

const BAD_FRAMES: { what: string; data: Buffer | string; binary: boolean }[] = [
  { what: 'invalid UTF-8', data: Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d]), binary: false },
  { what: '10 MB message', data: Buffer.alloc(10 * 1024 * 1024, 0x61), binary: false },
  { what: 'not JSON', data: '{"kind":"call",', binary: false },
  { what: 'binary frame', data: Buffer.from([1, 2, 3]), binary: true },
  { what: 'not a call', data: '[1,2,3]', binary: false },
];

describe('serve under hostile clients', () => {
  it("stays up, and the other client's cuts and heals succeed within a second of normal", async () => {
    const guestId = (await lab.guest('lab-node2')).id;
    const victim = await client();

    const baseline: number[] = [];
    for (let i = 0; i < 3; i++) await cutAndHeal(victim, guestId, baseline);

    const sent = { bad: 0, flood: 0, oversized: 0 };
    const closes = new Map<number, number>();
    let stop = false;

    // Bad frames, each on a fresh connection: each must close that connection only.
    const badFrames = (async () => {
      for (let i = 0; !stop; i++) {
        const frame = BAD_FRAMES[i % BAD_FRAMES.length] as (typeof BAD_FRAMES)[number];
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
        ws.on('error', () => {});
        await new Promise((resolve) => ws.once('open', resolve));
        const closed = new Promise<number>((resolve) => ws.once('close', resolve));
        ws.send(frame.data, { binary: frame.binary });
        if (frame.what === '10 MB message') sent.oversized++;
        sent.bad++;
        const code = await closed;
        closes.set(code, (closes.get(code) ?? 0) + 1);
      }
    })();

    // Floods of calls that never wait for their answers: reads, dry runs, invalid params and
    // changes that change nothing; when the server closes one, another takes its place.
    const flood = async () => {
      const calls = [
        { name: 'inventory.get', params: { hostId: lab.hostId } },
        { name: 'hosts.list', params: {} },
        { name: 'hosts.connect', params: { hostId: lab.hostId } },
        {
          name: 'chaos.apply',
          params: { partition: { topology: 'isolate', guestIds: [guestId] }, dryRun: true },
        },
        { name: 'chaos.heal', params: { all: 'yes' } },
        { name: 'no.such.call', params: {} },
      ];
      while (!stop) {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
        ws.on('error', () => {});
        const open = await new Promise<boolean>((resolve) => {
          ws.once('open', () => resolve(true));
          ws.once('close', () => resolve(false));
        });
        if (!open) continue;
        const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
        let gone = false;
        void closed.then(() => {
          gone = true;
        });
        for (let id = 0; !stop && !gone; id++) {
          if (ws.bufferedAmount < 256 * 1024) {
            const call = calls[id % calls.length] as (typeof calls)[number];
            ws.send(JSON.stringify({ kind: 'call', id, ...call }));
            sent.flood++;
          } else {
            await new Promise((r) => setTimeout(r, 1));
          }
          if (id % 200 === 0) await new Promise((r) => setImmediate(r));
        }
        ws.terminate();
      }
    };
    const floods = [flood(), flood()];

    await new Promise((r) => setTimeout(r, 1000)); // let the floods build up
    const underFlood: number[] = [];
    for (let i = 0; i < 5; i++) await cutAndHeal(victim, guestId, underFlood);
    stop = true;
    await Promise.all([badFrames, ...floods]);

    // The server is still up for a newcomer.
    const newcomer = await client();
    expect((await newcomer.call('hosts.list', {})).ok).toBe(true);
    newcomer.ws.close();
    victim.ws.close();

    const max = (xs: number[]) => Math.max(...xs);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(
      [
        `frames sent: ${sent.flood} flooding calls, ${sent.bad} bad frames (${sent.oversized} of 10 MB)`,
        `close codes seen by the bad-frame clients: ${[...closes].map(([c, n]) => `${c}x${n}`).join(' ')}`,
        `second client, cut and heal calls without flood: max ${max(baseline)} ms, median ${median(baseline)} ms (${baseline.length} calls)`,
        `second client, cut and heal calls under flood:   max ${max(underFlood)} ms, median ${median(underFlood)} ms (${underFlood.length} calls)`,
        `clients closed for flooding: ${logged.filter((l) => l.includes('frames ahead')).length}`,
      ].join('\n'),
    );
    expect(closes.get(1009)).toBeGreaterThan(0);
    expect(closes.get(1007)).toBeGreaterThan(0);
    expect(max(underFlood) - max(baseline)).toBeLessThan(1000);
    await waitForMatrix(fullyConnected, { timeoutMs: 20_000, state: lab.lab, what: 'healed' });
    expect(await ourFilters()).toEqual([]);
  });
});
