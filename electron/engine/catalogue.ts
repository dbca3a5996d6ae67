// The engine's one link to the preset catalogue in shared/protection.
import type { FilterParameter, Preset } from '../../shared/api';
import type { PresetRecogniser } from '../../shared/inventory/classify';
import type { FilterDef, FilterRef } from '../../shared/libvirt';

export interface Catalogue extends PresetRecogniser {
  presets(): Preset[];
  /** The interface's filterref for a preset, and filters of ours it needs defined. */
  filterRef(
    presetId: string,
    parameters: readonly FilterParameter[],
    known: { mac: string; ips: readonly string[] },
  ): { ref: FilterRef; filters: FilterDef[] };
}

export const catalogue: Catalogue = {
  presets: () => [],
  recognise: () => null,
  isPresetFilter: () => false,
  filterRef: (presetId) => {
    throw new Error(`preset ${presetId}: the preset catalogue is not wired yet`);
  },
};
