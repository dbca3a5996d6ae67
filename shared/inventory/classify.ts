// Which bindings and filters are ours, which are spoof protection, and which belong to someone
// else. Ours is decided by the one naming prefix (shared/chaos/naming); protection is libvirt's
// stock anti-spoofing set and our presets' filters.
import type { InterfaceProtection, OwnershipClass } from '../api';
import { isOurs } from '../chaos/naming';
import type { FilterRef } from '../libvirt';
import type { Classifier } from './build';

/** The filters libvirt ships (Debian's libvirt-daemon-driver-nwfilter, 9.0). */
export const STOCK_FILTERS: ReadonlySet<string> = new Set([
  'allow-arp',
  'allow-dhcp',
  'allow-dhcp-server',
  'allow-dhcpv6',
  'allow-dhcpv6-server',
  'allow-incoming-ipv4',
  'allow-incoming-ipv6',
  'allow-ipv4',
  'allow-ipv6',
  'clean-traffic',
  'clean-traffic-gateway',
  'no-arp-ip-spoofing',
  'no-arp-mac-spoofing',
  'no-arp-spoofing',
  'no-ip-multicast',
  'no-ip-spoofing',
  'no-ipv6-multicast',
  'no-ipv6-spoofing',
  'no-mac-broadcast',
  'no-mac-spoofing',
  'no-other-l2-traffic',
  'no-other-rarp-traffic',
  'qemu-announce-self',
  'qemu-announce-self-rarp',
]);

export interface PresetRecogniser {
  /** The preset a filterref is, with its parameters, or null. */
  recognise(
    ref: FilterRef,
  ): { presetId: string; parameters: { name: string; value: string }[] } | null;
  /** Filters of ours that presets define (protection, not chaos). */
  isPresetFilter(name: string): boolean;
}

export function makeClassifier(presets: PresetRecogniser): Classifier {
  const filterClass = (name: string): OwnershipClass => {
    if (presets.isPresetFilter(name) || STOCK_FILTERS.has(name)) return 'protection';
    return isOurs(name) ? 'ours' : 'foreign';
  };
  return {
    filterClass,
    protectionOf(ref: FilterRef | undefined): InterfaceProtection {
      if (!ref) return { kind: 'none' };
      const preset = presets.recognise(ref);
      if (preset) return { kind: 'preset', ...preset };
      return {
        kind: 'custom',
        filter: ref.filter,
        parameters: ref.parameters.map((p) => ({ name: p.name, value: p.value })),
      };
    },
  };
}
