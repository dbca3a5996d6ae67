// <filterref filter='...'><parameter name='...' value='...'/>...</filterref>, as it appears in a
// domain interface, a filter binding and inside a filter. Parameters are ordered and repeatable:
// a name given several times is a list, and a rule using it is instantiated once per value.
import { XmlModelError } from './errors';
import { type FilterName, filterName } from './values';
import {
  type Aside,
  asidesOf,
  el,
  elements,
  requireAttr,
  withAsides,
  type XmlElement,
} from './xml';

export interface FilterParameter {
  readonly name: string;
  readonly value: string;
}

export interface FilterRef {
  readonly filter: FilterName;
  readonly parameters: readonly FilterParameter[];
  /** Comments among the parameters, kept in place when the element is written again. */
  readonly asides?: readonly Aside[];
}

// libvirt's own rules (nwfilter_params.h, VALID_VARNAME / VALID_VARVALUE): a parameter outside
// them is silently skipped by libvirt, so we refuse to build one.
const PARAM_NAME = /^[A-Za-z0-9_]+$/;
const PARAM_VALUE = /^[A-Za-z0-9_.:]+$/;

export function isValidParameterName(name: string): boolean {
  return PARAM_NAME.test(name);
}
export function isValidParameterValue(value: string): boolean {
  return PARAM_VALUE.test(value);
}

export function checkParameter(p: FilterParameter): FilterParameter {
  if (!isValidParameterName(p.name))
    throw new XmlModelError(
      'invalid-value',
      `filter parameter name ${JSON.stringify(p.name)}: libvirt takes only letters, digits and _`,
    );
  if (!isValidParameterValue(p.value))
    throw new XmlModelError(
      'invalid-value',
      `value ${JSON.stringify(p.value)} of parameter ${p.name}: libvirt takes only letters, digits, _ . and :`,
    );
  return p;
}

export function parseFilterRef(e: XmlElement): FilterRef {
  const ref: FilterRef = {
    filter: filterName(requireAttr(e, 'filter')),
    parameters: elements(e, 'parameter').map((p) => ({
      name: requireAttr(p, 'name'),
      value: requireAttr(p, 'value'),
    })),
  };
  // Only when every child element is a parameter do the asides' places mean the same on output.
  const asides = elements(e).length === ref.parameters.length ? asidesOf(e) : undefined;
  return asides ? { ...ref, asides } : ref;
}

/** The <filterref> element; parameters are validated against libvirt's character sets. */
export function filterRefElement(ref: FilterRef): XmlElement {
  return el(
    'filterref',
    { filter: filterName(ref.filter) },
    withAsides(
      ref.parameters
        .map(checkParameter)
        .map((p) => el('parameter', { name: p.name, value: p.value })),
      ref.asides,
    ),
  );
}

/** Every value of a parameter, in order (empty when absent). */
export function parameterValues(ref: FilterRef | undefined, name: string): string[] {
  return (ref?.parameters ?? []).filter((p) => p.name === name).map((p) => p.value);
}

/** Parameters grouped by name, as libvirt prints them: names sorted, values in order. */
export function canonicalParameters(params: readonly FilterParameter[]): FilterParameter[] {
  const names = [...new Set(params.map((p) => p.name))].sort();
  return names.flatMap((n) => params.filter((p) => p.name === n));
}

export function sameFilterRef(a: FilterRef | undefined, b: FilterRef | undefined): boolean {
  if (!a || !b) return a === b;
  const ca = canonicalParameters(a.parameters);
  const cb = canonicalParameters(b.parameters);
  return (
    a.filter === b.filter &&
    ca.length === cb.length &&
    ca.every((p, i) => p.name === cb[i]?.name && p.value === cb[i]?.value)
  );
}
