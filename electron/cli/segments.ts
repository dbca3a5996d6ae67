// `kvm-chaos segments`: each host's segments, which are one L2 segment across hosts and why (a
// DHCP lease the hosts show, or "joined by you"), and `segments join A B` / `segments split A` to
// save or take back the user's word. Segments are named `host:bridge` (host as in `guests`,
// name@host). The groups live in the config folder's hosts.json, beside the hosts `serve` and the
// app keep, so every later command, the app and serve join the same segments.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  type HostInventory,
  type HostSummary,
  type Segment,
  type SegmentGroup,
  unwrap,
} from '../../shared/api';
import { sharedSegments } from '../../shared/inventory/fabric';
import { refOf, refText, resolveGroups } from '../../shared/inventory/segment-groups';
import { isHostNamed } from '../../shared/scenario/select';
import { fileProfiles, memoryProfiles, withGroupsOf } from '../engine/profiles';
import type { HostProfileStore } from '../engine/types';
import type { GlobalOptions, Session } from './main';
import { checkedParams, UsageError } from './options';

/** Where the CLI finds the saved hosts and groups: $KVM_CHAOS_CONFIG, else ~/.config/kvm-chaos. */
export function savedHostsPath(): string {
  return join(
    process.env.KVM_CHAOS_CONFIG ?? join(homedir(), '.config', 'kvm-chaos'),
    'hosts.json',
  );
}

/**
 * A one-shot command's store: its hosts are its -c list (memory), its segment groups the saved
 * ones. An unreadable file costs the joins, not the command: said once on stderr.
 */
export function cliProfiles(path = savedHostsPath()): HostProfileStore {
  const file = fileProfiles(path);
  return withGroupsOf(memoryProfiles(), {
    ...file,
    loadSegmentGroups: () =>
      file.loadSegmentGroups().catch((e: unknown) => {
        process.stderr.write(
          `kvm-chaos: segments joined by you are not used: ${e instanceof Error ? e.message : e}\n`,
        );
        return [];
      }),
  });
}

export type SegmentRow = {
  host: string;
  segment: string;
  /** `host:bridge`, as join and split take it. */
  ref: string;
  /** The other hosts' segments it is one L2 segment with, as `host:bridge`. */
  joinedWith: string[];
  /** Why, in words: the lease sentence or "joined by you". */
  why: string[];
};

/** Every segment of every host, with what it is joined to and why. */
export function segmentRows(
  inventories: readonly HostInventory[],
  groups: readonly SegmentGroup[],
): SegmentRow[] {
  const shared = sharedSegments(inventories, resolveGroups(groups, inventories));
  const byId = new Map(inventories.flatMap((inv) => inv.segments.map((s) => [s.id, s])));
  return inventories.flatMap((inv) =>
    inv.segments.map((s) => {
      const span = shared.find((x) => x.segments.includes(s.id));
      return {
        host: inv.hostId,
        segment: s.name,
        ref: refText(refOf(s)),
        joinedWith: (span?.segments ?? [])
          .filter((id) => id !== s.id)
          .flatMap((id) => {
            const other = byId.get(id);
            return other ? [refText(refOf(other))] : [];
          }),
        why: span?.evidence.map((e) => e.words) ?? [],
      };
    }),
  );
}

export function segmentsText(rows: readonly SegmentRow[]): string {
  if (rows.length === 0) return 'no segments';
  return rows
    .map((r) => {
      const head = `${r.ref}${r.segment !== r.ref.slice(r.host.length + 1) ? ` (${r.segment})` : ''}`;
      if (r.joinedWith.length === 0) return `${head}: this host only`;
      return [
        `${head}: one L2 segment with ${r.joinedWith.join(', ')}`,
        ...r.why.map((w) => `  ${w}`),
      ].join('\n');
    })
    .join('\n');
}

/**
 * The segment `host:bridge` names (the bridge, or a network's name); the host by its id as
 * `guests` shows it, its address, or its label.
 */
