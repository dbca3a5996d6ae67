// The activity log: every operation the engine ran, with the XML it sent and what came back,
// exportable as text for a person or as a shell script of the equivalent virsh commands.
import type { ActivityEntry, ActivityOperation, ExportFormat, HostId } from '../../shared/api';
import { DOMAIN_ID_VARIABLE } from '../../shared/chaos/naming';
import { parseBinding } from '../../shared/libvirt/binding';

const MAX_ENTRIES = 5000;

export class ActivityLog {
  private readonly entries: ActivityEntry[] = [];
  private seq = 0;
  /** Who each binding operation's port belonged to when it ran, by `entry id#operation index`. */
  private readonly owners = new Map<string, PortOwner>();

  constructor(
    private readonly onAppend: (entry: ActivityEntry) => void,
    /** The guest and MAC of a port now (the engine's inventory), for the virsh script. */
    private readonly portOwner: (hostId: HostId, portdev: string) => PortOwner | null = () => null,
  ) {}

  append(entry: Omit<ActivityEntry, 'id' | 'at'>): ActivityEntry {
    const full: ActivityEntry = {
      id: `a${Date.now().toString(36)}-${++this.seq}`,
      at: Date.now(),
      ...entry,
    };
    this.entries.push(full);
    full.operations.forEach((op, i) => {
      if (op.kind !== 'create-binding' && op.kind !== 'delete-binding') return;
      const owner = this.portOwner(op.hostId, op.target);
      if (owner) this.owners.set(`${full.id}#${i}`, owner);
    });
    if (this.entries.length > MAX_ENTRIES)
      for (const gone of this.entries.splice(0, this.entries.length - MAX_ENTRIES))
        for (let i = 0; i < gone.operations.length; i++) this.owners.delete(`${gone.id}#${i}`);
    this.onAppend(full);
    return full;
  }

  /** Newest first. */
  list(hostId?: HostId, limit = 500): ActivityEntry[] {
    const out: ActivityEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.entries[i] as ActivityEntry;
      if (hostId === undefined || e.hostId === hostId) out.push(e);
    }
    return out;
  }

  export(
    format: ExportFormat,
    hostOf: (hostId: HostId) => ScriptHost,
    hostId?: HostId,
    entryIds?: readonly string[],
  ) {
    const only = entryIds ? new Set(entryIds) : null;
    const oldestFirst = this.list(hostId, MAX_ENTRIES)
      .reverse()
      .filter((e) => !only || only.has(e.id));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return format === 'text'
      ? {
          filename: `kvm-chaos-activity-${stamp}.txt`,
          mimeType: 'text/plain',
          content: activityText(oldestFirst),
        }
      : {
          filename: `kvm-chaos-activity-${stamp}.sh`,
          mimeType: 'text/x-shellscript',
          content: activityScript(oldestFirst, hostOf, (e, op) => this.ownerOf(e, op)),
        };
  }

  private ownerOf(e: ActivityEntry, op: ActivityOperation): PortOwner | null {
    const known = this.owners.get(`${e.id}#${e.operations.indexOf(op)}`);
    if (known) return known;
    // A binding's XML names its owner and MAC itself.
    if (op.kind !== 'create-binding' || !op.xml) return null;
    try {
      const b = parseBinding(op.xml);
      return { guest: b.owner.name, mac: b.mac };
    } catch {
      return null;
    }
  }
}

