// Guest labels through `kvm-chaos label`, judged by virsh (an independent witness): written live
// and persistently, merged with labels someone set by hand, removed to nothing, and a bad key
// refused before anything is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virsh } from '../../lab/lab-client';
import { kvmChaos, kvmChaosJson, kvmChaosOk } from '../../lab/witness';

const GUEST = 'lab-node2';
const NS = 'https://kvm-chaos.dev/xmlns/labels/1';

/** What virsh prints for the labels element (live or persistent), or null when there is none. */
async function shown(view: '--live' | '--config'): Promise<string | null> {
  try {
    return (await virsh(['metadata', GUEST, NS, view])).stdout.trim();
  } catch (e) {
    if (/metadata not found/.test(String(e))) return null;
    throw e;
  }
}

async function clear() {
  await virsh(['metadata', GUEST, NS, '--remove', '--live', '--config']).catch(() => {});
}

beforeAll(clear);
afterAll(clear);

describe('kvm-chaos label', () => {
  it('sets labels live and persistently, lists them, keeps hand-made ones, removes them', async () => {
    expect(await shown('--live')).toBeNull();
    const set = await kvmChaosOk(['label', GUEST, 'role=db', 'zone=a']);
    expect(set.stdout.trim()).toBe('role=db\nzone=a');
    expect(await shown('--live')).toBe('<labels role="db" zone="a"/>');
    expect(await shown('--config')).toBe('<labels role="db" zone="a"/>');
    expect((await virsh(['dumpxml', '--inactive', GUEST])).stdout).toContain(
      `<kvmchaos:labels xmlns:kvmchaos="${NS}" role="db" zone="a"/>`,
    );

    // Someone edits the labels with virsh; the next change keeps what they wrote.
    await virsh([
      'metadata',
      GUEST,
      NS,
      '--key',
      'kvmchaos',
      '--set',
      '<labels role="db" zone="a" team="storage"/>',
      '--live',
      '--config',
    ]);
    await kvmChaosOk(['label', GUEST, 'zone=b', '--remove', 'role']);
    expect(await shown('--live')).toBe('<labels zone="b" team="storage"/>');
    expect(await shown('--config')).toBe('<labels zone="b" team="storage"/>');

    const listed = await kvmChaosJson<{ guest: string; labels: Record<string, string> }>([
      'label',
      GUEST,
    ]);
    expect(listed).toEqual({ guest: GUEST, labels: { team: 'storage', zone: 'b' } });
    const inv = await kvmChaosJson<{ guests: { name: string; labels: Record<string, string> }[] }>([
      'guests',
    ]);
    expect(inv.guests.find((g) => g.name === GUEST)?.labels).toEqual({
      team: 'storage',
      zone: 'b',
    });

    const removed = await kvmChaosOk(['label', GUEST, '--remove', 'zone', 'team']);
    expect(removed.stdout.trim()).toBe(`${GUEST} has no labels`);
    expect(await shown('--live')).toBeNull();
    expect(await shown('--config')).toBeNull();
  });

  it('refuses a key that is no XML attribute name, exit 2, changing nothing', async () => {
    await kvmChaosOk(['label', GUEST, 'role=db']);
    const before = [await shown('--live'), await shown('--config')];
    for (const bad of ['bad:key=x', 'xmlns=x', '1st=x', 'sp ace=x']) {
      const r = await kvmChaos(['label', GUEST, 'role=web', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain('a label key is an XML attribute name');
    }
    const r = await kvmChaos(['label', GUEST, '--remove', 'xml-thing']);
    expect(r.code).toBe(2);
    expect([await shown('--live'), await shown('--config')]).toEqual(before);
    expect(before[0]).toBe('<labels role="db"/>');
  });
});
