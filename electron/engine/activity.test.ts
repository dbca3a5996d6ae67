import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ActivityEntry, ActivityOperation, HostId } from '../../shared/api';
import { activityScript } from './activity';
import { virshConnection } from './virsh-uri';

const host = 'kvm1' as HostId;
const op = (o: Partial<ActivityOperation> & Pick<ActivityOperation, 'kind' | 'target'>) =>
  ({
    hostId: host,
    description: '',
    xml: null,
    virsh: '',
    status: 'done',
    durationMs: 1,
    ...o,
  }) as ActivityOperation;
const BINDING = `<filterbinding>
  <owner>
    <name>db1</name>
    <uuid>b3fa2aff-828d-4a9e-a086-8d3353a5f360</uuid>
  </owner>
  <portdev name="vnet4"/>
  <mac address="52:54:00:00:00:11"/>
  <filterref filter="kvm-chaos-cut-db1-3893a5349a">
    <parameter name="KC_DOMAIN_ID" value="5"/>
  </filterref>
</filterbinding>
`;
const entry: ActivityEntry = {
  id: 'a1',
  at: 0,
  hostId: host,
  applyId: null,
  kind: 'apply',
  summary: 'cut db1 <-> db2',
  outcome: 'ok',
  operations: [
    op({
      kind: 'set-intent',
      target: 'db1',
      xml: '<cut/>',
      virsh: "metadata 'db1' 'https://x' --key kvmchaos --set '<cut/>' --live --config",
    }),
    op({ kind: 'define-filter', target: 'f', xml: '<filter name="f"/>', virsh: 'nwfilter-define' }),
    op({ kind: 'create-binding', target: 'vnet4', xml: BINDING, virsh: 'nwfilter-binding-create' }),
    op({ kind: 'delete-binding', target: 'vnet4', virsh: "nwfilter-binding-delete 'vnet4'" }),
    op({ kind: 'undefine-filter', target: 'f', virsh: "nwfilter-undefine 'f'", status: 'failed' }),
  ],
};

describe('the virsh script', () => {
  const owner = { guest: 'db1', mac: '52:54:00:00:00:11' };
  const script = activityScript(
    [entry],
    () =>
      virshConnection(
        { uri: 'ssh://root@kvm1:2222', auth: { method: 'key', keyPath: '/k' } },
        '/kh',
      ),
    (_e, o) => (o.kind === 'delete-binding' || o.kind === 'create-binding' ? owner : null),
  );

  it('sets the connection once, overridable, with a URI OpenSSH can use', () => {
    expect(script.match(/^export LIBVIRT_DEFAULT_URI=/gm)).toHaveLength(1);
    expect(script).toContain(
      `export LIBVIRT_DEFAULT_URI="\${KVM_CHAOS_URI_1:-qemu+ssh://root@kvm1:2222/system?keyfile=/k}"`,
    );
    expect(script).toMatch(
      /# host 1 \(kvm1\): ssh through OpenSSH: .*~\/\.ssh\/known_hosts .*\/kh/,
    );
    expect(script).not.toMatch(/known_hosts=|virsh -c/);
  });

  it('finds ports and the domain id at run time, and replays only what was done', () => {
    expect(script).not.toMatch(/binding-(create|delete) .*vnet4/);
    expect(script.match(/port=\$\(port_of 'db1' '52:54:00:00:00:11'\)/g)).toHaveLength(2);
    expect(script).toContain(`domid=$(virsh domid 'db1')`);
    expect(script).toContain('virsh nwfilter-binding-delete "$port"');
    expect(script).toContain("--set '<cut/>' --live --config\n");
    expect(script).not.toContain('nwfilter-undefine');
    expect(spawnSync('sh', ['-n'], { input: script }).status).toBe(0);
  });

  it('rewrites the port and domain id in the binding it creates', () => {
    const create = script.slice(script.indexOf('domid=$('));
    const sed = /^sed (.*) <<'(KVM_CHAOS_XML_\d+)'/m.exec(create);
    expect(sed).not.toBeNull();
    const r = spawnSync('sh', ['-c', `port=vnet9; domid=12; sed ${sed?.[1]}`], { input: BINDING });
    expect(r.stdout.toString()).toContain(`<portdev name='vnet9'/>`);
    expect(r.stdout.toString()).toContain(`<parameter name='KC_DOMAIN_ID' value='12'/>`);
  });
});

describe("virsh's URI for a host", () => {
  it('keeps what OpenSSH understands, drops known_hosts=, keeps an alias for ~/.ssh/config', () => {
    const c = (uri: string, auth = { method: 'agent' } as const) =>
      virshConnection({ uri, auth }, '/kh').uri;
    expect(c('qemu+ssh://root@h:2222/system?known_hosts=/x&keyfile=/k')).toBe(
      'qemu+ssh://root@h:2222/system?keyfile=/k',
    );
    expect(c('kvm1')).toBe('qemu+ssh://kvm1/system');
    expect(virshConnection({ uri: 'qemu:///system', auth: { method: 'local' } }, '/kh').uri).toBe(
      'qemu:///system',
    );
  });
});
