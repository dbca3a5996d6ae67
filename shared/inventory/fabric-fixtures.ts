// Inventories cut down to what the fabric reads (segments, leases, guests' NICs), for the tests
// of segments that span hosts.
import type { HostId, HostInventory, SegmentId } from '../api';

export const fabricSegment = (
  host: string,
  name: string,
  leasedMacs?: string[],
  bridge: string | null = `${name}-br`,
) => ({
  id: `segment:${host}:network:${name}` as SegmentId,
  hostId: host as HostId,
  kind: 'network' as const,
  name,
  bridge,
  cidrs: [],
  active: true,
  ...(leasedMacs ? { leasedMacs } : {}),
});

export const fabricGuest = (host: string, name: string, mac: string, segment: string) => ({
  id: `guest:${host}:00000000-0000-4000-8000-${mac.replaceAll(':', '')}`,
  hostId: host,
  uuid: '',
  name,
  state: 'running',
  labels: {},
  interfaces: [{ mac, segmentId: `segment:${host}:network:${segment}`, uncuttable: null }],
});

export const fabricInventory = (host: string, segments: object[], guests: object[] = []) =>
  ({ hostId: host, hostname: `${host}.lab`, segments, guests }) as unknown as HostInventory;
