import { useEffect, useState } from 'react';

/** The current time, ticking every `everyMs` while `on` (a run's clock between its events). */
export function useTicker(on: boolean, everyMs = 250): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!on) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [on, everyMs]);
  return now;
}
