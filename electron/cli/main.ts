// `kvm-chaos`: the engine for people who script chaos. Connects to one host, runs one command,
// prints a short table (or --json), and exits with a code scripts can trust (exit-codes.ts).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError, Option } from 'commander';
import {
  type ApplyRequest,
  type ApplyResult,
  ChaosApiError,
  type CutRequest,
  type CutScope,
  type Guest,
  type GuestId,
  type HostAuth,
  type HostInventory,
  type HostSummary,
  type OutsideEnd,
  type PartitionRequest,
  parseGuestId,
  type Result,
  unwrap,
} from '../../shared/api';
import { segmentJoin, sharedSegments } from '../../shared/inventory/fabric';
import { GATEWAY_WORD, outsideEndFor } from '../../shared/inventory/gateway';
import { resolveGroups } from '../../shared/inventory/segment-groups';
import {
  guestsNamed,
  nameClash,
  ScenarioError,
  type SegmentOf,
  sharedInterfaces as sharedSegmentInterfaces,
} from '../../shared/scenario';
import { createEngine } from '../engine';
import { memoryProfiles } from '../engine/profiles';
import type { Engine } from '../engine/types';
import { DEFAULT_TIMEOUT_SECONDS, Deadline, STEP_SECONDS, StallError } from './deadline';
import { EXIT_HELP, Exit, ExitWith, exitCodeFor } from './exit-codes';
import {
  bindingsTable,
  cutsTable,
  filterTreeText,
  guestsTable,
  interruptionsText,
  planText,
  presetsTable,
} from './format';
import { labelPairs, labelsText } from './label';
import {
  checkedParams,
  checkedTarget,
  decimalArg,
  durationArg,
  portArg,
  UsageError,
} from './options';
import { registerRun } from './run';
import { cliProfiles, registerSegments, savedHostsPath } from './segments';
import { authFor, envTargets, resolveTargets, type SavedTargets, type Targets } from './targets';

/** Each program's -c list once expanded (the preAction hook), for globalsOf. */
const expanded = new WeakMap<Command, Targets>();

/**
 * The global options of a parsed program, -c expanded: the hosts of `@saved`/`@LABEL` and of
 * KVM_CHAOS_CONNECT's list. Read in an action (the expansion runs just before it).
 */
export function globalsOf(p: Command): GlobalOptions {
  const o = p.opts<Omit<GlobalOptions, 'connect'> & { connect: string | string[] }>();
  const given = expanded.get(p) ?? { uris: givenTargets(p), saved: new Map() };
  return { ...o, connect: given.uris[0] as string, targets: given.uris, saved: given.saved };
}

/** Every -c as given; KVM_CHAOS_CONNECT may list several, separated by spaces or commas. */
function givenTargets(p: Command): string[] {
  const c = p.opts<{ connect: string | string[] }>().connect;
  const given = Array.isArray(c) ? c : [c];
  return p.getOptionValueSource('connect') === 'env' ? given.flatMap(envTargets) : given;
}

export interface GlobalOptions {
  /** The first host (`-c`); commands that take several hosts read `targets`. */
  connect: string;
  /** Every host of `-c`, in order, `@saved`/`@LABEL` expanded (one when only one was). */
  targets?: string[];
  /** The saved hosts among `targets` (`-c @…`): their saved auth, unless -i is given. */
  saved?: SavedTargets;
  key?: string;
  knownHosts: string;
  acceptNewHostKey?: boolean;
  json?: boolean;
  timeout?: number;
  /** Print no line per libvirt operation (`run` reports each step instead). */
  quietOperations?: boolean;
}

const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

async function ask(question: string, hidden = false): Promise<string | null> {
  if (!process.stdin.isTTY) return null;
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (hidden) {
    // Echo nothing while the passphrase is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
    process.stderr.write(question);
  }
  try {
    return await rl.question(hidden ? '' : question);
  } finally {
    if (hidden) process.stderr.write('\n');
    rl.close();
  }
}

