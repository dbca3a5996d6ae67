import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HostId } from '../../shared/api';
import type { HostProfile } from '../engine/types';
import { type GlobalOptions, globalsOf, main, program } from './main';
import { UsageError } from './options';
import { authFor, envTargets, expandTargets, type SavedHosts } from './targets';

const profile = (id: string, uri: string, label: string, auth: HostProfile['auth']) => ({
  id: id as HostId,
  uri,
  label,
  auth,
});

// As the app saves them: an ssh host with a key, one with the agent, this machine.
const HOSTS: HostProfile[] = [
  profile('kvm1', 'ssh://root@kvm1.example:2222', 'rack A', {
    method: 'key',
    keyPath: '/keys/a',
  }),
  profile('kvm2', 'qemu+ssh://ops@kvm2.example/system', 'kvm2', { method: 'agent' }),
  profile('local', 'qemu:///system', 'this machine', { method: 'local' }),
];
const SAVED: SavedHosts = { path: '/cfg/hosts.json', hosts: HOSTS };

const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
};

describe('expandTargets', () => {
  it('@saved: every saved host in the saved order, each with its saved auth and label', () => {
    const t = expandTargets(['@saved'], SAVED);
    expect(t.uris).toEqual(HOSTS.map((h) => h.uri));
    expect(t.saved.get('ssh://root@kvm1.example:2222')).toEqual({
      auth: { method: 'key', keyPath: '/keys/a' },
      label: 'rack A',
    });
    expect(t.saved.get('qemu:///system')?.auth).toEqual({ method: 'local' });
  });

  it('@LABEL picks one host by its label, else by its id; addresses pass through in order', () => {
    expect(expandTargets(['@rack A'], SAVED).uris).toEqual(['ssh://root@kvm1.example:2222']);
    expect(expandTargets(['kvm9', '@kvm1', 'qemu+ssh://x/system'], SAVED).uris).toEqual([
      'kvm9',
      'ssh://root@kvm1.example:2222',
      'qemu+ssh://x/system',
    ]);
    expect(expandTargets(['kvm9'], null)).toEqual({ uris: ['kvm9'], saved: new Map() });
  });

  it('names a host once, as saved, however its address is spelled', () => {
    // root@kvm1.example:2222 is the saved ssh://root@kvm1.example:2222.
    const t = expandTargets(['root@kvm1.example:2222', '@saved', '@rack A'], SAVED);
    expect(t.uris).toEqual([
      'root@kvm1.example:2222',
      'qemu+ssh://ops@kvm2.example/system',
      'qemu:///system',
    ]);
    expect(t.saved.get('root@kvm1.example:2222')?.auth).toEqual({
      method: 'key',
      keyPath: '/keys/a',
    });
  });

  it('an unknown label is a usage error listing the saved ones', () => {
    const e = thrown(() => expandTargets(['@kvm7'], SAVED));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toBe(
      "no host saved as 'kvm7' in /cfg/hosts.json; saved: rack A (kvm1), kvm2, this machine (local) (or -c @saved for all)",
    );
  });

  it('two hosts of one label: name one by its id', () => {
    const twice = {
      ...SAVED,
      hosts: [...HOSTS, profile('kvm3', 'kvm3', 'rack A', HOSTS[1]?.auth ?? { method: 'agent' })],
    };
    expect(thrown(() => expandTargets(['@rack A'], twice)).message).toMatch(
      /2 hosts saved in \/cfg\/hosts.json are labelled 'rack A': name one by its id \(kvm1, kvm3\)/,
    );
    expect(expandTargets(['@kvm3'], twice).uris).toEqual(['kvm3']);
  });

  it('nothing saved: a usage error saying where it looked', () => {
    const e = thrown(() => expandTargets(['@saved'], { path: '/cfg/hosts.json', hosts: [] }));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(/^-c @saved: no hosts are saved in \/cfg\/hosts.json /);
  });
});

describe('envTargets', () => {
  it('splits KVM_CHAOS_CONNECT on spaces and commas', () => {
    expect(envTargets('kvm1')).toEqual(['kvm1']);
    expect(envTargets(' kvm1, qemu+ssh://r@kvm2/system\tkvm3,,@saved \n')).toEqual([
      'kvm1',
      'qemu+ssh://r@kvm2/system',
      'kvm3',
      '@saved',
    ]);
  });
});

