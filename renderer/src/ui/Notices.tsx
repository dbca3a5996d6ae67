import { X } from 'lucide-react';
import { useEffect } from 'react';
import type { Notice } from '../store/initial-state';
import { selectNotices } from '../store/selectors';
import { useChaos, useChaosStore } from './store-context';

// Toasts over the canvas (never pushing the layout): successes fade, errors stay until closed.

function NoticeView({ notice }: { notice: Notice }) {
  const store = useChaosStore();
  useEffect(() => {
    if (notice.tone === 'error') return;
    const timer = setTimeout(() => store.getState().dismissNotice(notice.id), 6000);
    return () => clearTimeout(timer);
  }, [store, notice]);
  return (
    <div
      className={`notice notice--${notice.tone}`}
      role={notice.tone === 'error' ? 'alert' : 'status'}
      data-testid="notice"
    >
      <div>
        <p>{notice.message}</p>
        {notice.hint && <p className="hint">What to do: {notice.hint}</p>}
      </div>
      <button
        type="button"
        className="button button--icon button--small"
        aria-label="Dismiss"
        onClick={() => store.getState().dismissNotice(notice.id)}
      >
        <X size={16} aria-hidden />
      </button>
    </div>
  );
}

export function Notices() {
  const notices = useChaos(selectNotices);
  return (
    <div className="notices">
      {notices.map((notice) => (
        <NoticeView key={notice.id} notice={notice} />
      ))}
    </div>
  );
}
