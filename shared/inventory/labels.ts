// A guest's labels, for scenario selectors ("label:role=db"): kept in the domain's libvirt
// metadata like our cut intents, one element <labels> under a namespace of its own, one
// attribute per label, so people set them with virsh alone:
//   virsh metadata GUEST --uri https://kvm-chaos.dev/xmlns/labels/1 --key kvmchaos \
//     --set '<labels role="db" zone="a"/>'
import { elements, type XmlElement } from '../libvirt/xml';

export const LABELS_NS = 'https://kvm-chaos.dev/xmlns/labels/1';

function isLabelsElement(e: XmlElement): boolean {
  const inNamespace = Object.entries(e.attrs).some(
    ([k, v]) => k.startsWith('xmlns') && v === LABELS_NS,
  );
  return inNamespace && (e.name === 'labels' || e.name.endsWith(':labels'));
}

/** The labels in a domain's XML (live or persistent); {} when it has none. */
export function labelsOfDomain(domainXml: XmlElement): Record<string, string> {
  const metadata = elements(domainXml, 'metadata')[0];
  const element = metadata ? elements(metadata).find(isLabelsElement) : undefined;
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(element?.attrs ?? {}))
    if (key !== 'xmlns' && !key.startsWith('xmlns:')) labels[key.replace(/^[^:]*:/, '')] = value;
  return labels;
}