export interface Session {
  api: Engine;
  /** The first host; `hosts` holds every one connected (several `-c`). */
  host: HostSummary;
  hosts: HostSummary[];
  deadline: Deadline;
  /** The hosts' inventories as one (several hosts: their guests, cuts and bindings together). */
  inventory(): Promise<HostInventory>;
}

/** Connects within the deadline; a drop of the connection afterwards ends the command (exit 3). */
async function connect(api: Engine, o: GlobalOptions, deadline: Deadline): Promise<Session> {
  const hostIds = new Set<string>();
  api.subscribe((e) => {
    if (
      e.type === 'host.state' &&
      hostIds.has(e.status.hostId) &&
      (e.status.state === 'lost' || e.status.state === 'reconnecting')
    ) {
      const why = e.status.error ? `: ${e.status.error.message}` : '';
      deadline.fail(
        new StallError(
          `the connection to ${deadline.host} dropped${why}; a one-shot command does not reconnect`,
        ),
      );
    } else if (e.type === 'hostKey.prompt') {
      const p = e.prompt;
      const accept = async () => {
        err(`host key of ${p.host}:${p.port} is not known: ${p.keyType} ${p.fingerprint}`);
        if (o.acceptNewHostKey) {
          err(
            `trusting it on first use (--accept-new-host-key), remembered in ${p.knownHostsPath}`,
          );
          return true;
        }
        const a = await ask('Trust this key and remember it? [y/N] ');
        if (a === null)
          err('not a terminal: refusing; check the fingerprint and pass --accept-new-host-key');
        return a !== null && /^y(es)?$/i.test(a.trim());
      };
      void accept().then((yes) => api['hostKey.answer']({ promptId: p.promptId, accept: yes }));
    } else if (
      e.type === 'apply.progress' &&
      !o.quietOperations &&
      e.status !== 'running' &&
      e.status !== 'pending'
    ) {
      err(
        `[${e.index + 1}/${e.total}] ${e.status}: ${e.description}${e.error ? ` (${e.error.message})` : ''}`,
      );
    } else if (e.type === 'passphrase.prompt') {
      const p = e.prompt;
      void ask(`${p.retry ? 'Wrong passphrase. ' : ''}Passphrase for ${p.keyPath}: `, true).then(
        (pw) => api['passphrase.answer']({ promptId: p.promptId, passphrase: pw }),
      );
    }
  });
  // `run` may put a scenario file's host in `connect`: then that one host, not the -c list.
  const targets = o.targets?.[0] === o.connect ? o.targets : [o.connect];
  const hosts = await Promise.all(
    targets.map(async (uri) => {
      const auth: HostAuth = authFor(uri, o);
      // A saved host (-c @…) keeps its saved label in messages, as the app names it.
      const label = o.saved?.get(uri)?.label;
      const added = unwrap(
        await api['hosts.add'](
          checkedParams('hosts.add', { uri, auth, ...(label ? { label } : {}) }),
        ),
      );
      hostIds.add(added.id);
      return unwrap(
        await deadline.step(
          `the connection to ${added.label} (ssh, then libvirt's handshake and first reads)`,
          api['hosts.connect']({ hostId: added.id }),
          STEP_SECONDS.connect,
        ),
      );
    }),
  );
  const host = hosts[0] as HostSummary;
  return {
    api,
    host,
    hosts,
    deadline,
    inventory: async () => {
      const all = await Promise.all(
        hosts.map(async (h) =>
          unwrap(
            await deadline.step(
              `the inventory of ${h.label} (guests, ports, bindings)`,
              api['inventory.get']({ hostId: h.id }),
              STEP_SECONDS.read,
            ),
          ),
        ),
      );
      return all.length === 1 ? (all[0] as HostInventory) : mergeInventories(all);
    },
  };
}

/** Several hosts' inventories as one, for the tables and guest names of a command. */
function mergeInventories(all: HostInventory[]): HostInventory {
  const first = all[0] as HostInventory;
  return {
    ...first,
    hostname: all.map((i) => i.hostname).join(', '),
    segments: all.flatMap((i) => i.segments),
    guests: all.flatMap((i) => i.guests),
    bindings: all.flatMap((i) => i.bindings),
    filters: all.flatMap((i) => i.filters),
    cuts: all.flatMap((i) => i.cuts),
    interruptions: all.flatMap((i) => i.interruptions),
  };
}

