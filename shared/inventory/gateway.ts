// A guest's gateway, as its host knows it: the address of the libvirt network its interface is on
// (<ip address=...>, where libvirt's dnsmasq also answers DHCP and DNS). A plain bridge has no
// address libvirt knows of, so it has no gateway here: the user gives the address instead.
import type { Guest, HostInventory, OutsideEnd } from '../api';

export const GATEWAY_WORD = 'gateway';

/** The guest's gateway address, or null with the reason it is not known. */
export function gatewayOf(
  inventory: HostInventory,
  guest: Guest,
): { address: string } | { address: null; why: string } {
  for (const i of guest.interfaces) {
    const segment = inventory.segments.find((s) => s.id === i.segmentId);
    const address = segment?.gateways?.[0];
    if (address) return { address };
  }
  return {
    address: null,
    why: `${guest.name} is on no libvirt network with an IPv4 address, so its gateway is not known: give the address`,
  };
}

/**
 * What the user typed as the outside end of a guest's cut: "gateway" becomes the guest's gateway
 * address (named so); anything else goes to the engine as typed (an address, a network or a DNS
 * name it resolves once). Throws an Error with a sentence for an unknown gateway.
 */
export function outsideEndFor(inventory: HostInventory, guest: Guest, typed: string): OutsideEnd {
  const text = typed.trim();
  if (text.toLowerCase() !== GATEWAY_WORD) return { address: text };
  const gw = gatewayOf(inventory, guest);
  if (gw.address === null) throw new Error(gw.why);
  return { address: gw.address, name: GATEWAY_WORD };
}
