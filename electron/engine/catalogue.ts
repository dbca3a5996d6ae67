// The engine's one link to the preset catalogue in shared/protection.
import type { FilterParameter, Preset } from '../../shared/api';
import type { PresetRecogniser } from '../../shared/inventory/classify';
import type { Cidr, FilterDef, FilterRef } from '../../shared/libvirt';
import {
  isPresetFilter,
  PRESETS,
  ProtectionError,
  presetFilterRef,
  presetFilters,
  recognisePreset,
} from '../../shared/protection';
import { engineError } from './errors';

export interface Catalogue extends PresetRecogniser {
  presets(): Preset[];
  /** The interface's filterref for a preset, and filters of ours it needs defined. */
  filterRef(
    presetId: string,
    parameters: readonly FilterParameter[],
    known: { ips: readonly string[]; subnets: readonly string[] },
  ): { ref: FilterRef; filters: FilterDef[] };
}

export const catalogue: Catalogue = {
  presets: () =>
    PRESETS.map((p) => ({
      id: p.id,
      label: p.label,
      description: p.description,
      filter: p.filter,
      isDefault: p.isDefault,
      parameters: p.parameters.map((x) => ({ ...x })),
    })),
  recognise: (ref) => recognisePreset(ref),
  isPresetFilter: (name) => isPresetFilter(name),
  filterRef(presetId, parameters, known) {
    if (!PRESETS.some((p) => p.id === presetId))
      throw engineError('not-found', `no preset '${presetId}'`, "see 'kvm-chaos presets'");
    try {
      return {
        ref: presetFilterRef(presetId, parameters, {
          ips: known.ips,
          subnets: known.subnets as Cidr[],
        }),
        filters: presetFilters(presetId),
      };
    } catch (e) {
      if (e instanceof ProtectionError) throw engineError('invalid-request', e.message);
      throw e;
    }
  },
};
