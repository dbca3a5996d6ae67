// `kvm-chaos segments`: the rows and words it prints, and how `host:bridge` names a segment.
import { describe, expect, it } from 'vitest';
import type { HostId, HostSummary, SegmentGroup } from '../../shared/api';
import {
  fabricGuest,
  fabricInventory,
  fabricSegment,
} from '../../shared/inventory/fabric-fixtures';
import { UsageError } from './options';
import { segmentNamed, segmentRows, segmentsText } from './segments';

const H1 = 'root@kvm1:22';
const H2 = 'root@kvm2:22';
const h1 = fabricInventory(H1, [
  fabricSegment(H1, 'lab', ['52:54:00:00:02:01'], 'br0'),
  fabricSegment(H1, 'default', undefined, 'virbr0'),
]);
const h2 = fabricInventory(
  H2,
  [fabricSegment(H2, 'lab', undefined, 'br0'), fabricSegment(H2, 'vlan10', undefined, 'br10')],
  [fabricGuest(H2, 'b1', '52:54:00:00:02:01', 'lab')],
);
const hosts = [
  { id: H1, label: 'kvm1' },
  { id: H2, label: H2 },
] as unknown as HostSummary[];

describe('segmentRows', () => {
  it('says which segments are one across hosts, and why: the lease, or joined by you', () => {
    const groups: SegmentGroup[] = [
      {
        segments: [
          { host: H1 as HostId, bridge: 'virbr0' },
          { host: H2 as HostId, bridge: 'br10' },
        ],
      },
    ];
    expect(segmentsText(segmentRows([h1, h2], groups))).toBe(
      [
        'root@kvm1:22:br0 (lab): one L2 segment with root@kvm2:22:br0',
        '  b1 on root@kvm2:22.lab (52:54:00:00:02:01) holds a DHCP lease from lab on root@kvm1:22.lab',
        'root@kvm1:22:virbr0 (default): one L2 segment with root@kvm2:22:br10',
        '  joined by you',
        'root@kvm2:22:br0 (lab): one L2 segment with root@kvm1:22:br0',
        '  b1 on root@kvm2:22.lab (52:54:00:00:02:01) holds a DHCP lease from lab on root@kvm1:22.lab',
        'root@kvm2:22:br10 (vlan10): one L2 segment with root@kvm1:22:virbr0',
        '  joined by you',
      ].join('\n'),
    );
    expect(segmentsText(segmentRows([h1, h2], [])).split('\n')[2]).toBe(
      'root@kvm1:22:virbr0 (default): this host only',
    );
  });
});

describe('segmentNamed', () => {
  it('takes host:bridge with the host as guests shows it, its address, or its label', () => {
    for (const text of ['root@kvm1:22:virbr0', 'kvm1:virbr0', 'root@kvm1:virbr0', 'kvm1:default'])
      expect(segmentNamed(text, [h1, h2], hosts).id, text).toBe(
        'segment:root@kvm1:22:network:default',
      );
  });

  it('says what exists when the name is wrong', () => {
    expect(() => segmentNamed('kvm9:br0', [h1, h2], hosts)).toThrow(
      new UsageError("no connected host 'kvm9' (connected: root@kvm1:22, root@kvm2:22)"),
    );
    expect(() => segmentNamed('kvm2:br7', [h1, h2], hosts)).toThrow(
      new UsageError("root@kvm2:22 has no bridge or network 'br7' (it has br0, br10)"),
    );
    expect(() => segmentNamed('br0', [h1, h2], hosts)).toThrow(
      /^name a segment as <host>:<bridge>/,
    );
  });
});
