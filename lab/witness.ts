// The host as virsh shows it (an independent witness: not our RPC client) and the `kvm-chaos`
// command run as a process of its own, for suites that judge what the CLI did and what it listed:
// byte-for-byte snapshots of bindings, filters and domains, and the flows the bound filters drop.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliRun, startKvmChaos } from './cli-process';
import { readLabState } from './lab';
import { virsh } from './run';

export type { CliRun } from './cli-process';

/**
 * Runs `node bin/kvm-chaos.js -c qemu:///system ARGS` (one process: a SIGKILL really ends the
 * engine). With crashAfterWrite, the CLI kills itself right after that write of its change.
 */
export function kvmChaos(
  args: readonly string[],
  opts: { crashAfterWrite?: number } = {},
): Promise<CliRun> {
  const env = { ...process.env };
  delete env.KVM_CHAOS_CRASH_AFTER_WRITE;
  if (opts.crashAfterWrite !== undefined)
    env.KVM_CHAOS_CRASH_AFTER_WRITE = String(opts.crashAfterWrite);
  return startKvmChaos(args, { env }).exited;
}

/** Runs the CLI; throws with what it said unless it exited 0. */
export async function kvmChaosOk(args: readonly string[]): Promise<CliRun> {
  const r = await kvmChaos(args);
  if (r.code !== 0)
    throw new Error(`kvm-chaos ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr}`);
  return r;
}

/** Runs the CLI and returns its JSON output; fails with what it said unless it exited 0. */
export async function kvmChaosJson<T>(args: readonly string[]): Promise<T> {
  return JSON.parse((await kvmChaosOk(['--json', ...args])).stdout) as T;
}

/** The tap of a running guest's (first) interface. */
export async function portOf(guest: string): Promise<string> {
  const { stdout } = await virsh(['domiflist', guest]);
  const port = stdout.trim().split(/\s+/)[0];
  if (!port?.startsWith('vnet')) throw new Error(`${guest} has no tap: ${stdout}`);
  return port;
}

