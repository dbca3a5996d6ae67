import { useEffect, useState } from 'react';
import { formatClock, formatRemaining } from '../cut-words';

/** The current time, ticking each second while mounted. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** Time left until `at`, and the moment itself in the title; "expired" once it has passed. */
export function Countdown({ at, className }: { at: number; className?: string }) {
  const now = useNow();
  const clock = formatClock(at, now);
  return (
    <span
      className={className}
      data-testid="countdown"
      data-expires-at={at}
      title={`Heals at ${clock}: any kvm-chaos connected to the host then heals it, or the next one to connect`}
    >
      {at > now ? formatRemaining(at - now) : 'expired'}
    </span>
  );
}
