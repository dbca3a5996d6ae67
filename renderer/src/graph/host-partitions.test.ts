import { describe, expect, it } from 'vitest';
import { PartitionRequest } from '../../../shared/api';
import { labHost, labInventory } from '../../../shared/api/fixtures';
import { hostPartition } from './host-partitions';
import { hostsOf } from './hosts.fixture';
import { buildGraphModel } from './model';

describe('host partitions', () => {
  const { summaries, inventories } = hostsOf(3, 4);
  const model = buildGraphModel(summaries, inventories);
  const ids = (host: string) => model.guests.filter((g) => g.hostId === host).map((g) => g.id);

  it('isolates one host: its guests against every other host guest, as groups', () => {
    const result = hostPartition(model, { kind: 'isolate-host', hostId: 'h2' as never });
    expect(result).toEqual({
      request: { topology: 'groups', groups: [ids('h2'), [...ids('h1'), ...ids('h3')]] },
      label: "isolate host h2's guests",
    });
    if ('request' in result) expect(PartitionRequest.parse(result.request)).toEqual(result.request);
  });

  it('splits by host: one group per host with guests', () => {
    const result = hostPartition(model, { kind: 'split-by-host' });
    expect('request' in result && result.request).toEqual({
      topology: 'groups',
      groups: [ids('h1'), ids('h2'), ids('h3')],
    });
  });

  it('refuses with one host, or a host without guests, in words', () => {
    const one = buildGraphModel([labHost], { lab: labInventory(4) });
    expect(hostPartition(one, { kind: 'split-by-host' })).toEqual({
      error: 'Split by host needs guests on two hosts or more.',
    });
    expect(hostPartition(one, { kind: 'isolate-host', hostId: 'lab' as never })).toEqual({
      error: 'No other host has guests to isolate lab from.',
    });
    const empty = buildGraphModel(summaries, {
      ...inventories,
      h2: { ...inventories.h2, guests: [] },
    } as never);
    expect(hostPartition(empty, { kind: 'isolate-host', hostId: 'h2' as never })).toEqual({
      error: 'h2 has no guest on a segment.',
    });
  });
});
