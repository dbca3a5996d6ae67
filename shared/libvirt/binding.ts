// Filter bindings (virsh nwfilter-binding-dumpxml / nwfilter-binding-create): which filter, with
// which parameters, is instantiated on one port. One binding per port.
import { XmlModelError } from './errors';
import { type FilterRef, filterRefElement, parseFilterRef } from './filterref';
import { type MacAddress, macAddress, type PortDev, portDev, type Uuid, uuid } from './values';
import {
  child,
  el,
  parseXml,
  requireAttr,
  serializeXml,
  textEl,
  textOf,
  type XmlElement,
} from './xml';

export interface BindingOwner {
  /** The domain's name; any string libvirt allows (escaped on the way out). */
  readonly name: string;
  readonly uuid: Uuid;
}

export interface BindingDef {
  readonly owner: BindingOwner;
  readonly portdev: PortDev;
  /** Only for macvtap-like ports; libvirt prints it when set. */
  readonly linkdev?: string;
  readonly mac: MacAddress;
  readonly filterref: FilterRef;
}

export interface FilterBinding extends BindingDef {
  readonly xml: XmlElement;
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new XmlModelError('missing', `filter binding has no ${what}`);
  return v;
}

export function parseBindingElement(root: XmlElement): FilterBinding {
  if (root.name !== 'filterbinding')
    throw new XmlModelError('unexpected-root', `expected <filterbinding>, found <${root.name}>`);
  const owner = required(child(root, 'owner'), 'owner');
  const linkdev = child(root, 'linkdev');
  const b: FilterBinding = {
    owner: {
      name: required(textOf(child(owner, 'name')), 'owner name'),
      uuid: uuid(required(textOf(child(owner, 'uuid')), 'owner uuid')),
    },
    portdev: portDev(requireAttr(required(child(root, 'portdev'), 'portdev'), 'name')),
    mac: macAddress(requireAttr(required(child(root, 'mac'), 'mac'), 'address')),
    filterref: parseFilterRef(required(child(root, 'filterref'), 'filterref')),
    xml: root,
  };
  return linkdev ? { ...b, linkdev: requireAttr(linkdev, 'name') } : b;
}

export function parseBinding(xml: string): FilterBinding {
  return parseBindingElement(parseXml(xml, 'filterbinding'));
}

export function bindingElement(def: BindingDef): XmlElement {
  return el('filterbinding', {}, [
    el('owner', {}, [textEl('name', def.owner.name), textEl('uuid', uuid(def.owner.uuid))]),
    el('portdev', { name: portDev(def.portdev) }),
    def.linkdev !== undefined && el('linkdev', { name: def.linkdev }),
    el('mac', { address: macAddress(def.mac) }),
    filterRefElement(def.filterref),
  ]);
}

/** Binding XML for nwfilter-binding-create. */
export function buildBindingXml(def: BindingDef): string {
  return serializeXml(bindingElement(def));
}
