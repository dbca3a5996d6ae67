import { Hourglass } from 'lucide-react';
import type { ActivityEntry, OperationKind } from '../../../shared/api';
import { Countdown } from '../graph/edges/Countdown';
import { activityInWords } from '../store/plain-words';
import {
  selectActivity,
  selectLastActivity,
  selectLatestApply,
  selectPending,
  selectTimedCuts,
  selectTransport,
} from '../store/selectors';
import { useChaos } from './store-context';

// One line at the bottom, always the same height: what is running, else the last operation and
// how long libvirt took for it; and what will heal by itself.

const OPERATION_WORDS: Record<OperationKind, string> = {
  'define-filter': 'define filter',
  'undefine-filter': 'undefine filter',
  'create-binding': 'create binding',
  'delete-binding': 'delete binding',
  'update-device': 'update interface',
  'set-intent': 'keep intent on the host',
  'remove-intent': 'remove intent from the host',
};

const OUTCOME_WORDS: Record<ActivityEntry['outcome'], string> = {
  ok: 'done',
  failed: 'failed',
  'rolled-back': 'rolled back',
  refused: 'refused, nothing sent',
};

/** libvirt's share of an entry: the time its operations took, each as libvirt answered it. */
export function libvirtTime(entry: ActivityEntry): string {
  const n = entry.operations.length;
  if (n === 0) return 'no libvirt call';
  const ms = entry.operations.reduce((sum, op) => sum + op.durationMs, 0);
  const time = ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
  return `libvirt took ${time} for ${n} operation${n === 1 ? '' : 's'}`;
}

function LastOperation({ entry }: { entry: ActivityEntry }) {
  const bad = entry.outcome !== 'ok';
  return (
    <span className="status__last" data-testid="last-operation" data-outcome={entry.outcome}>
      <span className="muted">Last:</span>{' '}
      <span className={bad ? 'error-text' : undefined}>
        {activityInWords(entry.summary)} — {OUTCOME_WORDS[entry.outcome]}
        {bad && entry.error ? `: ${entry.error.message}` : ''}
      </span>
      <span className="muted" data-testid="libvirt-time">
        {' '}
        · {libvirtTime(entry)}
      </span>
    </span>
  );
}

export function StatusBar() {
  const apply = useChaos(selectLatestApply);
  const pending = useChaos(selectPending);
  const timed = useChaos(selectTimedCuts);
  const transport = useChaos(selectTransport);
  const last = useChaos(selectLastActivity);
  const activity = useChaos(selectActivity);
  // A failed apply is said here until its entry reaches the log; then the log's words are.
  const logged = (applyId: string) => activity.some((e) => e.applyId === applyId);
  const running = apply?.status === 'running';
  const first = pending[0];
  return (
    <footer className="status" data-testid="status-bar" aria-live="polite">
      <div className="status__progress">
        {apply && (running || pending.length > 0) ? (
          <>
            <progress max={apply.total} value={apply.done} aria-label="Apply progress" />
            <span>
              {apply.done}/{apply.total}: {OPERATION_WORDS[apply.current.kind]} —{' '}
              {apply.current.description}
            </span>
          </>
        ) : first ? (
          <span className="pulse">{first.label}…</span>
        ) : (apply?.status === 'failed' || apply?.status === 'rolled-back') &&
          !logged(apply.applyId) ? (
          <span className="error-text">
            Last apply {apply.status}: {apply.error?.message ?? 'see the activity log'}
          </span>
        ) : transport !== 'open' ? (
          <span className="muted">Waiting for the engine…</span>
        ) : last ? (
          <LastOperation entry={last} />
        ) : (
          <span className="muted">Ready: nothing done yet.</span>
        )}
      </div>
      <div className="status__timed" data-testid="timed-cuts">
        {timed.length > 0 && timed[0]?.expiresAt ? (
          <>
            <Hourglass size={16} aria-hidden />
            <span>
              {timed.length} timed cut{timed.length === 1 ? '' : 's'}, next heals in{' '}
              <Countdown at={timed[0].expiresAt} />
            </span>
            <span
              className="muted small"
              title="The expiry is kept on the host: any kvm-chaos connected then (app, serve, watch) heals the cut"
            >
              (or the next kvm-chaos to connect)
            </span>
          </>
        ) : null}
      </div>
    </footer>
  );
}
