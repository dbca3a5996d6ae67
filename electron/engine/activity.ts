// The activity log: every operation the engine ran, with the XML it sent and what came back,
// exportable as text for a person or as a shell script of the equivalent virsh commands.
import type { ActivityEntry, ExportFormat, HostId } from '../../shared/api';

const MAX_ENTRIES = 5000;

export class ActivityLog {
  private readonly entries: ActivityEntry[] = [];
  private seq = 0;

  constructor(private readonly onAppend: (entry: ActivityEntry) => void) {}

  append(entry: Omit<ActivityEntry, 'id' | 'at'>): ActivityEntry {
    const full: ActivityEntry = {
      id: `a${Date.now().toString(36)}-${++this.seq}`,
      at: Date.now(),
      ...entry,
    };
    this.entries.push(full);
    if (this.entries.length > MAX_ENTRIES)
      this.entries.splice(0, this.entries.length - MAX_ENTRIES);
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

  export(format: ExportFormat, uriOf: (hostId: HostId) => string, hostId?: HostId) {
    const oldestFirst = this.list(hostId, MAX_ENTRIES).reverse();
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
          content: activityScript(oldestFirst, uriOf),
        };
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

/**
 * The operations that succeeded, as virsh commands in the order they ran. XML goes through a
 * quoted here-document, so nothing in it is expanded by the shell.
 */
export function activityScript(
  entries: readonly ActivityEntry[],
  uriOf: (hostId: HostId) => string,
): string {
  const out = [
    '#!/bin/sh',
    '# The libvirt operations kvm-chaos ran, as virsh commands (exported activity log).',
    'set -eu',
    '',
  ];
  let n = 0;
  for (const e of entries) {
    const done = e.operations.filter((op) => op.status === 'done');
    if (done.length === 0) continue;
    out.push(`# ${new Date(e.at).toISOString()} ${e.kind}: ${e.summary.replace(/\n/g, ' ')}`);
    for (const op of done) {
      const uri = shellQuote(uriOf(op.hostId));
      if (op.xml) {
        const marker = `KVM_CHAOS_XML_${++n}`;
        out.push(`virsh -c ${uri} ${op.virsh} /dev/stdin <<'${marker}'`, op.xml.trimEnd(), marker);
      } else {
        out.push(`virsh -c ${uri} ${op.virsh}`);
      }
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
