import type { ChaosEvent, HostId } from '../../../shared/api';
import { applyInventoryPatch } from '../../../shared/inventory/patch';
import { ACTIVITY_LIMIT, type ChaosState } from './initial-state';

// Engine events folded into the state: pure functions from (state, event) to the changed part,
// plus the hosts whose inventory must be read again (a patch we cannot apply, a host that just
// connected). The store runs them; tests call them directly.

export type Reduction = { patch: Partial<ChaosState>; refetch: HostId[] };

const none = (patch: Partial<ChaosState> = {}): Reduction => ({ patch, refetch: [] });

/** `now` stamps a run's report, so its clock can tick on locally until the next one. */
export function reduceEvent(state: ChaosState, event: ChaosEvent, now = Date.now()): Reduction {
  switch (event.type) {
    case 'inventory.changed': {
      const { change, hostId } = event;
      if (change.kind === 'full') {
        return none({ inventories: { ...state.inventories, [hostId]: change.inventory } });
      }
      const current = state.inventories[hostId];
      if (!current || current.revision !== change.baseRevision)
        return { patch: {}, refetch: [hostId] };
      const next = applyInventoryPatch(current, change.patch, change.revision);
      return none({ inventories: { ...state.inventories, [hostId]: next } });
    }
    case 'host.state': {
      const { status } = event;
      const before = state.hosts.find((h) => h.id === status.hostId);
      if (!before) return none();
      const hosts = state.hosts.map((h) => (h.id === status.hostId ? { ...h, status } : h));
      const connectedNow = status.state === 'connected' && before.status.state !== 'connected';
      return { patch: { hosts }, refetch: connectedNow ? [status.hostId] : [] };
    }
    case 'hosts.changed': {
      const ids = new Set<string>(event.hosts.map((h) => h.id));
      const inventories = Object.fromEntries(
        Object.entries(state.inventories).filter(([id]) => ids.has(id)),
      );
      const fresh = event.hosts
        .filter((h) => h.status.state === 'connected' && !state.inventories[h.id])
        .map((h) => h.id);
      return { patch: { hosts: event.hosts, inventories }, refetch: fresh };
    }
    case 'apply.progress': {
      const finished = event.status === 'done' || event.status === 'rolled-back';
      const before = state.applies[event.applyId];
      const done = Math.max(before?.done ?? 0, finished ? event.index + 1 : event.index);
      const status =
        event.status === 'failed' || event.status === 'rolled-back'
          ? event.status
          : done >= event.total
            ? 'done'
            : 'running';
      const view = {
        applyId: event.applyId,
        hostId: event.hostId,
        total: event.total,
        done,
        current: {
          index: event.index,
          kind: event.kind,
          description: event.description,
          xml: event.xml,
        },
        // A failure stays visible while the rollback's own progress arrives.
        status: before?.status === 'failed' && status !== 'rolled-back' ? before.status : status,
        error: event.error ?? before?.error,
      } as const;
      return none({
        applies: { ...state.applies, [event.applyId]: view },
        latestApplyId: event.applyId,
      });
    }
    case 'activity.appended': {
      if (state.activity.some((e) => e.id === event.entry.id)) return none();
      return none({ activity: [event.entry, ...state.activity].slice(0, ACTIVITY_LIMIT) });
    }
    case 'hostKey.prompt':
      return none({
        hostKeyPrompts: [
          ...state.hostKeyPrompts.filter((p) => p.promptId !== event.prompt.promptId),
          event.prompt,
        ],
      });
    case 'passphrase.prompt':
      return none({
        passphrasePrompts: [
          ...state.passphrasePrompts.filter((p) => p.promptId !== event.prompt.promptId),
          event.prompt,
        ],
      });
    case 'prompt.closed':
      return none({
        hostKeyPrompts: state.hostKeyPrompts.filter((p) => p.promptId !== event.promptId),
        passphrasePrompts: state.passphrasePrompts.filter((p) => p.promptId !== event.promptId),
      });
    case 'scenario.run': {
      const { run } = event;
      const runs = { ...state.runs, [run.runId]: { status: run, receivedAt: now } };
      // A run started elsewhere (another window on this engine) is followed when none is.
      return none({ runs, currentRunId: state.currentRunId ?? run.runId });
    }
    case 'traffic.sample':
      return none(); // live traffic has a slice of its own (store/traffic.ts)
    case 'segments.changed':
      return none({ segmentGroups: event.groups });
  }
}
