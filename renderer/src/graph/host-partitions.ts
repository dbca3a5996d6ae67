import type { GuestId, HostId, PartitionRequest } from '../../../shared/api';
import type { GraphModel } from './model';

// Partitions that follow hosts, as the contract's `groups` topology: members of different
// groups are cut from each other. Guests on no segment have nothing to cut and are left out.
// Pure: PartitionBar offers them, the engine plans them over every host they touch.

export type HostPreset = { kind: 'isolate-host'; hostId: HostId } | { kind: 'split-by-host' };

function guestsByHost(model: GraphModel): Map<HostId, GuestId[]> {
  const by = new Map<HostId, GuestId[]>(model.hosts.map((h) => [h.hostId, []]));
  for (const guest of model.guests) {
    if (guest.segmentId === null) continue;
    by.get(guest.hostId)?.push(guest.id);
  }
  return by;
}

/** The request for a preset, or why there is none (fewer than two hosts with guests). */
export function hostPartition(
  model: GraphModel,
  preset: HostPreset,
): { request: PartitionRequest; label: string } | { error: string } {
  const by = guestsByHost(model);
  const names = new Map(model.hosts.map((h) => [h.hostId as string, h.label]));
  const peopled = [...by].filter(([, ids]) => ids.length > 0);
  if (preset.kind === 'split-by-host') {
    if (peopled.length < 2) return { error: 'Split by host needs guests on two hosts or more.' };
    return {
      request: { topology: 'groups', groups: peopled.map(([, ids]) => ids) },
      label: `split by host (${peopled.map(([id]) => names.get(id) ?? id).join(' | ')})`,
    };
  }
  const mine = by.get(preset.hostId) ?? [];
  const others = peopled.filter(([id]) => id !== preset.hostId).flatMap(([, ids]) => ids);
  const name = names.get(preset.hostId) ?? preset.hostId;
  if (mine.length === 0) return { error: `${name} has no guest on a segment.` };
  if (others.length === 0) return { error: `No other host has guests to isolate ${name} from.` };
  return {
    request: { topology: 'groups', groups: [mine, others] },
    label: `isolate host ${name}'s guests`,
  };
}
