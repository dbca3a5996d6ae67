import type { HostInventory } from '../../../shared/api';

// The engine's refusal of an unfiltered window names the ports in words; the dialog lists them.
// Only names the inventories know are taken, as whole words, so vnet1 is not read in vnet10.

export function portsNamedIn(
  message: string,
  inventories: Readonly<Record<string, HostInventory | undefined>>,
): string[] {
  const known = new Set<string>();
  for (const inventory of Object.values(inventories)) {
    if (!inventory) continue;
    for (const b of inventory.bindings) known.add(b.portdev);
    for (const g of inventory.guests)
      for (const i of g.interfaces) if (i.portdev) known.add(i.portdev);
    for (const x of inventory.interruptions) if (x.portdev) known.add(x.portdev);
  }
  const found: { port: string; at: number }[] = [];
  for (const port of known) {
    const escaped = port.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const at = message.search(new RegExp(`(?<![\\w.-])${escaped}(?![\\w-])`));
    if (at >= 0) found.push({ port, at });
  }
  return found.sort((x, y) => x.at - y.at).map((f) => f.port);
}
