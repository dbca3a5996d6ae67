import { describe, expect, it } from 'vitest';
import { parseXml } from '../libvirt/xml';
import { labelsOfDomain } from './labels';

const domain = (metadata: string) =>
  parseXml(
    `<domain type='kvm'><name>lab-node1</name><uuid>e3b65745-3b44-431d-8d46-7344a4a5a094</uuid>${metadata}</domain>`,
  );

describe('labelsOfDomain', () => {
  it('reads one attribute per label from our element, as libvirt writes it back', () => {
    const xml = domain(`<metadata>
      <kvmchaos:cut xmlns:kvmchaos="https://kvm-chaos.dev/xmlns/intent/1/abc" from="52:54:00:00:00:11"/>
      <kvmchaos:labels xmlns:kvmchaos="https://kvm-chaos.dev/xmlns/labels/1" role="db" zone="a"/>
    </metadata>`);
    expect(labelsOfDomain(xml)).toEqual({ role: 'db', zone: 'a' });
  });

  it('is empty without metadata, and ignores a labels element in another namespace', () => {
    expect(labelsOfDomain(domain(''))).toEqual({});
    const other = domain(
      `<metadata><x:labels xmlns:x="https://example.org/labels" role="web"/></metadata>`,
    );
    expect(labelsOfDomain(other)).toEqual({});
  });
});
