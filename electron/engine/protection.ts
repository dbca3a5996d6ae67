// Spoof protection in the engine: recognising presets on interfaces, the interface change that
// sets or clears one (live and persistent), and the filter tree view. The presets themselves
// (what each means, its filters, its parameters) live in shared/protection.
import type { FilterParameter, GuestId, OwnershipClass, Preset } from '../../shared/api';
import { parseGuestId } from '../../shared/api';
import { compositeFilter, readComposite } from '../../shared/chaos/enforcement';
import {
  isCutFilter,
  isPortFilter,
  parseOurName,
  portFilterName,
  portHash,
} from '../../shared/chaos/naming';
import type { Classifier, ParsedHost } from '../../shared/inventory/build';
import { makeClassifier } from '../../shared/inventory/classify';
import { filterTree as expandFilterTree } from '../../shared/inventory/filter-tree';
import {
  buildFilterXml,
  buildInterfaceXml,
  type FilterDef,
  type FilterRef,
  type NwFilter,
  type PortDev,
  parseDomain,
  serializeXml,
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
  /** Ports left without rules for a moment (libvirt replaces the binding on update-device). */
  windows: string[];
  summary: string;
}

/**
 * The operations that set `preset` (or clear protection, when null) on one interface. kvm-chaos
 * protects through a port filter of its own (kvm-chaos-port-*) that wraps the preset and later
 * carries the port's cuts too: once the interface refers to it, protecting, unprotecting,
 * cutting and healing that port are redefinitions in place, and its rules never leave the port.
 * Only the first switch to our port filter (or away from a hand-written filterref) goes through
 * update-device, where libvirt replaces the port's binding: that moment is named as a window
 * when the port had rules. An IP the preset needs and the caller did not give is pinned from
 * what the host knows.
 */
export async function protectionChange(
  s: HostSession,
  parsed: ParsedHost,
  guestId: GuestId,
  mac: string,
  preset: { presetId: string; parameters: FilterParameter[] } | null,
): Promise<ProtectionChange> {
  const inv = s.inventory;
  if (!inv) throw engineError('not-connected', `${s.profile.label} has not been read yet`);
  const { uuid } = parseGuestId(guestId);
  const entry = parsed.domains.find((d) => d.domain.uuid === uuid);
  if (!entry) throw engineError('not-found', `no guest ${guestId}`);
  const { domain } = entry;
  const nic = domain.interfaces.find((i) => i.mac === mac.toLowerCase());
  if (!nic?.mac) throw engineError('not-found', `${domain.name} has no interface ${mac}`);
  if (nic.type === 'direct')
    throw engineError(
      'not-cuttable',
      `${domain.name}'s ${mac} is macvtap: nwfilter cannot protect it`,
    );

  const ops: Operation[] = [];
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
    for (const f of made.filters) ops.push(defineIfChanged(parsed, f));
    summary = `protect ${domain.name} (${mac}) with ${preset.presetId}`;
  }
  const portdev = domain.active ? (nic.target ?? null) : null;
  const binding = portdev
    ? parsed.bindings.find((b) => b.binding.portdev === portdev)?.binding
    : undefined;
  const filterOf = (name: string) => parsed.filters.find((f) => f.name === name);
  // The drop rules the port carries now (ours, in whichever composite), kept across the change.
  const boundComposite =
    binding && isCutFilter(binding.filterref.filter)
      ? filterOf(binding.filterref.filter)
      : undefined;
  const rules = boundComposite ? readComposite(boundComposite).rules : [];

  const current = nic.filterref;
  const ourPortFilter =
    current && isPortFilter(current.filter) ? filterOf(current.filter) : undefined;
  if (ourPortFilter) {
    // Already ours: the change is a redefinition in place (or, with nothing left, letting go).
    const kept = readComposite(ourPortFilter).rules;
    if (ref || kept.length > 0) {
      ops.push(
        redefine(ourPortFilter, compositeFilter(ourPortFilter.name, kept, ref, ourPortFilter.uuid)),
      );
      return { guestName: domain.name, portdev, operations: ops, windows: [], summary };
    }
  }

  // Live and persistent are two updates, each from its own XML: the live interface carries
  // runtime-only parts (alias net0, the tap's target) that must not land in the definition.
  const dom = { name: domain.name, uuid: domain.uuid, id: domain.id ?? -1 };
  let target: FilterRef | null = null;
  if (ref) {
    const name = portFilterName(domain.name, domain.uuid, nic.mac);
    const existing = filterOf(name);
    const def = compositeFilter(name, rules, ref, existing?.uuid);
    ops.push(
      existing
        ? redefine(existing, def)
        : {
            kind: 'define-filter',
            target: name,
            xml: buildFilterXml(def),
            previousXml: null,
            description: `define ${name}: ${ref.filter} for ${domain.name}${rules.length ? ', with its cuts' : ''}`,
          },
    );
    target = { filter: name, parameters: [] };
  }
  const words = (where: string) =>
    target && ref
      ? `set ${domain.name}'s ${mac} filter to ${target.filter} (${ref.filter}${ref.parameters.length ? `: ${ref.parameters.map((p) => `${p.name}=${p.value}`).join(', ')}` : ''}), ${where}`
      : `remove ${domain.name}'s ${mac} filter, ${where}`;
  // libvirt cannot replace a binding it did not make from the interface (measured: update-device
  // then fails "failed to add new filter rules"): our binding of a cut port goes first. Its drop
  // rules are in the new port filter; the window is named below.
  if (
    domain.active &&
    portdev &&
    binding &&
    boundComposite &&
    !isPortFilter(binding.filterref.filter)
  )
    ops.push({
      kind: 'delete-binding',
      target: portdev as PortDev,
      xml: serializeXml(binding.xml),
      description: `delete ${portdev}'s binding (${binding.filterref.filter}): its cuts move into ${target?.filter ?? 'a binding of their own'}`,
    });
  if (domain.active)
    ops.push({
      kind: 'update-device',
      target: domain.name,
      dom,
      xml: buildInterfaceXml(nic, target),
      previousXml: buildInterfaceXml(nic, nic.filterref ?? null),
      flags: AFFECT_LIVE,
      description: words('live'),
    });
  const inactive = parseDomain(await s.libvirt().domainGetXmlDesc({ dom, flags: XML_INACTIVE }));
  const saved = inactive.interfaces.find((i) => i.mac === nic.mac);
  if (saved)
    ops.push({
      kind: 'update-device',
      target: domain.name,
      dom,
      xml: buildInterfaceXml(saved, target),
      previousXml: buildInterfaceXml(saved, saved.filterref ?? null),
      flags: AFFECT_CONFIG,
      description: words('persistent'),
    });
  if (ourPortFilter && !ref) ops.push(undefinePortFilter(ourPortFilter, domain.name));
  // libvirt tears the port's binding down and instantiates the new one: a window when the port
  // had rules that must stay (cuts), or protection that is being replaced, not removed.
  const windows =
    portdev && binding && (rules.length > 0 || (ref !== null && binding !== undefined))
      ? [portdev]
      : [];
  return { guestName: domain.name, portdev, operations: ops, windows, summary };
}

