// What the CLI prints for people: short tables. (--json prints the contract's data as is.)
import Table from 'cli-table3';
import {
  type ActiveCut,
  type ApplyResult,
  type Binding,
  type CutEnd,
  type CutScope,
  type FilterTreeNode,
  type Guest,
  type HostInventory,
  type InterfaceProtection,
  isGuestEnd,
  outsideText,
  type Preset,
} from '../../shared/api';

function table(head: string[], rows: string[][]): string {
  const t = new Table({
    head,
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 0 },
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
  });
  t.push(...rows);
  return t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

export function protectionText(p: InterfaceProtection): string {
  if (p.kind === 'none') return 'NONE';
  const params = p.parameters.map((x) => `${x.name}=${x.value}`).join(',');
  const name = p.kind === 'preset' ? p.presetId : `custom:${p.filter}`;
  return params ? `${name} (${params})` : name;
}

export function scopeText(s: CutScope): string {
  if ((s.kind === 'tcp' || s.kind === 'udp') && s.port !== undefined) return `${s.kind}/${s.port}`;
  return s.kind;
}

export function guestsTable(inv: HostInventory): string {
  const rows: string[][] = [];
  for (const g of [...inv.guests].sort((a, b) => a.name.localeCompare(b.name)))
    for (const [i, nic] of g.interfaces.entries())
      rows.push([
        i === 0 ? g.name : '',
        i === 0 ? g.state : '',
        nic.mac,
        nic.portdev ?? '-',
        nic.segmentId?.split(':').pop() ?? '-',
        nic.ips.map((ip) => ip.address).join(' ') || '-',
        protectionText(nic.protection),
        nic.uncuttable ? `no: ${nic.uncuttable.explanation}` : 'yes',
      ]);
  return table(['GUEST', 'STATE', 'MAC', 'PORT', 'SEGMENT', 'IP', 'PROTECTION', 'CUTTABLE'], rows);
}

export function bindingsTable(bindings: readonly Binding[]): string {
  return table(
    ['PORT', 'OWNER', 'FILTER', 'CLASS', 'PARAMETERS'],
    bindings.map((b) => [
      b.portdev,
      b.ownerName,
      b.filter,
      b.class,
      b.parameters.map((p) => `${p.name}=${p.value}`).join(' '),
    ]),
  );
}

export function cutsTable(cuts: readonly ActiveCut[], guests: readonly Guest[]): string {
  const name = (e: CutEnd) =>
    isGuestEnd(e) ? (guests.find((g) => g.id === e.guestId)?.name ?? e.guestId) : outsideText(e);
  return table(
    ['CUT', 'FROM', 'TO', 'DIRECTION', 'SCOPE', 'STATE', 'ENFORCED ON', 'BY', 'EXPIRES'],
    cuts.map((c) => [
      c.id,
      name(c.from),
      name(c.to),
      c.direction === 'both' ? 'both' : 'one-way ->',
      scopeText(c.scope),
      c.state,
      c.enforcedOn.join(' '),
      c.author ? `${c.author.user}${c.runId ? ` (run ${c.runId})` : ''}` : '-',
      c.expiresAt ? new Date(c.expiresAt).toISOString() : '-',
    ]),
  );
}

/** What interrupted changes left on the host, each with the action that repairs it; '' if none. */
export function interruptionsText(inv: HostInventory): string {
  if (inv.interruptions.length === 0) return '';
  const lines = [`${inv.interruptions.length} thing(s) left by an interrupted change:`];
  for (const i of inv.interruptions) lines.push(`  ! ${i.message}`);
  lines.push(`  repair: ${inv.interruptions[0]?.repair ?? 'kvm-chaos repair'}`);
  return lines.join('\n');
}

export function presetsTable(presets: readonly Preset[]): string {
  return table(
    ['PRESET', 'FILTER', 'PARAMETERS', 'WHAT IT DOES'],
    presets.map((p) => [
      p.isDefault ? `${p.id} (default)` : p.id,
      p.filter,
      p.parameters.map((x) => (x.required ? x.name : `[${x.name}]`)).join(' '),
      p.description.length > 70 ? `${p.description.slice(0, 67)}...` : p.description,
    ]),
  );
}

export function planText(r: ApplyResult): string {
  const lines = [
    `${r.dryRun ? 'plan (dry run, nothing applied)' : 'applied'}: ${r.plan.operations.length} operation(s) on ${r.plan.portsTouched.length} port(s)${r.plan.portsTouched.length ? ` (${r.plan.portsTouched.join(' ')})` : ''}`,
  ];
  if (r.plan.unfilteredWindows.length)
    lines.push(`unfiltered for about a second: ${r.plan.unfilteredWindows.join(' ')}`);
  for (const [i, op] of r.plan.operations.entries()) {
    lines.push(`${i + 1}. ${op.kind} ${op.target}: ${op.description}`);
    lines.push(`   virsh ${op.virsh}`);
    if (r.dryRun && op.xml)
      lines.push(
        ...op.xml
          .trimEnd()
          .split('\n')
          .map((l) => `   | ${l}`),
      );
  }
  return lines.join('\n');
}

export function filterTreeText(nodes: readonly FilterTreeNode[]): string {
  const lines: string[] = [];
  for (const n of nodes) {
    const pad = '  '.repeat(n.depth);
    lines.push(`${pad}${n.filter} [${n.class}]${n.missing ? ' (not defined on the host)' : ''}`);
    for (const r of n.rules) lines.push(`${pad}  - ${r.text}`);
  }
  return lines.join('\n');
}
