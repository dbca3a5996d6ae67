// Domain XML (virsh dumpxml): identity, and every interface with what nwfilter cares about.
// The interface keeps its parsed element, so update-device can send it back exactly as libvirt
// gave it with only the filterref changed.
import { XmlModelError } from './errors';
import { type FilterRef, filterRefElement, parseFilterRef } from './filterref';
import {
  attempt,
  compact,
  type MacAddress,
  macAddress,
  type PortDev,
  portDev,
  type Uuid,
  uuid,
} from './values';
import {
  attr,
  child,
  elements,
  isElement,
  parseXml,
  requireAttr,
  serializeXml,
  textOf,
  withChildren,
  type XmlElement,
  type XmlNode,
} from './xml';

/** direct is macvtap; other covers user, ethernet, vhostuser, hostdev... (see rawType). */
export type InterfaceType = 'network' | 'bridge' | 'direct' | 'other';

export interface InterfaceSource {
  readonly network?: string;
  /** For type=network libvirt adds the network's bridge here while the guest runs. */
  readonly bridge?: string;
  /** The host device of a direct (macvtap) interface. */
  readonly dev?: string;
  readonly mode?: string;
  readonly portid?: string;
}

export interface DomainInterface {
  readonly type: InterfaceType;
  readonly rawType: string;
  readonly mac?: MacAddress;
  /** <target dev>: the port, present while the guest runs. */
  readonly target?: PortDev;
  readonly source: InterfaceSource;
  readonly model?: string;
  readonly alias?: string;
  readonly filterref?: FilterRef;
  readonly xml: XmlElement;
}

export interface Domain {
  readonly name: string;
  readonly uuid: Uuid;
  /** <domain type=...>: kvm, qemu... */
  readonly hypervisor?: string;
  /** Present only while the domain runs (libvirt prints id='N' for active domains). */
  readonly id?: number;
  readonly active: boolean;
  readonly interfaces: readonly DomainInterface[];
  readonly xml: XmlElement;
}

function interfaceType(raw: string): InterfaceType {
  return raw === 'network' || raw === 'bridge' || raw === 'direct' ? raw : 'other';
}

export function parseInterface(e: XmlElement): DomainInterface {
  const source = child(e, 'source');
  const filterref = child(e, 'filterref');
  const rawType = requireAttr(e, 'type');
  const targetDev = attr(child(e, 'target'), 'dev');
  const macText = attr(child(e, 'mac'), 'address');
  return compact({
    type: interfaceType(rawType),
    rawType,
    mac: macText === undefined ? undefined : macAddress(macText),
    // A configured target that is not a valid port name cannot be a port; keep the XML, not it.
    target: attempt(portDev, targetDev) ?? undefined,
    source: compact({
      network: attr(source, 'network'),
      bridge: attr(source, 'bridge'),
      dev: attr(source, 'dev'),
      mode: attr(source, 'mode'),
      portid: attr(source, 'portid'),
    }),
    model: attr(child(e, 'model'), 'type'),
    alias: attr(child(e, 'alias'), 'name'),
    filterref: filterref ? parseFilterRef(filterref) : undefined,
    xml: e,
  });
}

export function parseDomainElement(root: XmlElement): Domain {
  if (root.name !== 'domain')
    throw new XmlModelError('unexpected-root', `expected <domain>, found <${root.name}>`);
  const name = textOf(child(root, 'name'));
  if (name === undefined) throw new XmlModelError('missing', 'domain has no <name>');
  const uuidText = textOf(child(root, 'uuid'));
  if (uuidText === undefined) throw new XmlModelError('missing', 'domain has no <uuid>');
  const idText = root.attrs.id;
  if (idText !== undefined && !/^\d+$/.test(idText))
    throw new XmlModelError('invalid-value', `domain id ${JSON.stringify(idText)}`);
  const devices = child(root, 'devices');
  return compact({
    name,
    uuid: uuid(uuidText),
    hypervisor: root.attrs.type,
    id: idText === undefined ? undefined : Number(idText),
    active: idText !== undefined && idText !== '-1',
    interfaces: devices ? elements(devices, 'interface').map(parseInterface) : [],
    xml: root,
  });
}

export function parseDomain(xml: string): Domain {
  return parseDomainElement(parseXml(xml, 'domain'));
}

// Where libvirt itself prints <filterref> among an interface's children: after these, before the rest.
const BEFORE_FILTERREF = new Set([
  'mac',
  'source',
  'virtualport',
  'ip',
  'route',
  'script',
  'downscript',
  'backenddomain',
  'target',
  'guest',
  'model',
  'driver',
  'backend',
]);

/**
 * The interface element for update-device: exactly as libvirt gave it, with the filterref set
 * (replaced in place when there was one) or removed when `filterref` is null.
 */
export function interfaceWithFilterRef(
  iface: DomainInterface | XmlElement,
  filterref: FilterRef | null,
): XmlElement {
  const e = 'xml' in iface ? iface.xml : iface;
  if (e.name !== 'interface')
    throw new XmlModelError('unexpected-root', `expected <interface>, found <${e.name}>`);
  const fresh = filterref ? filterRefElement(filterref) : null;
  const kids: XmlNode[] = [];
  let placed = false;
  for (const c of e.children) {
    if (isElement(c) && c.name === 'filterref') {
      if (fresh && !placed) kids.push(fresh);
      placed = true;
      continue;
    }
    if (fresh && !placed && isElement(c) && !BEFORE_FILTERREF.has(c.name)) {
      kids.push(fresh);
      placed = true;
    }
    kids.push(c);
  }
  if (fresh && !placed) kids.push(fresh);
  return withChildren(e, kids);
}

/** Interface XML for `virsh update-device` (or virDomainUpdateDeviceFlags). */
export function buildInterfaceXml(
  iface: DomainInterface | XmlElement,
  filterref: FilterRef | null,
): string {
  return serializeXml(interfaceWithFilterRef(iface, filterref));
}
