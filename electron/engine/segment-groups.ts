// The user's segment groups in the engine: loaded with the hosts at start, fed to every join
// across hosts (across-hosts.ts), changed by segments.join/split, saved beside the hosts at once,
// and announced (segments.changed) so every client draws the joined segment without reconnecting.
import type {
  ChaosEvent,
  HostInventory,
  SegmentGroup,
  SegmentId,
  SegmentJoinRequest,
  SegmentSplitRequest,
} from '../../shared/api';
import {
  isGroupedByUser,
  joinGroups,
  joinProblem,
  refOf,
  refText,
  resolveGroups,
  splitGroups,
} from '../../shared/inventory/segment-groups';
import { engineError } from './errors';
import type { HostProfileStore } from './types';

export class SegmentGroupBook {
  private groups: SegmentGroup[] = [];

  constructor(
    private readonly deps: {
      store: HostProfileStore;
      inventories: () => HostInventory[];
      emit: (e: ChaosEvent) => void;
    },
  ) {}

  async load(): Promise<void> {
    this.groups = await this.deps.store.loadSegmentGroups();
  }

  list(): SegmentGroup[] {
    return this.groups;
  }

  /** The groups as today's segment ids, for sharedSegments. */
  resolved(): SegmentId[][] {
    return resolveGroups(this.groups, this.deps.inventories());
  }

  async join(req: SegmentJoinRequest): Promise<SegmentGroup[]> {
    const inventories = this.deps.inventories();
    const [a, b] = req.segments;
    const problem = joinProblem(inventories, this.groups, a, b);
    if (problem)
      throw engineError(
        problem.startsWith('no segment') ? 'not-found' : 'invalid-request',
        problem,
        problem.startsWith('no segment')
          ? 'connect its host first; kvm-chaos segments lists what each host has'
          : undefined,
      );
    const segment = (id: SegmentId) =>
      inventories.flatMap((inv) => inv.segments).find((s) => s.id === id);
    const [sa, sb] = [segment(a), segment(b)];
    if (!sa || !sb)
      throw engineError('not-found', `no segment ${sa ? b : a} on any connected host`);
    return this.save(joinGroups(this.groups, refOf(sa), refOf(sb)));
  }

  async split(req: SegmentSplitRequest): Promise<SegmentGroup[]> {
    const s = this.deps
      .inventories()
      .flatMap((inv) => inv.segments)
      .find((x) => x.id === req.segment);
    if (!s) throw engineError('not-found', `no segment ${req.segment} on any connected host`);
    const ref = refOf(s);
    if (!isGroupedByUser(this.groups, ref))
      throw engineError(
        'invalid-request',
        `${refText(ref)} is not joined by you`,
        'a segment joined by a DHCP lease is what the hosts observe: it stays joined while the lease does',
      );
    return this.save(splitGroups(this.groups, ref));
  }

  private async save(next: SegmentGroup[]): Promise<SegmentGroup[]> {
    await this.deps.store.saveSegmentGroups(next);
    this.groups = next;
    this.deps.emit({ type: 'segments.changed', groups: next });
    return next;
  }
}