/** libvirt's stock clean-traffic bound by hand to a lab guest's port: someone else's binding. */
export async function bindCleanTraffic(guest: string): Promise<void> {
  const g = (await readLabState()).guests.find((x) => x.name === guest);
  if (!g) throw new Error(`no ${guest} in the lab`);
  const uuid = (await virsh(['domuuid', guest])).stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), 'kvm-chaos-binding-'));
  try {
    const file = join(dir, 'binding.xml');
    await writeFile(
      file,
      `<filterbinding><owner><name>${guest}</name><uuid>${uuid}</uuid></owner><portdev name='${await portOf(guest)}'/><mac address='${g.mac}'/><filterref filter='clean-traffic'><parameter name='IP' value='${g.ip}'/></filterref></filterbinding>`,
    );
    await virsh(['nwfilter-binding-create', file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The XML virsh prints for everything kvm-chaos may write, keyed by name. */
export interface HostXml {
  /** portdev -> nwfilter-binding-dumpxml */
  readonly bindings: ReadonlyMap<string, string>;
  /** filter name -> nwfilter-dumpxml */
  readonly filters: ReadonlyMap<string, string>;
  /** domain name -> dumpxml (live) and dumpxml --inactive */
  readonly domains: ReadonlyMap<string, { live: string; inactive: string; running: boolean }>;
}

function column(stdout: string, index: number): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[index])
    .filter((x): x is string => !!x);
}

const MARK = '@@kvm-chaos-witness@@';

/** Runs many virsh commands in one virsh process (one connection, quick), outputs by key. */
async function virshBatch(commands: readonly { key: string; cmd: string }[]) {
  if (commands.length === 0) return new Map<string, string>();
  // virsh's echo ends without a newline: the key is closed by the mark again.
  const script = commands.map((c) => `echo ${MARK} ${c.key} ${MARK}; ${c.cmd}`).join('; ');
  const { stdout } = await virsh([script]);
  const out = new Map<string, string>();
  const parts = stdout.split(MARK);
  for (let i = 1; i + 1 < parts.length; i += 2)
    out.set((parts[i] as string).trim(), (parts[i + 1] as string).replace(/^\n/, ''));
  return out;
}

export async function hostXml(): Promise<HostXml> {
  const lists = await virshBatch([
    { key: 'bindings', cmd: 'nwfilter-binding-list' },
    { key: 'filters', cmd: 'nwfilter-list' },
    { key: 'domains', cmd: 'list --all --name' },
    { key: 'running', cmd: 'list --name' },
  ]);
  const ports = column(lists.get('bindings') ?? '', 0);
  const filters = column(lists.get('filters') ?? '', 1);
  const names = column(lists.get('domains') ?? '', 0);
  const running = new Set(column(lists.get('running') ?? '', 0));
  const dumps = await virshBatch([
    ...ports.map((p) => ({ key: `b/${p}`, cmd: `nwfilter-binding-dumpxml ${p}` })),
    ...filters.map((f) => ({ key: `f/${f}`, cmd: `nwfilter-dumpxml ${f}` })),
    ...names.map((d) => ({ key: `l/${d}`, cmd: `dumpxml ${d}` })),
    ...names.map((d) => ({ key: `i/${d}`, cmd: `dumpxml --inactive ${d}` })),
  ]);
  const get = (key: string) => {
    const v = dumps.get(key);
    if (v === undefined) throw new Error(`virsh printed nothing for ${key}`);
    return v;
  };
  return {
    bindings: new Map(ports.map((p) => [p, get(`b/${p}`)])),
    filters: new Map(filters.map((f) => [f, get(`f/${f}`)])),
    domains: new Map(
      names.map((d) => [
        d,
        { live: get(`l/${d}`), inactive: get(`i/${d}`), running: running.has(d) },
      ]),
    ),
  };
}

/** Names of our filters (kvm-chaos-*) with their XML. */
export function ourFilterXml(x: HostXml): Map<string, string> {
  return new Map([...x.filters].filter(([name]) => name.startsWith('kvm-chaos-')));
}

/** The <interface> elements of a domain's XML, as printed. */
export function interfacesOf(domainXml: string): string[] {
  return domainXml.match(/<interface[\s\S]*?<\/interface>/g) ?? [];
}

const attrs = (text: string): Record<string, string> =>
  Object.fromEntries([...text.matchAll(/([\w:-]+)=['"]([^'"]*)['"]/g)].map((m) => [m[1], m[2]]));

export interface WitnessPort {
  readonly guest: string;
  readonly mac: string;
  readonly portdev: string;
}

export interface WitnessIntent {
  readonly domain: string;
  readonly from: string;
  readonly to: string;
  readonly direction: string;
}

export interface Witness {
  /** Interfaces of running guests with their tap. */
  readonly ports: readonly WitnessPort[];
  /** portdev -> the filter its binding refers to. */
  readonly bindingFilter: ReadonlyMap<string, string>;
  /** Intents in the guests' (live, for running ones) metadata. */
  readonly intents: readonly WitnessIntent[];
  /** 'src>dst' -> the ports whose bound filter drops all traffic of that flow. */
  readonly dropped: ReadonlyMap<string, readonly string[]>;
  /** Ports whose binding carries someone else's filter (alone, or inside one of ours). */
  readonly protectedPorts: ReadonlySet<string>;
}

export const flowKey = (src: string, dst: string) => `${src}>${dst}`;

/** What the host holds, read from virsh's XML alone. */
export function witness(x: HostXml): Witness {
  const ports: WitnessPort[] = [];
  const intents: WitnessIntent[] = [];
  for (const [guest, d] of x.domains) {
    const xml = d.running ? d.live : d.inactive;
    if (d.running)
      for (const nic of interfacesOf(xml)) {
        const mac = /<mac address=['"]([^'"]+)['"]/.exec(nic)?.[1];
        const portdev = /<target dev=['"]([^'"]+)['"]/.exec(nic)?.[1];
        if (mac && portdev) ports.push({ guest, mac, portdev });
      }
    for (const m of xml.matchAll(/<(\w+):cut\b([^>]*?)\/?>/g)) {
      const a = attrs(m[2] ?? '');
      const ns = Object.entries(a).find(([k]) => k.startsWith('xmlns'))?.[1] ?? '';
      if (ns.startsWith('https://kvm-chaos.dev/xmlns/intent/') && a.from && a.to)
        intents.push({ domain: guest, from: a.from, to: a.to, direction: a.direction ?? '' });
    }
  }
  const bindingFilter = new Map<string, string>();
  const dropped = new Map<string, string[]>();
  const protectedPorts = new Set<string>();
  const notOurs = (name: string) => !name.startsWith('kvm-chaos-');
  for (const [portdev, xml] of x.bindings) {
    const filter = /<filterref filter=['"]([^'"]+)['"]/.exec(xml)?.[1] ?? '';
    bindingFilter.set(portdev, filter);
    const refs = [...(x.filters.get(filter) ?? '').matchAll(/<filterref filter=['"]([^'"]+)['"]/g)];
    if (notOurs(filter) || refs.some((r) => notOurs(r[1] ?? ''))) protectedPorts.add(portdev);
    const own = /<mac address=['"]([^'"]+)['"]/.exec(xml)?.[1] ?? '';
    for (const ref of (x.filters.get(filter) ?? '').matchAll(
      /<filterref filter=['"]kvm-chaos-drop-(in|out)-all['"]>([\s\S]*?)<\/filterref>/g,
    ))
      for (const p of (ref[2] ?? '').matchAll(/<parameter\b([^>]*)\/>/g)) {
        const peer = attrs(p[1] ?? '').value;
        if (!peer) continue;
        const key = ref[1] === 'in' ? flowKey(peer, own) : flowKey(own, peer);
        dropped.set(key, [...(dropped.get(key) ?? []), portdev]);
      }
  }
  return { ports, bindingFilter, intents, dropped, protectedPorts };
}

/** The flows a cut of all traffic drops. */
export function flowsOfCut(from: string, to: string, direction: string): string[] {
  return direction === 'both' ? [flowKey(from, to), flowKey(to, from)] : [flowKey(from, to)];
}

/** The differences between two snapshots, one line each ('' when byte-identical). */
export function diffHostXml(
  a: HostXml,
  b: HostXml,
  what: { filters: 'all' | 'ours'; domains: 'all' | 'interfaces' },
): string[] {
  const out: string[] = [];
  const compare = (
    kind: string,
    x: ReadonlyMap<string, string>,
    y: ReadonlyMap<string, string>,
  ) => {
    for (const k of new Set([...x.keys(), ...y.keys()]))
      if (x.get(k) !== y.get(k))
        out.push(
          `${kind} ${k}: ${!x.has(k) ? 'appeared' : !y.has(k) ? 'disappeared' : `changed\n--- before\n${x.get(k)}\n--- after\n${y.get(k)}`}`,
        );
  };
  compare('binding', a.bindings, b.bindings);
  // A port filter of ours that a repair removed (nothing named it) and a later protect made again
  // has a new uuid: libvirt's identity for it, not its content.
  const portFilterUuid = (m: ReadonlyMap<string, string>) =>
    new Map(
      [...m].map(([n, x]) => [
        n,
        n.startsWith('kvm-chaos-port-') ? x.replace(/\s*<uuid>[^<]*<\/uuid>/, '') : x,
      ]),
    );
  compare(
    'filter',
    portFilterUuid(what.filters === 'all' ? a.filters : ourFilterXml(a)),
    portFilterUuid(what.filters === 'all' ? b.filters : ourFilterXml(b)),
  );
  const dom = (x: HostXml, view: 'live' | 'inactive') =>
    new Map(
      [...x.domains].map(([n, d]) => [
        n,
        what.domains === 'all'
          ? `${d.running}\n${d[view]}`
          : // libvirt gives a live interface a new network port id on every update-device.
            `${d.running}\n${interfacesOf(d[view])
              .map((i) => i.replace(/ portid=['"][^'"]*['"]/, ''))
              .join('\n')}`,
      ]),
    );
  compare('domain (live)', dom(a, 'live'), dom(b, 'live'));
  compare('domain (inactive)', dom(a, 'inactive'), dom(b, 'inactive'));
  return out;
}