describe('authFor', () => {
  const saved = expandTargets(['@saved'], SAVED).saved;
  it('the saved auth, unless -i; the local socket never takes ssh auth; else the agent', () => {
    expect(authFor('ssh://root@kvm1.example:2222', { saved })).toEqual({
      method: 'key',
      keyPath: '/keys/a',
    });
    expect(authFor('ssh://root@kvm1.example:2222', { saved, key: '/k' })).toEqual({
      method: 'key',
      keyPath: '/k',
    });
    expect(authFor('qemu:///system', { saved, key: '/k' })).toEqual({ method: 'local' });
    expect(authFor('kvm9', { saved })).toEqual({ method: 'agent' });
  });
});

describe('the program reads -c', () => {
  let dir: string;
  const env = { config: process.env.KVM_CHAOS_CONFIG, connect: process.env.KVM_CHAOS_CONNECT };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-targets-'));
    process.env.KVM_CHAOS_CONFIG = dir;
    delete process.env.KVM_CHAOS_CONNECT;
  });
  afterEach(async () => {
    for (const [name, value] of [
      ['KVM_CHAOS_CONFIG', env.config],
      ['KVM_CHAOS_CONNECT', env.connect],
    ] as const)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });
  const saveHosts = () =>
    writeFile(join(dir, 'hosts.json'), JSON.stringify({ version: 1, hosts: HOSTS }));

  /** The globals a command's action sees, the program parsed as the binary would parse argv. */
  async function globalsFor(args: string[]): Promise<GlobalOptions> {
    const p = program();
    let seen: GlobalOptions | undefined;
    p.command('probe').action(() => {
      seen = globalsOf(p);
    });
    await p.parseAsync(['node', 'kvm-chaos', ...args, 'probe']);
    if (!seen) throw new Error('the action did not run');
    return seen;
  }

  it('without -c: the local socket, as before', async () => {
    const g = await globalsFor([]);
    expect([g.connect, g.targets]).toEqual(['qemu:///system', ['qemu:///system']]);
  });

  it('-c @saved -c kvm3: the hosts of the config folder, then kvm3', async () => {
    await saveHosts();
    const g = await globalsFor(['-c', '@saved', '-c', 'kvm3']);
    expect(g.targets).toEqual([...HOSTS.map((h) => h.uri), 'kvm3']);
    expect(g.connect).toBe('ssh://root@kvm1.example:2222');
    expect(g.saved?.get('ssh://root@kvm1.example:2222')?.auth).toEqual({
      method: 'key',
      keyPath: '/keys/a',
    });
    expect(g.saved?.has('kvm3')).toBe(false);
  });

  it('KVM_CHAOS_CONNECT lists several, @labels among them; -c overrides it', async () => {
    await saveHosts();
    process.env.KVM_CHAOS_CONNECT = 'kvm3,@kvm2 kvm4';
    expect((await globalsFor([])).targets).toEqual([
      'kvm3',
      'qemu+ssh://ops@kvm2.example/system',
      'kvm4',
    ]);
    expect((await globalsFor(['-c', 'kvm5'])).targets).toEqual(['kvm5']);
  });

  it('an unknown label or no saved hosts: exit 2 before anything is dialled, saying why', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['node', 'kvm-chaos', '-c', '@saved', 'guests'])).toBe(2);
    expect(String(stderr.mock.calls.at(-1)?.[0])).toContain(
      `-c @saved: no hosts are saved in ${join(dir, 'hosts.json')}`,
    );
    await saveHosts();
    expect(await main(['node', 'kvm-chaos', '-c', '@kvm7', '-c', 'kvm3', 'guests'])).toBe(2);
    expect(String(stderr.mock.calls.at(-1)?.[0])).toContain("no host saved as 'kvm7' in ");
    expect(String(stderr.mock.calls.at(-1)?.[0])).toContain('saved: rack A (kvm1), kvm2');
    await writeFile(join(dir, 'hosts.json'), '{"version": 2}');
    expect(await main(['node', 'kvm-chaos', '-c', '@saved', 'guests'])).toBe(2);
    expect(String(stderr.mock.calls.at(-1)?.[0])).toContain('cannot read the saved hosts');
  });

  it('--help says what -c takes', async () => {
    const help = program().helpInformation();
    expect(help).toContain('@saved');
    expect(help).toContain('KVM_CHAOS_CONNECT may list several');
  });
});
