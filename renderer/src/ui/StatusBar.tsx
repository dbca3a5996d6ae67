import { Hourglass } from 'lucide-react';
import type { OperationKind } from '../../../shared/api';
import { Countdown } from '../graph/edges/Countdown';
import {
  selectLatestApply,
  selectPending,
  selectTimedCuts,
  selectTransport,
} from '../store/selectors';
import { useChaos } from './store-context';

// One line at the bottom, always the same height: what is running and what will heal by itself.

const OPERATION_WORDS: Record<OperationKind, string> = {
  'define-filter': 'define filter',
  'undefine-filter': 'undefine filter',
  'create-binding': 'create binding',
  'delete-binding': 'delete binding',
  'update-device': 'update interface',
  'set-intent': 'keep intent on the host',
  'remove-intent': 'remove intent from the host',
};

export function StatusBar() {
  const apply = useChaos(selectLatestApply);
  const pending = useChaos(selectPending);
  const timed = useChaos(selectTimedCuts);
  const transport = useChaos(selectTransport);
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
        ) : apply?.status === 'failed' || apply?.status === 'rolled-back' ? (
          <span className="error-text">
            Last apply {apply.status}: {apply.error?.message ?? 'see the activity log'}
          </span>
        ) : (
          <span className="muted">
            {transport === 'open' ? 'Ready.' : 'Waiting for the engine…'}
          </span>
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
