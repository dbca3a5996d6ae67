// Writing a guest's labels (scenario selectors "label:role=db"): one <labels> element in the
// domain's metadata under LABELS_NS, one attribute per label, set like our cut intents (live and
// persistent, live only for a transient guest). Read back fresh from libvirt before the merge, so
// labels someone set with virsh meanwhile are kept.
import { type CallParams, type Guest, LabelKey, parseGuestId } from '../../shared/api';
import { LABELS_NS } from '../../shared/inventory/labels';
import { el, parseXml } from '../../shared/libvirt/xml';
import { isNotFound } from '../libvirt/errors';
import type { ProcedureMethods } from '../libvirt/procedures';
import { engineError } from './errors';
import type { HostSession } from './host-session';
import { type DomRef, METADATA_ELEMENT, setDomainMetadata } from './operations';

export type LabelsRequest = CallParams<'guests.labels'>;

/** VIR_DOMAIN_AFFECT_CURRENT: the live definition of a running guest, else the persistent one. */
const AFFECT_CURRENT = 0;

/** The request's problem in a sentence, or null; checked here too, whoever the caller is. */
function problemOf(req: LabelsRequest): string | null {
  for (const key of [...Object.keys(req.set), ...req.remove]) {
    const checked = LabelKey.safeParse(key);
    if (!checked.success)
      return `'${key}': ${checked.error.issues[0]?.message ?? 'not a label key'}`;
  }
  const both = req.remove.filter((k) => Object.hasOwn(req.set, k));
  if (both.length) return `${both.join(', ')}: both set and removed; say one`;
  return null;
}

async function currentLabels(lv: ProcedureMethods, dom: DomRef): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await lv.domainGetMetadata({
      dom,
      type: METADATA_ELEMENT,
      uri: LABELS_NS,
      flags: AFFECT_CURRENT,
    });
  } catch (e) {
    if (isNotFound(e)) return {};
    throw e;
  }
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseXml(text).attrs))
    if (key !== 'xmlns' && !key.startsWith('xmlns:')) labels[key.replace(/^[^:]*:/, '')] = value;
  return labels;
}

/**
 * Applies `set` and `remove` to the guest's labels (no labels left: the element goes), then
 * re-reads the host: the guest as the inventory now shows it, null if it vanished meanwhile.
 */
export async function writeLabels(s: HostSession, req: LabelsRequest): Promise<Guest | null> {
  const problem = problemOf(req);
  if (problem) throw engineError('invalid-request', problem);
  return s.exclusive(async () => {
    const lv = s.libvirt();
    let dom: DomRef;
    try {
      dom = await lv.domainLookupByUuid(parseGuestId(req.guestId).uuid);
    } catch (e) {
      if (isNotFound(e)) throw engineError('not-found', `no guest ${req.guestId}`);
      throw e;
    }
    const labels = { ...(await currentLabels(lv, dom)), ...req.set };
    for (const key of req.remove) delete labels[key];
    const element = Object.keys(labels).length ? el('labels', labels) : null;
    await setDomainMetadata(lv, { dom, active: dom.id > 0 }, LABELS_NS, element);
    await s.freshRead({ kind: 'operation' });
    return s.inventory?.guests.find((g) => g.id === req.guestId) ?? null;
  });
}
