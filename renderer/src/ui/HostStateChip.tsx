import type { HostStatus } from '../../../shared/api';

const LABEL: Record<HostStatus['state'], string> = {
  disconnected: 'disconnected',
  connecting: 'connecting…',
  connected: 'connected',
  lost: 'connection lost',
  reconnecting: 'reconnecting…',
};

export function HostStateChip({ status }: { status: HostStatus }) {
  const attempt =
    status.state === 'reconnecting' && status.attempt ? ` (attempt ${status.attempt})` : '';
  return (
    <span
      className={`chip chip--${status.state}`}
      data-testid="host-state"
      data-state={status.state}
      title={
        status.error
          ? `${status.error.message}${status.error.hint ? ` — ${status.error.hint}` : ''}`
          : undefined
      }
    >
      <span className="chip__dot" aria-hidden />
      {LABEL[status.state]}
      {attempt}
    </span>
  );
}