/** Closes the engine, but never waits long on a host that stopped answering. */
async function closeEngine(api: Engine): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    api.close().catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 3000);
    }),
  ]);
  clearTimeout(timer);
}

/** A guest by name or uuid; `name@host` picks one of several hosts' guests of that name. */
function findGuest(inv: HostInventory, name: string): Guest {
  // The same resolution as a scenario's selectors (shared/scenario/select.ts).
  const found = guestsNamed(inv.guests, name);
  if (found.length === 0)
    throw new UsageError(`no guest named '${name}' on ${inv.hostname} (see 'kvm-chaos guests')`);
  if (found.length > 1) throw new UsageError(nameClash(name, found));
  return found[0] as Guest;
}

/**
 * Which segments of the -c hosts are one L2 segment: joined on a lease or the saved groups, the
 * join chaos.apply and partition plan with (shared/inventory/fabric.ts).
 */
async function hostsSegmentJoin(s: Session): Promise<SegmentOf> {
  const inventories = await Promise.all(
    s.hosts.map(async (h) => unwrap(await s.api['inventory.get']({ hostId: h.id }))),
  );
  const groups = unwrap(await s.api['segments.list']({}));
  return segmentJoin(sharedSegments(inventories, resolveGroups(groups, inventories)));
}

/** The interfaces of two guests that share a segment (shared/scenario's rule), as a usage error. */
function sharedInterfaces(
  a: Guest,
  b: Guest,
  segment: string | undefined,
  segmentOf: SegmentOf,
): [CutRequest['from'], CutRequest['to']] {
  try {
    return sharedSegmentInterfaces(a, b, segment, '--segment', segmentOf);
  } catch (e) {
    if (e instanceof ScenarioError)
      throw new UsageError(e.problems.map((p) => p.message).join('; '));
    throw e;
  }
}

