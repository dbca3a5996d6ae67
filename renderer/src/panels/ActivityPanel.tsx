import { ChevronDown, ChevronRight, Download } from 'lucide-react';
import { useState } from 'react';
import type { ActivityEntry, ExportFormat } from '../../../shared/api';
import { activityInWords } from '../store/plain-words';
import { selectActivity } from '../store/selectors';
import { useChaos, useChaosStore } from '../ui/store-context';

// Every operation the engine ran, with the XML it sent and what libvirt answered; exportable as
// text or as a shell script of the equivalent virsh commands.

const time = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function download(file: { filename: string; mimeType: string; content: string }) {
  const url = URL.createObjectURL(new Blob([file.content], { type: file.mimeType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Entry({ entry }: { entry: ActivityEntry }) {
  const [open, setOpen] = useState(false);
  const Chevron = open ? ChevronDown : ChevronRight;
  return (
    <li
      className={`activity activity--${entry.outcome}`}
      data-testid="activity-entry"
      data-kind={entry.kind}
      data-outcome={entry.outcome}
    >
      <button
        type="button"
        className="activity__head"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <Chevron size={16} aria-hidden />
        <time className="mono">{time.format(entry.at)}</time>
        <span className="activity__kind">{entry.kind}</span>
        <span className="activity__summary" title={entry.summary}>
          {activityInWords(entry.summary)}
        </span>
        <span className={`outcome outcome--${entry.outcome}`}>{entry.outcome}</span>
      </button>
      {entry.error && (
        <p className="error-text">
          {entry.error.message}
          {entry.error.hint ? ` — ${entry.error.hint}` : ''}
        </p>
      )}
      {open && (
        <ol className="operations">
          {entry.operations.map((op, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: an entry's operations in the order they ran
            <li key={i} className={`operation operation--${op.status}`}>
              <div>
                <strong>{op.description}</strong>{' '}
                <span className="muted">
                  ({op.status}, {Math.round(op.durationMs)} ms)
                </span>
              </div>
              <code className="virsh">{op.virsh}</code>
              {op.error && <p className="error-text">{op.error.message}</p>}
              {op.xml && <pre className="xml">{op.xml}</pre>}
            </li>
          ))}
          {entry.operations.length === 0 && <li className="muted">No libvirt operation.</li>}
        </ol>
      )}
    </li>
  );
}

export function ActivityPanel() {
  const store = useChaosStore();
  const activity = useChaos(selectActivity);
  const exportAs = async (format: ExportFormat) => {
    const file = await store.getState().exportActivity(format);
    if (file) download(file);
  };
  return (
    <section className="panel activity-panel" aria-label="Activity log">
      <div className="panel__controls">
        <button
          type="button"
          className="button button--small"
          data-testid="export-text"
          onClick={() => void exportAs('text')}
        >
          <Download size={14} aria-hidden /> Export text
        </button>
        <button
          type="button"
          className="button button--small"
          data-testid="export-virsh"
          onClick={() => void exportAs('virsh-script')}
        >
          <Download size={14} aria-hidden /> Export virsh script
        </button>
      </div>
      <ul className="rows">
        {activity.map((entry) => (
          <Entry key={entry.id} entry={entry} />
        ))}
      </ul>
      {activity.length === 0 && (
        <p className="panel__empty muted">Nothing done yet. Every operation will be listed here.</p>
      )}
    </section>
  );
}
