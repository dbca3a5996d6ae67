// Running one operation against libvirt, how each looks in the contract (with the virsh command
// a person would type for it), what undoes it, and the check that what it replaces is still what
// it was planned against.
import type { HostId, PlannedOperation } from '../../shared/api';
import { type CutIntent, INTENT_KEY, intentElement, intentUri } from '../../shared/chaos/intent';
import type { Operation as PlannerOperation } from '../../shared/chaos/planner';
import { inverseOperation as inversePlannerOperation } from '../../shared/chaos/planner';
import { parseBinding } from '../../shared/libvirt/binding';
import { parseNwfilter } from '../../shared/libvirt/nwfilter';
import { serializeXml, type XmlElement } from '../../shared/libvirt/xml';
import type { LibvirtConnection } from '../libvirt/connection';
import { isNotFound, LibvirtError } from '../libvirt/errors';
import type { ProcedureMethods } from '../libvirt/procedures';
import { shellQuote } from './activity';

/** VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG. */
export const AFFECT_LIVE = 1;
export const AFFECT_CONFIG = 2;
/** VIR_DOMAIN_METADATA_ELEMENT. */
export const METADATA_ELEMENT = 2;

export interface DomRef {
  readonly name: string;
  readonly uuid: string;
  readonly id: number;
}

/** The planner's operations plus the ones the engine adds: protection and intents. */
export type Operation =
  | PlannerOperation
  | {
      readonly kind: 'update-device';
      /** The guest's name. */
      readonly target: string;
      readonly dom: DomRef;
      readonly xml: string;
      readonly flags: number;
      /** The interface as it was, for rollback. */
      readonly previousXml: string;
      readonly description: string;
    }
  | {
      readonly kind: 'set-intent' | 'remove-intent';
      /** The guest's name (the intent lives in its metadata). */
      readonly target: string;
      readonly dom: DomRef;
      /** Running: the live definition is written too. */
      readonly active: boolean;
      readonly intent: CutIntent;
      /** For set-intent: the intent of the same cut it replaces, for rollback. */
      readonly previous: CutIntent | null;
      readonly description: string;
    };

/** A precondition failed: someone else changed what this operation replaces. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/**
 * Writes (element non-null) or removes one metadata element of ours on a domain: persistently,
 * and live too while it runs, so a guest restart and a libvirtd restart keep it.
 */
export async function setDomainMetadata(
  lv: ProcedureMethods,
  target: { dom: DomRef; active: boolean },
  uri: string,
  element: XmlElement | null,
) {
  const args = {
    dom: target.dom,
    type: METADATA_ELEMENT,
    metadata: element ? serializeXml(element) : null,
    key: element ? INTENT_KEY : null,
    uri,
  };
  if (!target.active) {
    await lv.domainSetMetadata({ ...args, flags: AFFECT_CONFIG });
    return;
  }
  try {
    await lv.domainSetMetadata({ ...args, flags: AFFECT_LIVE | AFFECT_CONFIG });
  } catch (e) {
    // A transient guest has no persistent definition: live only.
    if (!(e instanceof LibvirtError)) throw e;
    await lv.domainSetMetadata({ ...args, flags: AFFECT_LIVE });
  }
}

function setMetadata(
  lv: ProcedureMethods,
  op: Operation & { kind: 'set-intent' | 'remove-intent' },
  intent: CutIntent | null,
) {
  return setDomainMetadata(lv, op, intentUri(op.intent.cut), intent ? intentElement(intent) : null);
}

