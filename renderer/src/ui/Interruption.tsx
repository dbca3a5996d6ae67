import { TriangleAlert, Wrench } from 'lucide-react';
import type { HostId, Interruption } from '../../../shared/api';
import { useChaosStore } from './store-context';

// What an interrupted change left, with its one repair: chaos.repair for the host (which makes
// the host hold exactly what its cuts ask). The same button on the guest card and the inspector.

export function RepairButton({ hostId, about }: { hostId: HostId; about: string }) {
  const store = useChaosStore();
  return (
    <button
      type="button"
      className="button button--small repair nodrag"
      data-testid="repair"
      aria-label={`Repair: ${about}`}
      title="Make the host hold exactly what its cuts ask"
      onClick={(e) => {
        // On the guest card, a click must not also select or drag the guest.
        e.stopPropagation();
        void store.getState().repair(hostId);
      }}
    >
      <Wrench size={13} aria-hidden /> Repair
    </button>
  );
}

/** One interruption in full: the message, the repair in words, the button. */
export function InterruptionNote({
  hostId,
  interruption,
}: {
  hostId: HostId;
  interruption: Interruption;
}) {
  return (
    <div
      className="interruption"
      role="alert"
      data-testid="interruption"
      data-kind={interruption.kind}
    >
      <TriangleAlert size={16} aria-hidden className="interruption__icon" />
      <div className="interruption__text">
        <p data-testid="interruption-message">{interruption.message}</p>
        <p className="muted small">{interruption.repair}</p>
      </div>
      <RepairButton hostId={hostId} about={interruption.message} />
    </div>
  );
}
