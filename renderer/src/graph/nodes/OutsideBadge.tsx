import { Globe } from 'lucide-react';
import type { GuestModel } from '../model';
import './outside-badge.css';

// On a guest's card: how many of its cuts go to addresses outside the guests (its gateway, a
// network, a DNS name), which no link shows, so the room sees them during a demo. The targets on
// hover.

export function OutsideBadge({ guest }: { guest: GuestModel }) {
  const targets = guest.outsideCuts;
  if (targets.length === 0) return null;
  const words = `Cut from outside: ${[...new Set(targets)].join(', ')}`;
  return (
    <span
      className="guest__cuts guest__cuts--outside"
      data-testid="outside-cut-badge"
      data-count={targets.length}
      title={words}
    >
      <Globe size={13} aria-hidden />
      {targets.length}
      <span className="sr-only">{words}</span>
    </span>
  );
}