function undefinePortFilter(f: NwFilter, guest: string): Operation {
  return {
    kind: 'undefine-filter',
    target: f.name,
    xml: buildFilterXml(f),
    description: `undefine ${f.name}: ${guest} no longer refers to it`,
  };
}

/**
 * Letting go of a port filter of ours that wraps nothing and drops nothing: the interface (live
 * and persistent) loses its filterref, then the filter goes. Nothing is in force on that port
 * then, so libvirt's replacing the binding opens no window.
 */
export async function releasePortFilter(
  s: HostSession,
  parsed: ParsedHost,
  portdev: string,
): Promise<Operation[]> {
  const domain = parsed.domains.find((d) =>
    d.domain.interfaces.some((i) => i.target === portdev),
  )?.domain;
  const nic = domain?.interfaces.find((i) => i.target === portdev);
  const filter = nic?.filterref && parsed.filters.find((f) => f.name === nic.filterref?.filter);
  if (!domain || !nic || !filter || !isPortFilter(filter.name)) return [];
  const dom = { name: domain.name, uuid: domain.uuid, id: domain.id ?? -1 };
  const ops: Operation[] = [
    {
      kind: 'update-device',
      target: domain.name,
      dom,
      xml: buildInterfaceXml(nic, null),
      previousXml: buildInterfaceXml(nic, nic.filterref ?? null),
      flags: AFFECT_LIVE,
      description: `remove ${domain.name}'s ${nic.mac} filter ${filter.name} (it holds nothing any more), live`,
    },
  ];
  const inactive = parseDomain(await s.libvirt().domainGetXmlDesc({ dom, flags: XML_INACTIVE }));
  const saved = inactive.interfaces.find((i) => i.mac === nic.mac);
  if (saved?.filterref?.filter === filter.name)
    ops.push({
      kind: 'update-device',
      target: domain.name,
      dom,
      xml: buildInterfaceXml(saved, null),
      previousXml: buildInterfaceXml(saved, saved.filterref),
      flags: AFFECT_CONFIG,
      description: `remove ${domain.name}'s ${nic.mac} filter ${filter.name}, persistent`,
    });
  ops.push(undefinePortFilter(filter, domain.name));
  return ops;
}

/**
 * Port filters no live interface refers to (a protection change killed between defining the
 * filter and updating the interface, or between its live and persistent updates): each goes,
 * unless its guest's persistent definition still refers to it (it would not start without it).
 */
export async function strayFilterOps(
  s: HostSession,
  parsed: ParsedHost,
  stray: readonly NwFilter[],
): Promise<Operation[]> {
  const ops: Operation[] = [];
  for (const f of stray) {
    const owner = parsed.domains.find((d) =>
      d.domain.interfaces.some((i) => {
        const ours = parseOurName(f.name);
        return i.mac && ours?.kind === 'port' && ours.hash === portHash(d.domain.uuid, i.mac);
      }),
    )?.domain;
    if (owner) {
      const dom = { name: owner.name, uuid: owner.uuid, id: owner.id ?? -1 };
      const saved = parseDomain(await s.libvirt().domainGetXmlDesc({ dom, flags: XML_INACTIVE }));
      if (saved.interfaces.some((i) => i.filterref?.filter === f.name)) continue;
    }
    ops.push({
      ...undefinePortFilter(f, owner?.name ?? 'no guest'),
      description: `undefine ${f.name}: left by an interrupted protection change, nothing refers to it`,
    });
  }
  return ops;
}

function redefine(existing: NwFilter, def: FilterDef): Operation {
  return {
    kind: 'define-filter',
    target: def.name,
    xml: buildFilterXml({ ...def, uuid: existing.uuid }),
    previousXml: buildFilterXml(existing),
    description: `redefine ${def.name} in place (its port is never unfiltered)`,
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
