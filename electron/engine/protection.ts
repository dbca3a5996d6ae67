// Spoof protection in the engine: recognising presets on interfaces, the interface change that
// sets or clears one (live and persistent), and the filter tree view. The presets themselves
// (what each means, its filters, its parameters) live in shared/protection.
import type { FilterParameter, GuestId, OwnershipClass, Preset } from '../../shared/api';
import { parseGuestId } from '../../shared/api';
import type { Classifier, ParsedHost } from '../../shared/inventory/build';
import { makeClassifier } from '../../shared/inventory/classify';
import { filterTree as expandFilterTree } from '../../shared/inventory/filter-tree';
import {
  buildFilterXml,
  buildInterfaceXml,
  type FilterDef,
  type FilterRef,
  parseDomain,
} from '../../shared/libvirt';
import { catalogue } from './catalogue';
import { engineError } from './errors';
import type { HostSession } from './host-session';
import { AFFECT_CONFIG, AFFECT_LIVE, type Operation } from './operations';

/** VIR_DOMAIN_XML_INACTIVE: the persistent definition. */
const XML_INACTIVE = 2;

export const classifier: Classifier = makeClassifier(catalogue);

export function presetsList(): Preset[] {
  return catalogue.presets();
}

export function filterTree(parsed: ParsedHost, filter: string, portdev: string | undefined) {
  return expandFilterTree(
    parsed,
    filter,
    portdev,
    (name): OwnershipClass => classifier.filterClass(name),
  );
}

export interface ProtectionChange {
  guestName: string;
  portdev: string | null;
  operations: Operation[];
  summary: string;
}

/**
 * The operations that set `preset` (or clear protection, when null) on one interface: define
 * the preset's own filters when it has any, then update-device live (if running) and config.
 * An IP the preset needs and the caller did not give is pinned from what the host knows.
 */
export async function protectionChange(
  s: HostSession,
  guestId: GuestId,
  mac: string,
  preset: { presetId: string; parameters: FilterParameter[] } | null,
): Promise<ProtectionChange> {
  const parsed = s.parsed;
  const inv = s.inventory;
  if (!parsed || !inv)
    throw engineError('not-connected', `${s.profile.label} has not been read yet`);
  const { uuid } = parseGuestId(guestId);
  const entry = parsed.domains.find((d) => d.domain.uuid === uuid);
  if (!entry) throw engineError('not-found', `no guest ${guestId}`);
  const { domain } = entry;
  const nic = domain.interfaces.find((i) => i.mac === mac.toLowerCase());
  if (!nic) throw engineError('not-found', `${domain.name} has no interface ${mac}`);
  if (nic.type === 'direct')
    throw engineError(
      'not-cuttable',
      `${domain.name}'s ${mac} is macvtap: nwfilter cannot protect it`,
    );

  const defines: Operation[] = [];
  let ref: FilterRef | null = null;
  let summary = `remove spoof protection from ${domain.name} (${mac})`;
  if (preset) {
    const known = inv.guests
      .find((g) => g.id === guestId)
      ?.interfaces.find((i) => i.mac === mac.toLowerCase());
    const segment = inv.segments.find((x) => x.id === known?.segmentId);
    const made = catalogue.filterRef(preset.presetId, preset.parameters, {
      ips: (known?.ips ?? []).map((ip) => ip.address),
      subnets: segment?.cidrs ?? [],
    });
    ref = made.ref;
    for (const f of made.filters) defines.push(defineIfChanged(parsed, f));
    summary = `protect ${domain.name} (${mac}) with ${preset.presetId}`;
  }
  // Live and persistent are two updates, each from its own XML: the live interface carries
  // runtime-only parts (alias net0, the tap's target) that must not land in the definition.
  const dom = { name: domain.name, uuid: domain.uuid, id: domain.id ?? -1 };
  const words = (where: string) =>
    ref
      ? `set ${domain.name}'s ${mac} filter to ${ref.filter} (${ref.parameters.map((p) => `${p.name}=${p.value}`).join(', ') || 'no parameters'}), ${where}`
      : `remove ${domain.name}'s ${mac} filter, ${where}`;
  const updates: Operation[] = [];
  if (domain.active)
    updates.push({
      kind: 'update-device',
      target: domain.name,
      dom,
      xml: buildInterfaceXml(nic, ref),
      previousXml: buildInterfaceXml(nic, nic.filterref ?? null),
      flags: AFFECT_LIVE,
      description: words('live'),
    });
  const inactive = parseDomain(await s.libvirt().domainGetXmlDesc({ dom, flags: XML_INACTIVE }));
  const saved = inactive.interfaces.find((i) => i.mac === nic.mac);
  if (saved)
    updates.push({
      kind: 'update-device',
      target: domain.name,
      dom,
      xml: buildInterfaceXml(saved, ref),
      previousXml: buildInterfaceXml(saved, saved.filterref ?? null),
      flags: AFFECT_CONFIG,
      description: words('persistent'),
    });
  return {
    guestName: domain.name,
    portdev: domain.active ? (nic.target ?? null) : null,
    operations: [...defines, ...updates],
    summary,
  };
}

function defineIfChanged(parsed: ParsedHost, def: FilterDef): Operation {
  const existing = parsed.filters.find((f) => f.name === def.name);
  const withUuid = existing?.uuid ? { ...def, uuid: existing.uuid } : def;
  return {
    kind: 'define-filter',
    target: def.name,
    xml: buildFilterXml(withUuid),
    previousXml: existing ? buildFilterXml(existing) : null,
    description: `define the preset filter ${def.name}`,
  };
}
