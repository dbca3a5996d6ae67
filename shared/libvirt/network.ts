// Network XML (virsh net-dumpxml): name, bridge, addresses, DHCP ranges and fixed hosts.
import { XmlModelError } from './errors';
import {
  type Cidr,
  compact,
  ipAddress,
  type MacAddress,
  macAddress,
  netmaskPrefix,
  subnetOf,
  type Uuid,
  uuid,
} from './values';
import { attr, child, elements, parseXml, requireAttr, textOf, type XmlElement } from './xml';

export interface DhcpRange {
  readonly start: string;
  readonly end: string;
}

export interface DhcpHost {
  readonly mac?: MacAddress;
  readonly name?: string;
  readonly ip?: string;
  /** DHCPv6 hosts are matched by id. */
  readonly id?: string;
}

export interface NetworkIp {
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  readonly prefix?: number;
  readonly netmask?: string;
  /** The subnet, when the prefix is known (from prefix= or netmask=). */
  readonly cidr?: Cidr;
  readonly dhcp: { readonly ranges: readonly DhcpRange[]; readonly hosts: readonly DhcpHost[] };
}

export interface Network {
  readonly name: string;
  readonly uuid?: Uuid;
  /** <forward mode=...>; absent for an isolated network. */
  readonly forward?: string;
  readonly bridge?: { readonly name?: string; readonly stp?: string; readonly delay?: string };
  readonly mac?: MacAddress;
  readonly ips: readonly NetworkIp[];
  readonly xml: XmlElement;
}

function parseIp(e: XmlElement): NetworkIp {
  const addressText = requireAttr(e, 'address');
  const familyAttr = e.attrs.family;
  const ip = ipAddress(addressText);
  if (familyAttr !== undefined && familyAttr !== ip.family)
    throw new XmlModelError('invalid-value', `address ${addressText} is not ${familyAttr}`);
  const prefixText = e.attrs.prefix;
  const netmask = e.attrs.netmask;
  const prefix =
    prefixText !== undefined && /^\d+$/.test(prefixText)
      ? Number(prefixText)
      : netmask !== undefined
        ? (netmaskPrefix(netmask) ?? undefined)
        : undefined;
  const dhcp = child(e, 'dhcp');
  return compact({
    family: ip.family,
    address: ip.address,
    prefix,
    netmask,
    cidr: prefix === undefined ? undefined : subnetOf(ip.address, prefix),
    dhcp: {
      ranges: dhcp
        ? elements(dhcp, 'range').map((r) => ({
            start: requireAttr(r, 'start'),
            end: requireAttr(r, 'end'),
          }))
        : [],
      hosts: dhcp
        ? elements(dhcp, 'host').map((h) =>
            compact({
              mac: h.attrs.mac === undefined ? undefined : macAddress(h.attrs.mac),
              name: h.attrs.name,
              ip: h.attrs.ip,
              id: h.attrs.id,
            }),
          )
        : [],
    },
  });
}

export function parseNetworkElement(root: XmlElement): Network {
  if (root.name !== 'network')
    throw new XmlModelError('unexpected-root', `expected <network>, found <${root.name}>`);
  const name = textOf(child(root, 'name'));
  if (name === undefined) throw new XmlModelError('missing', 'network has no <name>');
  const uuidText = textOf(child(root, 'uuid'));
  const bridge = child(root, 'bridge');
  const macText = attr(child(root, 'mac'), 'address');
  return compact({
    name,
    uuid: uuidText === undefined ? undefined : uuid(uuidText),
    forward: attr(child(root, 'forward'), 'mode') ?? (child(root, 'forward') ? 'nat' : undefined),
    bridge: bridge
      ? compact({ name: bridge.attrs.name, stp: bridge.attrs.stp, delay: bridge.attrs.delay })
      : undefined,
    mac: macText === undefined ? undefined : macAddress(macText),
    ips: elements(root, 'ip').map(parseIp),
    xml: root,
  });
}

export function parseNetwork(xml: string): Network {
  return parseNetworkElement(parseXml(xml, 'network'));
}