export function segmentNamed(
  text: string,
  inventories: readonly HostInventory[],
  hosts: readonly HostSummary[],
): Segment {
  const at = text.lastIndexOf(':');
  if (at < 1 || at === text.length - 1)
    throw new UsageError(
      `name a segment as <host>:<bridge>, e.g. ${example(inventories)}; not '${text}'`,
    );
  const [hostName, bridge] = [text.slice(0, at), text.slice(at + 1)];
  const inv = inventories.find(
    (i) =>
      isHostNamed(i.hostId, hostName) ||
      i.hostId.replace(/:\d+$/, '') === hostName ||
      hosts.find((h) => h.id === i.hostId)?.label === hostName,
  );
  if (!inv)
    throw new UsageError(
      `no connected host '${hostName}' (connected: ${inventories.map((i) => i.hostId).join(', ')})`,
    );
  const found =
    inv.segments.find((s) => s.bridge === bridge) ?? inv.segments.find((s) => s.name === bridge);
  if (!found)
    throw new UsageError(
      `${inv.hostId} has no bridge or network '${bridge}' (it has ${inv.segments.map((s) => refText(refOf(s)).slice(inv.hostId.length + 1)).join(', ') || 'none'})`,
    );
  return found;
}

function example(inventories: readonly HostInventory[]): string {
  const s = inventories[0]?.segments[0];
  return s ? refText(refOf(s)) : 'root@kvm1:br0';
}

export interface SegmentsCommandDeps {
  withSession: (
    f: (s: Session, o: GlobalOptions, ...a: never[]) => Promise<void>,
  ) => (...args: unknown[]) => Promise<void>;
  withChange: (
    f: (s: Session, o: GlobalOptions, ...a: never[]) => Promise<void>,
  ) => (...args: unknown[]) => Promise<void>;
  out: (s: string) => void;
}

async function inventoriesOf(s: Session): Promise<HostInventory[]> {
  return Promise.all(
    s.hosts.map(async (h) => unwrap(await s.api['inventory.get']({ hostId: h.id }))),
  );
}

export function registerSegments(p: Command, deps: SegmentsCommandDeps): void {
  const { withSession, withChange, out } = deps;
  const show = async (s: Session, o: GlobalOptions) => {
    const inventories = await inventoriesOf(s);
    const groups = unwrap(await s.api['segments.list']({}));
    const rows = segmentRows(inventories, groups);
    out(o.json ? JSON.stringify({ segments: rows, groups }, null, 2) : segmentsText(rows));
  };
  const segments = p
    .command('segments')
    .description(
      "list each host's segments and which are one L2 segment across hosts, and why: a DHCP lease the hosts show, or joined by you (segments join)",
    );
  segments
    .command('list', { isDefault: true })
    .description('the segments of every -c host, joined or not, and why')
    .action(withSession(show));
  segments
    .command('join')
    .description(
      `say that two segments of different hosts are one L2 segment (bridges joined by a VLAN or a cable, DHCP elsewhere); saved in ${savedHostsPath()} for every later command, serve and the app`,
    )
    .argument('<a>', 'host:bridge, e.g. root@kvm1:br0 (see kvm-chaos segments)')
    .argument('<b>', 'host:bridge of another host')
    .action(
      withChange(async (s, o, a: string, b: string) => {
        const inventories = await inventoriesOf(s);
        const [sa, sb] = [a, b].map((x) => segmentNamed(x, inventories, s.hosts));
        unwrap(
          await s.api['segments.join'](
            checkedParams('segments.join', { segments: [sa?.id, sb?.id] }),
          ),
        );
        await show(s, o);
      }),
    );
  segments
    .command('split')
    .description(
      'take a segment out of what you joined (a join by DHCP lease is what the hosts show: it stays)',
    )
    .argument('<segment>', 'host:bridge')
    .action(
      withChange(async (s, o, a: string) => {
        const seg = segmentNamed(a, await inventoriesOf(s), s.hosts);
        unwrap(await s.api['segments.split'](checkedParams('segments.split', { segment: seg.id })));
        await show(s, o);
      }),
    );
}
