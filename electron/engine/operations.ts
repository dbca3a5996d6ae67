// Running one operation against libvirt, and how each looks in the contract (with the virsh
// command a person would type for it).
import type { HostId, PlannedOperation } from '../../shared/api';
import type { Operation as PlannerOperation } from '../../shared/chaos/planner';
import type { LibvirtConnection } from '../libvirt/connection';
import { shellQuote } from './activity';

/** VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG. */
export const AFFECT_LIVE = 1;
export const AFFECT_CONFIG = 2;

/** The planner's operations plus the one the engine adds for protection. */
export type Operation =
  | PlannerOperation
  | {
      readonly kind: 'update-device';
      /** The guest's name. */
      readonly target: string;
      readonly dom: { name: string; uuid: string; id: number };
      readonly xml: string;
      readonly flags: number;
      /** The interface as it was, for rollback. */
      readonly previousXml: string;
      readonly description: string;
    };

export async function runOperation(lv: LibvirtConnection, op: Operation): Promise<void> {
  switch (op.kind) {
    case 'define-filter':
      await lv.nwfilterDefineXml(op.xml);
      return;
    case 'undefine-filter':
      await lv.nwfilterUndefine(await lv.nwfilterLookupByName(op.target));
      return;
    case 'create-binding':
      await lv.nwfilterBindingCreateXml({ xml: op.xml, flags: 0 });
      return;
    case 'delete-binding':
      await lv.nwfilterBindingDelete(await lv.nwfilterBindingLookupByPortDev(op.target));
      return;
    case 'update-device':
      await lv.domainUpdateDeviceFlags({ dom: op.dom, xml: op.xml, flags: op.flags });
      return;
  }
}

function flagsText(flags: number): string {
  return [flags & AFFECT_LIVE ? '--live' : '', flags & AFFECT_CONFIG ? '--config' : '']
    .filter(Boolean)
    .join(' ');
}

export function toPlanned(hostId: HostId, op: Operation): PlannedOperation {
  const base = { hostId, kind: op.kind, target: op.target, description: op.description };
  switch (op.kind) {
    case 'define-filter':
      return { ...base, xml: op.xml, virsh: 'nwfilter-define' };
    case 'undefine-filter':
      return { ...base, xml: null, virsh: `nwfilter-undefine ${shellQuote(op.target)}` };
    case 'create-binding':
      return { ...base, xml: op.xml, virsh: 'nwfilter-binding-create' };
    case 'delete-binding':
      return { ...base, xml: null, virsh: `nwfilter-binding-delete ${shellQuote(op.target)}` };
    case 'update-device':
      return {
        ...base,
        xml: op.xml,
        virsh: `update-device ${shellQuote(op.target)} ${flagsText(op.flags)}`,
      };
  }
}
