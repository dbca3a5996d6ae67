import { useEffect, useState } from 'react';

export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** Time left until `at`, ticking each second while mounted. */
export function Countdown({ at, className }: { at: number; className?: string }) {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <span
      className={className}
      data-testid="countdown"
      title="Heals itself then (while the engine runs)"
    >
      {formatRemaining(at - now)}
    </span>
  );
}
