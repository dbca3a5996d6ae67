// Outside ends as the engine reads them before planning: addresses as they are, names resolved
// once with this machine's resolver (localhost comes from /etc/hosts: no packet leaves).
import { describe, expect, it } from 'vitest';
import type { CutRequest, GuestId } from '../../shared/api';
import { EngineError } from './errors';
import { resolveOutsideEnds } from './outside';

const guest = { guestId: 'lab/guest' as GuestId, mac: '52:54:00:00:00:11' };
const cut = (address: string, name?: string): CutRequest => ({
  from: guest,
  to: { address, ...(name ? { name } : {}) },
  direction: 'both',
  scope: { kind: 'all' },
});

describe('resolving outside ends', () => {
  it('keeps addresses and networks, canonical, with the name they were given', async () => {
    const r = await resolveOutsideEnds([cut('192.168.77.1', 'gateway'), cut('10.9.8.7/8')]);
    expect(r.cuts.map((c) => c.to)).toEqual([
      { address: '192.168.77.1/32', name: 'gateway' },
      { address: '10.0.0.0/8' },
    ]);
    expect([...r.names]).toEqual([['192.168.77.1/32', 'gateway']]);
  });

  it('resolves a name once to every IPv4 address it has, the name kept beside them', async () => {
    const r = await resolveOutsideEnds([cut('localhost')]);
    expect(r.cuts.map((c) => c.to)).toEqual([{ address: '127.0.0.1/32', name: 'localhost' }]);
    expect(r.cuts[0]?.from).toEqual(guest);
  });

  it('refuses what is neither an address nor a name, in words', async () => {
    for (const [text, words] of [
      ['fe80::1', /IPv6/],
      ['10.0.0.0/40', /prefix length/],
      ['not a host!', /not an IPv4 address/],
    ] as const) {
      const e = await resolveOutsideEnds([cut(text)]).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(EngineError);
      expect((e as Error).message).toMatch(words);
    }
  });
});
