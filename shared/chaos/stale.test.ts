// libvirt 9.0 keeps bindings made through the API when their guest is destroyed (measured in
// the lab): the planner must not count such a binding as a cut, and must delete it.
import { describe, expect, it } from 'vitest';
import { parseBinding } from '../libvirt/binding';
import { parseDomain } from '../libvirt/domain';
import { fixture } from '../libvirt/fixtures';
import { listActiveCuts, planCuts } from './planner';
import { snapshotFromHost } from './snapshot';

const leftover = parseBinding(`<filterbinding>
  <owner><name>lab-node1</name><uuid>e3b65745-3b44-431d-8d46-7344a4a5a094</uuid></owner>
  <portdev name='vnet7'/>
  <mac address='52:54:00:00:00:11'/>
  <filterref filter='kvm-chaos-cut-lab-node1-828b132242'/>
</filterbinding>`);

describe('a binding of ours left on a port no guest has', () => {
  const domain = parseDomain(fixture('domain-lab-node1.xml'));
  const snapshot = snapshotFromHost({ domains: [domain], bindings: [leftover], filters: [] });

  it('is not a cut', () => {
    expect(domain.interfaces[0]?.target).not.toBe('vnet7');
    expect(listActiveCuts(snapshot)).toEqual([]);
  });

  it('is deleted by the next plan, and only it', () => {
    const plan = planCuts(snapshot, []);
    expect(plan.operations.map((o) => `${o.kind} ${o.target}`)).toEqual(['delete-binding vnet7']);
  });
});