export function activityText(entries: readonly ActivityEntry[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`${new Date(e.at).toISOString()}  ${e.kind}  ${e.outcome}  ${e.summary}`);
    if (e.error)
      lines.push(`  error: ${e.error.message}${e.error.hint ? ` (${e.error.hint})` : ''}`);
    for (const op of e.operations) {
      lines.push(
        `  - ${op.status} ${op.kind} ${op.target} (${Math.round(op.durationMs)} ms): ${op.description}`,
      );
      if (op.error) lines.push(`    error: ${op.error.message}`);
      if (op.xml)
        lines.push(
          ...op.xml
            .trimEnd()
            .split('\n')
            .map((l) => `    | ${l}`),
        );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Single-quotes a word for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Who a port belongs to: a guest and one of its MACs (ports are found by these at run time). */
export interface PortOwner {
  readonly guest: string;
  readonly mac: string;
}

export interface ScriptHost {
  readonly uri: string;
  readonly note: string;
}

/** The virsh commands that read their XML from a file (metadata --set carries it inline). */
const TAKES_FILE: ReadonlySet<ActivityOperation['kind']> = new Set([
  'define-filter',
  'create-binding',
  'update-device',
]);

/** Finds the guest's tap for a MAC when the script runs: a restarted guest has a new vnet. */
const PORT_OF = [
  '# port_of GUEST MAC: the tap of that interface now (virsh domiflist), or stop.',
  'port_of() {',
  '  p=$(virsh -q domiflist "$1" | awk -v mac="$2" \'tolower($5) == tolower(mac) { print $1; exit }\')',
  '  if [ -z "$p" ] || [ "$p" = "-" ]; then echo "$1 has no running interface $2" >&2; return 1; fi',
  '  printf \'%s\\n\' "$p"',
  '}',
];

/**
 * The operations that succeeded, as virsh commands in the order they ran. Each host's connection
 * is set once (LIBVIRT_DEFAULT_URI, overridable per host with KVM_CHAOS_URI_<n>); a binding's port
 * is found by guest and MAC when the script runs, never replayed from the log; XML goes through a
 * quoted here-document, so nothing in it is expanded by the shell.
 */
export function activityScript(
  entries: readonly ActivityEntry[],
  hostOf: (hostId: HostId) => ScriptHost,
  ownerOf: (entry: ActivityEntry, op: ActivityOperation) => PortOwner | null = () => null,
): string {
  const body: string[] = [];
  const hosts = new Map<HostId, number>();
  let current: HostId | null = null;
  let n = 0;
  for (const e of entries) {
    const done = e.operations.filter((op) => op.status === 'done');
    if (done.length === 0) continue;
    body.push(`# ${new Date(e.at).toISOString()} ${e.kind}: ${e.summary.replace(/\n/g, ' ')}`);
    for (const op of done) {
      if (op.hostId !== current) {
        current = op.hostId;
        let index = hosts.get(op.hostId);
        if (index === undefined) {
          index = hosts.size + 1;
          hosts.set(op.hostId, index);
        }
        const host = hostOf(op.hostId);
        body.push(
          `# host ${index} (${op.hostId}): ${host.note}`,
          `export LIBVIRT_DEFAULT_URI="\${KVM_CHAOS_URI_${index}:-${host.uri.replace(/["\\$`]/g, '\\$&')}}"`,
        );
      }
      const owner =
        op.kind === 'create-binding' || op.kind === 'delete-binding' ? ownerOf(e, op) : null;
      if (owner) body.push(`port=$(port_of ${shellQuote(owner.guest)} ${shellQuote(owner.mac)})`);
      const marker = `KVM_CHAOS_XML_${++n}`;
      // Our bindings carry the guest's domain id of when they were made (naming.ts): this run's.
      if (op.kind === 'create-binding' && owner && op.xml)
        body.push(
          `domid=$(virsh domid ${shellQuote(owner.guest)})`,
          `sed -e "s|<portdev name=.[^'\\"]*./>|<portdev name='$port'/>|" -e "s|<parameter name=.${DOMAIN_ID_VARIABLE}. value=.[^'\\"]*./>|<parameter name='${DOMAIN_ID_VARIABLE}' value='$domid'/>|" <<'${marker}' | virsh nwfilter-binding-create /dev/stdin`,
          op.xml.trimEnd(),
          marker,
        );
      else if (op.kind === 'delete-binding' && owner)
        body.push('virsh nwfilter-binding-delete "$port"');
      else if (op.xml && TAKES_FILE.has(op.kind))
        body.push(`virsh ${op.virsh} /dev/stdin <<'${marker}'`, op.xml.trimEnd(), marker);
      else body.push(`virsh ${op.virsh}`);
    }
    body.push('');
  }
  const header = [
    '#!/bin/sh',
    '# The libvirt operations kvm-chaos ran, as virsh commands (exported activity log).',
    '# Each host is connected once through LIBVIRT_DEFAULT_URI; to reach host <n> another way',
    '# (an ssh wrapper, another user), set KVM_CHAOS_URI_<n> before running this script.',
    '# Ports are found by guest and MAC when it runs, so a guest restarted since is still found.',
    'set -eu',
    '',
    ...PORT_OF,
    '',
  ];
  return `${[...header, ...body].join('\n')}\n`;
}
