import type { z } from 'zod';
import {
  Cidr,
  type FilterParameter,
  type GuestInterface,
  Ipv4,
  Ipv6,
  MacAddress,
  type Preset,
  type PresetParameter,
} from '../../../shared/api';

// The guest panel's form: preset parameters as text fields, validated with the contract's own
// schemas (so the UI refuses exactly what the engine would), IP pinned from what we know.

const SCHEMAS: Record<PresetParameter['kind'], z.ZodType<string>[]> = {
  ipv4: [Ipv4],
  ipv6: [Ipv6],
  ip: [Ipv4, Ipv6],
  mac: [MacAddress],
  cidr: [Cidr],
};

export const KIND_EXAMPLE: Record<PresetParameter['kind'], string> = {
  ipv4: '192.168.77.11',
  ipv6: 'fd00::11',
  ip: '192.168.77.11',
  mac: '52:54:00:00:00:11',
  cidr: '192.168.77.0/24',
};

export type ParameterTexts = Record<string, string>;

export function parsePresetParameters(
  preset: Preset,
  texts: ParameterTexts,
): { parameters: FilterParameter[]; errors: Record<string, string> } {
  const parameters: FilterParameter[] = [];
  const errors: Record<string, string> = {};
  for (const spec of preset.parameters) {
    const values = (texts[spec.name] ?? '').split(/[\s,]+/).filter(Boolean);
    if (values.length === 0) {
      if (spec.required) errors[spec.name] = `${spec.label} is required.`;
      continue;
    }
    if (values.length > 1 && !spec.multiple) {
      errors[spec.name] = `${spec.label} takes one value.`;
      continue;
    }
    for (const value of values) {
      const parsed = SCHEMAS[spec.kind]
        .map((schema) => schema.safeParse(value))
        .find((r) => r.success);
      if (!parsed?.success) {
        errors[spec.name] = `${value} is not valid: expected e.g. ${KIND_EXAMPLE[spec.kind]}.`;
        break;
      }
      parameters.push({ name: spec.name, value: parsed.data });
    }
  }
  return { parameters, errors };
}

/** Starting values: the interface's current ones for the same preset, else its known IPs. */
export function initialTexts(preset: Preset, iface: GuestInterface): ParameterTexts {
  const texts: ParameterTexts = {};
  const current =
    iface.protection.kind === 'preset' && iface.protection.presetId === preset.id
      ? iface.protection.parameters
      : iface.protection.kind === 'custom' && iface.protection.filter === preset.filter
        ? iface.protection.parameters
        : [];
  for (const spec of preset.parameters) {
    const mine = current.filter((p) => p.name === spec.name).map((p) => p.value);
    if (mine.length) {
      texts[spec.name] = mine.join(', ');
      continue;
    }
    if (spec.kind === 'ip' || spec.kind === 'ipv4' || spec.kind === 'ipv6') {
      const ips = iface.ips
        .filter((ip) => spec.kind === 'ip' || ip.family === spec.kind)
        .map((ip) => ip.address);
      texts[spec.name] = (spec.multiple ? ips : ips.slice(0, 1)).join(', ');
    } else if (spec.kind === 'mac') texts[spec.name] = iface.mac;
    else texts[spec.name] = '';
  }
  return texts;
}