/** A guest's first interface and the outside target, in the order the cut drops traffic. */
function outsideEnds(
  inv: HostInventory,
  guest: Guest,
  target: string,
  inbound: boolean,
): [CutRequest['from'], CutRequest['to']] {
  const nic = guest.interfaces[0];
  if (!nic) throw new UsageError(`${guest.name} has no interface to cut`);
  let outside: OutsideEnd;
  try {
    outside = outsideEndFor(inv, guest, target);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const own = { guestId: guest.id, mac: nic.mac };
  return inbound ? [outside, own] : [own, outside];
}

function scopeOf(o: { scope: string; port?: number }): CutScope {
  switch (o.scope) {
    case 'all':
    case 'ipv4':
    case 'icmp':
      if (o.port !== undefined) throw new UsageError('--port goes with --scope tcp or udp');
      return { kind: o.scope };
    case 'tcp':
    case 'udp':
      return o.port === undefined ? { kind: o.scope } : { kind: o.scope, port: o.port };
    default:
      throw new UsageError(`--scope must be all, ipv4, tcp, udp or icmp, not '${o.scope}'`);
  }
}

const DURATION_NOTE =
  'the expiry is kept on the host: this command, the app, serve or `kvm-chaos watch` heals it when the time is up, and if none runs then, the next one to connect does (or `kvm-chaos heal --expired` from cron)';

async function applyAndReport(
  s: Session,
  o: GlobalOptions,
  request: ApplyRequest,
  duration?: number,
): Promise<void> {
  const result = unwrap(
    await s.deadline.step('the change to be applied', s.api['chaos.apply'](request)),
  );
  report(o, result);
  if (duration !== undefined && !result.dryRun) {
    err(`waiting ${duration} s; ${DURATION_NOTE}`);
    await new Promise((r) => setTimeout(r, duration * 1000 + 500));
    // This engine keeps promises, so it heals expired cuts itself (so may any other instance);
    // heal what is still due here too, then wait until none of ours is left.
    const inventory = await s.inventory();
    if (inventory.cuts.some((c) => result.cutIds.includes(c.id) && c.state === 'expired'))
      unwrap(
        await s.deadline.step(
          'the heal at the end of --duration',
          s.api['chaos.heal']({ expired: true }),
        ),
      );
    if (!o.json) out('healed (duration over)');
  }
}

const ALLOW_WINDOW_HELP =
  "go ahead when the change must replace someone else's binding, leaving that port without any rule for about a second (refused otherwise, exit 2)";

interface ChangeFlags {
  dryRun?: boolean;
  allowUnfilteredWindow?: boolean;
  run?: string;
}

function changeFlags(o: ChangeFlags) {
  return {
    ...(o.dryRun ? { dryRun: true } : {}),
    ...(o.allowUnfilteredWindow ? { allowUnfilteredWindow: true } : {}),
    ...(o.run !== undefined ? { runId: o.run } : {}),
  };
}

function withInterruptions(text: string, inv: HostInventory): string {
  const extra = interruptionsText(inv);
  return extra ? `${text}\n\n${extra}` : text;
}

function report(o: GlobalOptions, r: ApplyResult) {
  out(o.json ? JSON.stringify(r, null, 2) : planText(r));
}

function print<T>(o: GlobalOptions, value: T, human: (v: T) => string) {
  out(o.json ? JSON.stringify(value, null, 2) : human(value));
}

export function program(): Command {
  const p = new Command('kvm-chaos')
    .description(
      'Network chaos for KVM guests: partition, heal and protect them with libvirt nwfilter bindings',
    )
    .addOption(
      new Option(
        '-c, --connect <target>',
        'host: ssh://user@host[:port], qemu+ssh://user@host/system, an ~/.ssh/config alias, or qemu:///system (the local socket); repeatable; @saved: every host the app or serve saved (with its saved auth), @LABEL: one of them; KVM_CHAOS_CONNECT may list several, separated by spaces or commas',
      )
        .env('KVM_CHAOS_CONNECT')
        .default('qemu:///system')
        // Repeatable: `-c kvm1 -c kvm2` works on both hosts' guests as one set.
        .argParser((v: string, previous: string | string[]) =>
          Array.isArray(previous) ? [...previous, v] : [v],
        ),
    )
    .option('-i, --key <path>', 'ssh private key (default: ssh-agent and ~/.ssh/config)')
    .option(
      '--known-hosts <path>',
      'known_hosts to verify the host key against',
      join(homedir(), '.ssh', 'known_hosts'),
    )
    .option(
      '--accept-new-host-key',
      'trust an unknown host key on first use (a changed key is always refused)',
    )
    .option('--json', 'machine-readable output')
    .option(
      '--timeout <seconds>',
      `give up (exit 3) when the command takes longer (default ${DEFAULT_TIMEOUT_SECONDS.read} s for reads, ${DEFAULT_TIMEOUT_SECONDS.change} s for changes, plus any --duration)`,
      decimalArg('--timeout', 1, 86_400),
    )
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError()
    .exitOverride();

  // `@saved` and `@LABEL` become the saved hosts before any command reads -c.
  p.hook('preAction', async () => {
    expanded.set(p, await resolveTargets(givenTargets(p), savedHostsPath()));
  });
  const g = (): GlobalOptions => globalsOf(p);
  const withSession =
    (
      f: (s: Session, o: GlobalOptions, ...a: never[]) => Promise<void>,
      kind: keyof typeof DEFAULT_TIMEOUT_SECONDS = 'read',
    ) =>
    async (...args: unknown[]) => {
      const o = g();
      // commander passes the command's options second to last; --duration adds its wait.
      const duration = (args.at(-2) as { duration?: number } | undefined)?.duration ?? 0;
      const deadline = new Deadline(
        (o.timeout ?? DEFAULT_TIMEOUT_SECONDS[kind]) + duration,
        (o.targets ?? [o.connect]).map(checkedTarget).join(', '),
      );
      // Reads never write: only a command that waits on --duration keeps the host's promises.
      // Hosts from -c; segments joined by the user from the saved hosts.json (segments.ts).
      const api = await createEngine({
        profiles: cliProfiles(),
        knownHostsPath: o.knownHosts,
        face: 'cli',
        keepPromises: duration > 0,
      });
      try {
        const s = await connect(api, o, deadline);
        await deadline.step(
          'the command to finish',
          (f as (s: Session, o: GlobalOptions, ...a: unknown[]) => Promise<void>)(s, o, ...args),
        );
      } finally {
        await closeEngine(api);
      }
    };

  const withChange = (f: Parameters<typeof withSession>[0]) => withSession(f, 'change');

  p.command('guests')
    .description('list guests with their interfaces, ports, IPs and protection')
    .action(
      withSession(async (s, o) =>
        print(o, await s.inventory(), (inv) => withInterruptions(guestsTable(inv), inv)),
      ),
    );

  p.command('bindings')
    .description('list every nwfilter binding, per port')
    .action(
      withSession(async (s, o) => {
        const inv = await s.inventory();
        print(o, inv.bindings, (b) => withInterruptions(bindingsTable(b), inv));
      }),
    );

  p.command('cuts')
    .description(
      'list the cuts the host holds: their intent (author, expiry) from the host, their state from its bindings',
    )
    .action(
      withSession(async (s, o) => {
        const inv = await s.inventory();
        if (o.json) print(o, { cuts: inv.cuts, interruptions: inv.interruptions }, () => '');
        else
          out(
            withInterruptions(inv.cuts.length ? cutsTable(inv.cuts, inv.guests) : 'no cuts', inv),
          );
      }),
    );

  p.command('binding')
    .description("show one port's binding: libvirt's XML and its rules in plain words")
    .argument('<port>', 'the vnet, e.g. vnet3')
    .action(
      withSession(async (s, o, port: string) => {
        const inv = await s.inventory();
        const here = { ...inv, interruptions: inv.interruptions.filter((i) => i.portdev === port) };
        const b = inv.bindings.find((x) => x.portdev === port);
        const isPort = inv.guests.some((g) => g.interfaces.some((i) => i.portdev === port));
        if (!b && (isPort || here.interruptions.length > 0)) {
          // A port without a binding is an answer, not an error: say what that means for it.
          print(
            o,
            { xml: null, nodes: [], parameters: [], interruptions: here.interruptions },
            () => withInterruptions(`${port} has no binding: no filter, all traffic passes`, here),
          );
          return;
        }
        const holders = new Set(
          inv.guests
            .filter((x) => x.interfaces.some((i) => i.portdev === port))
            .map((x) => parseGuestId(x.id as GuestId).hostId),
        );
        if (holders.size > 1)
          throw new UsageError(`${port} is a port on ${[...holders].join(' and ')}: give one -c`);
        const hostId = [...holders][0] ?? s.host.id;
        const { xml } = unwrap(await s.api['bindings.xml']({ hostId, portdev: port }));
        const tree = unwrap(
          await s.api['filters.tree']({
            hostId,
            filter: b?.filter ?? '',
            portdev: port,
          }),
        );
        print(o, { xml, ...tree, interruptions: here.interruptions }, (v) =>
          withInterruptions(`${v.xml.trimEnd()}\n\n${filterTreeText(v.nodes)}`, here),
        );
      }),
    );

  p.command('presets')
    .description('list the spoof-protection presets')
    .action(async () => {
      const o = g();
      const api = await createEngine({ profiles: memoryProfiles(), knownHostsPath: o.knownHosts });
      try {
        print(o, unwrap(await api['presets.list']({})), presetsTable);
      } finally {
        await api.close();
      }
    });

  const cutOptions = (c: Command) =>
    c
      .option('--scope <scope>', 'all, ipv4, tcp, udp or icmp', 'all')
      .option('--port <n>', 'destination port (with --scope tcp or udp)', portArg)
      .option('--duration <seconds>', `heal after this long (${DURATION_NOTE})`, durationArg)
      .option('--run <id>', 'the scenario or pipeline run this cut belongs to (heal --run ID)')
      .option('--dry-run', 'print the plan (XML and order of operations), change nothing')
      .option('--allow-unfiltered-window', ALLOW_WINDOW_HELP);

  cutOptions(
    p
      .command('cut')
      .description(
        'cut the link between two guests, or a guest from addresses outside the guests (both ways unless --one-way)',
      )
      .argument('<a>', 'guest name')
      .argument('[b]', 'guest name (leave out with --outside)')
      .option('--one-way', 'drop only traffic from <a> to <b> (or to the outside)')
      .option(
        '--outside <target>',
        `cut <a> from addresses outside the guests: an IPv4 address, a network a.b.c.d/n, a DNS name (resolved once, here) or '${GATEWAY_WORD}' (its libvirt network's address); IPv4 traffic only`,
      )
      .option('--inbound', 'with --one-way --outside: drop only traffic from the outside to <a>')
      .option('--segment <name>', 'the network or bridge, when the guests share several'),
  ).action(
    withChange(async (s, o, a: string, b: string | undefined, c: Record<string, never>) => {
      const opts = c as unknown as {
        oneWay?: boolean;
        outside?: string;
        inbound?: boolean;
        segment?: string;
        scope: string;
        port?: number;
        duration?: number;
        dryRun?: boolean;
        run?: string;
        allowUnfilteredWindow?: boolean;
      };
      const inv = await s.inventory();
      if ((b === undefined) === (opts.outside === undefined))
        throw new UsageError('give the other guest <b>, or --outside TARGET, not both');
      if (opts.inbound && !(opts.oneWay && opts.outside))
        throw new UsageError('--inbound goes with --one-way --outside');
      const [from, to] =
        b !== undefined
          ? sharedInterfaces(
              findGuest(inv, a),
              findGuest(inv, b),
              opts.segment,
              s.hosts.length > 1 ? await hostsSegmentJoin(s) : (id) => id,
            )
          : outsideEnds(inv, findGuest(inv, a), opts.outside as string, opts.inbound ?? false);
      const request: ApplyRequest = checkedParams('chaos.apply', {
        cuts: [{ from, to, direction: opts.oneWay ? 'one-way' : 'both', scope: scopeOf(opts) }],
        ...(opts.duration ? { durationSeconds: opts.duration } : {}),
        ...changeFlags(opts),
      });
      await applyAndReport(s, o, request, opts.duration);
    }),
  );

  p.command('partition')
    .description('partition guests by a Jepsen topology')
    .argument(
      '<topology>',
      'isolate | halves | majority-minority | majorities-ring | bridge | groups',
    )
    .argument('<guests...>', "guest names; for 'groups', comma-separated groups: a,b c,d")
    .option('--duration <seconds>', `heal after this long (${DURATION_NOTE})`, durationArg)
    .option('--run <id>', 'the scenario or pipeline run these cuts belong to (heal --run ID)')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--allow-unfiltered-window', ALLOW_WINDOW_HELP)
    .action(
      withChange(async (s, o, topology: string, names: string[], c: Record<string, never>) => {
        const opts = c as unknown as ChangeFlags & { duration?: number };
        const inv = await s.inventory();
        const ids = (list: string[]) => list.map((n) => findGuest(inv, n).id as GuestId);
        let partition: PartitionRequest;
        if (topology === 'groups') {
          partition = { topology, groups: names.map((grp) => ids(grp.split(',').filter(Boolean))) };
        } else if (
          ['isolate', 'halves', 'majority-minority', 'majorities-ring', 'bridge'].includes(topology)
        ) {
          partition = { topology, guestIds: ids(names) } as PartitionRequest;
        } else {
          throw new UsageError(`unknown topology '${topology}'`);
        }
        const request: ApplyRequest = checkedParams('chaos.apply', {
          partition,
          ...(opts.duration ? { durationSeconds: opts.duration } : {}),
          ...changeFlags(opts),
        });
        await applyAndReport(s, o, request, opts.duration);
      }),
    );

  p.command('heal')
    .description('heal cuts: by id, every cut of a guest, of a run, the expired ones, or all')
    .argument('[cut-ids...]')
    .option('--all', 'every cut on the host')
    .option('--guest <name>', 'every cut of this guest')
    .option('--run <id>', 'every cut a run made (kvm-chaos cut/partition --run ID)')
    .option('--expired', 'only cuts whose expiry has passed (for cron)')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--allow-unfiltered-window', ALLOW_WINDOW_HELP)
    .action(
      withChange(async (s, o, cutIds: string[], c: Record<string, never>) => {
        const opts = c as unknown as ChangeFlags & {
          all?: boolean;
          guest?: string;
          expired?: boolean;
        };
        const flags = changeFlags(opts);
        const chosen = [
          opts.all,
          opts.guest !== undefined,
          opts.run !== undefined,
          opts.expired,
          cutIds.length > 0,
        ].filter(Boolean).length;
        if (chosen !== 1)
          throw new UsageError(
            'say what to heal: cut ids, --guest NAME, --run ID, --expired or --all',
          );
        const r: Result<ApplyResult> = opts.all
          ? await s.api['chaos.heal'](
              s.hosts.length === 1 ? { hostId: s.host.id, ...flags } : { all: true, ...flags },
            )
          : opts.expired
            ? await s.api['chaos.heal']({ expired: true, ...flags })
            : opts.run !== undefined
              ? await s.api['chaos.heal']({ runId: opts.run, ...flags })
              : opts.guest !== undefined
                ? await s.api['chaos.heal']({
                    guestId: findGuest(await s.inventory(), opts.guest).id,
                    ...flags,
                  })
                : await s.api['chaos.heal']({ cutIds: cutIds as never, ...flags });
        report(o, unwrap(r));
      }),
    );

  p.command('repair')
    .description(
      'make the host hold exactly what its cuts ask: repair what an interrupted change left, put back cuts not in force, heal expired ones',
    )
    .option('--dry-run', 'print the plan, change nothing')
    .option('--allow-unfiltered-window', ALLOW_WINDOW_HELP)
    .action(
      withChange(async (s, o, c: Record<string, never>) => {
        const opts = c as unknown as ChangeFlags;
        for (const h of s.hosts)
          report(
            o,
            unwrap(
              await s.api['chaos.repair']({
                hostId: h.id,
                dryRun: opts.dryRun ?? false,
                allowUnfilteredWindow: opts.allowUnfilteredWindow ?? false,
              }),
            ),
          );
      }),
    );

  p.command('watch')
    .description(
      "keep the host's promises and nothing else: heal cuts when they expire, put back cuts whose guest came back, whoever made them (runs until stopped; see the README for a systemd unit)",
    )
    .action(async () => {
      const { watch } = await import('./watch');
      const targets = g().targets ?? [g().connect];
      targets.forEach(checkedTarget); // refuses what is not a libvirt address, as every command does
      await watch({
        connect: targets,
        saved: g().saved,
        knownHostsPath: g().knownHosts,
        key: g().key,
        json: g().json ?? false,
      });
    });

  p.command('protect')
    .description("set a spoof-protection preset on a guest's interface (live and persistent)")
    .argument('<guest>')
    .option('--preset <id>', "see 'kvm-chaos presets'", 'clean-traffic')
    .option('--mac <mac>', 'the interface (default: the only one)')
    .option('--ip <address...>', 'pin the IP explicitly (default: what the host knows)')
    .option('--param <name=value...>', 'other preset parameters')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--allow-unfiltered-window', ALLOW_WINDOW_HELP)
    .action(
      withChange(async (s, o, name: string, c: Record<string, never>) => {
        const opts = c as unknown as {
          preset: string;
          mac?: string;
          ip?: string[];
          param?: string[];
          dryRun?: boolean;
          allowUnfilteredWindow?: boolean;
        };
        const guest = findGuest(await s.inventory(), name);
        const mac = interfaceOf(guest, opts.mac);
        const parameters = [
          ...(opts.ip ?? []).map((value) => ({ name: 'IP', value })),
          ...(opts.param ?? []).map((kv) => {
            const i = kv.indexOf('=');
            if (i < 1) throw new UsageError(`--param takes name=value, not '${kv}'`);
            return { name: kv.slice(0, i), value: kv.slice(i + 1) };
          }),
        ];
        const r = await s.api['protection.set']({
          guestId: guest.id,
          mac,
          presetId: opts.preset,
          parameters,
          dryRun: opts.dryRun ?? false,
          allowUnfilteredWindow: opts.allowUnfilteredWindow ?? false,
        });
        report(o, unwrap(r));
      }),
    );

  p.command('unprotect')
    .description("remove the spoof protection from a guest's interface (live and persistent)")
    .argument('<guest>')
    .option('--mac <mac>', 'the interface (default: the only one)')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--allow-unfiltered-window', ALLOW_WINDOW_HELP)
    .action(
      withChange(async (s, o, name: string, c: Record<string, never>) => {
        const opts = c as unknown as {
          mac?: string;
          dryRun?: boolean;
          allowUnfilteredWindow?: boolean;
        };
        const guest = findGuest(await s.inventory(), name);
        const r = await s.api['protection.clear']({
          guestId: guest.id,
          mac: interfaceOf(guest, opts.mac),
          dryRun: opts.dryRun ?? false,
          allowUnfilteredWindow: opts.allowUnfilteredWindow ?? false,
        });
        report(o, unwrap(r));
      }),
    );

  p.command('label')
    .description(
      "show or change a guest's labels (scenario selectors label:key=value), kept in its libvirt metadata",
    )
    .argument('<guest>')
    .argument('[labels...]', 'key=value to set; none (and no --remove): list them')
    .option('--remove <key...>', 'labels to remove')
    .action(
      withChange(async (s, o, name: string, pairs: string[], c: Record<string, never>) => {
        const remove = (c as { remove?: string[] }).remove ?? [];
        const guest = findGuest(await s.inventory(), name);
        const labels =
          pairs.length || remove.length
            ? unwrap(
                await s.api['guests.labels'](
                  checkedParams('guests.labels', {
                    guestId: guest.id,
                    set: labelPairs(pairs),
                    remove,
                  }),
                ),
              )?.labels
            : guest.labels;
        print(o, { guest: guest.name, labels: labels ?? {} }, (v) => labelsText(v.guest, v.labels));
      }),
    );

  registerSegments(p, { withSession, withChange, out });

  registerRun(p, {
    globals: g,
    connectIsDefault: () => p.getOptionValueSource('connect') === 'default',
    connect,
    closeEngine,
  });

  p.command('serve')
    .description(
      'serve the UI to a browser: the engine behind a WebSocket, on 127.0.0.1 with a token',
    )
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', decimalArg('--port', 0, 65535), 7420)
    .action(async (c: { host: string; port: number }) => {
      const { serve } = await import('./serve');
      await serve({
        ...c,
        knownHostsPath: g().knownHosts,
        connect: p.getOptionValueSource('connect') === 'default' ? undefined : g().targets,
        saved: g().saved,
      });
    });

  return p;
}

function interfaceOf(guest: Guest, mac?: string): string {
  if (mac) {
    const nic = guest.interfaces.find((i) => i.mac === mac.toLowerCase());
    if (!nic) throw new UsageError(`${guest.name} has no interface ${mac}`);
    return nic.mac;
  }
  if (guest.interfaces.length !== 1)
    throw new UsageError(
      `${guest.name} has ${guest.interfaces.length} interfaces (${guest.interfaces.map((i) => i.mac).join(', ')}): pick one with --mac`,
    );
  return (guest.interfaces[0] as Guest['interfaces'][number]).mac;
}

export async function main(argv = process.argv): Promise<number> {
  try {
    await program().parseAsync(argv);
    return Exit.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander printed its message (or the help) already.
      return e.exitCode === 0 ? Exit.ok : Exit.usage;
    }
    if (e instanceof ExitWith) return e.code;
    if (e instanceof UsageError) {
      err(`kvm-chaos: ${e.message}`);
      return Exit.usage;
    }
    if (e instanceof StallError) {
      err(`kvm-chaos: ${e.message}`);
      return Exit.connection;
    }
    if (e instanceof ChaosApiError) {
      err(`kvm-chaos: ${e.message}${e.error.hint ? `\n  ${e.error.hint}` : ''}`);
      if (e.error.libvirt)
        err(`  libvirt: code ${e.error.libvirt.code}, domain ${e.error.libvirt.domain}`);
      return exitCodeFor(e.code);
    }
    throw e;
  }
}