export async function runOperation(lv: LibvirtConnection, op: Operation): Promise<void> {
  switch (op.kind) {
    case 'define-filter':
      await lv.nwfilterDefineXml(op.xml);
      return;
    case 'undefine-filter':
      await lv.nwfilterUndefine(await lv.nwfilterLookupByName(op.target));
      return;
    case 'create-binding':
      try {
        await lv.nwfilterBindingCreateXml({ xml: op.xml, flags: 0 });
      } catch (e) {
        if (e instanceof LibvirtError && /already exists/.test(e.message))
          throw new ConflictError(`${op.target} got a binding from someone else meanwhile`);
        throw e;
      }
      return;
    case 'delete-binding':
      await lv.nwfilterBindingDelete(await lv.nwfilterBindingLookupByPortDev(op.target));
      return;
    case 'update-device':
      await lv.domainUpdateDeviceFlags({ dom: op.dom, xml: op.xml, flags: op.flags });
      return;
    case 'set-intent':
      await setMetadata(lv, op, op.intent);
      return;
    case 'remove-intent':
      await setMetadata(lv, op, null);
      return;
  }
}

function sameFilterXml(a: string, b: string): boolean {
  return serializeXml(parseNwfilter(a).xml) === serializeXml(parseNwfilter(b).xml);
}

async function currentFilterXml(lv: ProcedureMethods, name: string): Promise<string | null> {
  try {
    return await lv.nwfilterGetXmlDesc({ nwfilter: await lv.nwfilterLookupByName(name), flags: 0 });
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

/**
 * Checks, right before a planned write, that what it replaces is still what the plan read:
 * throws ConflictError otherwise, so the change re-reads and re-plans instead of overwriting
 * another writer's work. Creating a binding needs no check: libvirt refuses a second one.
 */
export async function checkPrecondition(lv: ProcedureMethods, op: Operation): Promise<void> {
  switch (op.kind) {
    case 'define-filter': {
      const now = await currentFilterXml(lv, op.target);
      const ok =
        op.previousXml === null ? now === null : now !== null && sameFilterXml(now, op.previousXml);
      if (!ok) throw new ConflictError(`${op.target} changed since it was read`);
      return;
    }
    case 'undefine-filter': {
      const now = await currentFilterXml(lv, op.target);
      if (now === null || !sameFilterXml(now, op.xml))
        throw new ConflictError(`${op.target} changed since it was read`);
      return;
    }
    case 'delete-binding': {
      let now: string | null = null;
      try {
        now = await lv.nwfilterBindingGetXmlDesc({
          nwfilter: await lv.nwfilterBindingLookupByPortDev(op.target),
          flags: 0,
        });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (
        now === null ||
        serializeXml(parseBinding(now).xml) !== serializeXml(parseBinding(op.xml).xml)
      )
        throw new ConflictError(`${op.target}'s binding changed since it was read`);
      return;
    }
    default:
      return;
  }
}

/** The operation that undoes `op` (rolling back a partly applied change, newest first). */
export function inverseOperation(op: Operation): Operation {
  switch (op.kind) {
    case 'update-device':
      return {
        ...op,
        xml: op.previousXml,
        previousXml: op.xml,
        description: `undo: ${op.description}`,
      };
    case 'set-intent':
      return op.previous
        ? {
            ...op,
            intent: op.previous,
            previous: op.intent,
            description: `undo: put back the earlier intent of this cut`,
          }
        : {
            ...op,
            kind: 'remove-intent',
            previous: null,
            description: `undo: remove the intent again`,
          };
    case 'remove-intent':
      return {
        ...op,
        kind: 'set-intent',
        previous: null,
        description: `undo: put the intent back`,
      };
    default:
      return inversePlannerOperation(op);
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
    case 'set-intent': {
      const xml = serializeXml(intentElement(op.intent));
      const where = op.active ? '--live --config' : '--config';
      return {
        ...base,
        xml,
        virsh: `metadata ${shellQuote(op.target)} ${shellQuote(intentUri(op.intent.cut))} --key ${INTENT_KEY} --set ${shellQuote(xml.trim())} ${where}`,
      };
    }
    case 'remove-intent': {
      const where = op.active ? '--live --config' : '--config';
      return {
        ...base,
        xml: null,
        virsh: `metadata ${shellQuote(op.target)} ${shellQuote(intentUri(op.intent.cut))} --remove ${where}`,
      };
    }
  }
}
