import { X } from 'lucide-react';
import type { Notice } from '../store/initial-state';
import { selectNotices } from '../store/selectors';
import { useChaos, useChaosStore } from './store-context';

// Toasts over the canvas (never pushing the layout). The store decides how long each one stays
// (store/notices.ts): successes and infos go by themselves, errors stay until closed, and the
// same words said again raise a count on the toast already shown.

function NoticeView({ notice }: { notice: Notice }) {
  const store = useChaosStore();
  return (
    <div
      className={`notice notice--${notice.tone}`}
      role={notice.tone === 'error' ? 'alert' : 'status'}
      data-testid="notice"
      data-tone={notice.tone}
      data-count={notice.count}
    >
      <div className="notice__text">
        <p>
          {notice.message}
          {notice.count > 1 && (
            <span className="notice__count" title={`said ${notice.count} times`}>
              ×{notice.count}
            </span>
          )}
        </p>
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
