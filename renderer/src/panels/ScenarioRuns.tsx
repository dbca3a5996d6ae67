import { Square } from 'lucide-react';
import { formatClock } from '../graph/cut-words';
import { selectForeignRuns, selectRuns } from '../store/scenario-selectors';
import { isLive } from '../store/scenarios';
import { useChaos, useChaosStore } from '../ui/store-context';

// The runs on the hosts: this engine's (pick one to follow on the timeline and the graph), and
// those of other instances or killed processes, known by their cuts' intents, each with a Stop
// that heals exactly that run's cuts.

export function ScenarioRuns() {
  const store = useChaosStore();
  const runs = Object.values(useChaos(selectRuns)).sort((a, b) =>
    b.status.startedAt.localeCompare(a.status.startedAt),
  );
  const currentRunId = useChaos((s) => s.currentRunId);
  const foreign = useChaos(selectForeignRuns);
  return (
    <>
      {runs.length > 0 && (
        <section aria-label="Runs of this app">
          <h3>Runs</h3>
          <ul className="rows">
            {runs.map(({ status }) => (
              <li key={status.runId}>
                <button
                  type="button"
                  className={`run-row ${status.runId === currentRunId ? 'is-on' : ''}`}
                  data-testid="run-row"
                  data-run-id={status.runId}
                  data-state={status.state}
                  aria-pressed={status.runId === currentRunId}
                  onClick={() => store.getState().followRun(status.runId)}
                >
                  <span className={`run-state run-state--${status.state}`}>{status.state}</span>
                  <strong>{status.plan.name}</strong>
                  <span className="muted mono">{status.runId}</span>
                  {!isLive(status) && status.reason && (
                    <span className="run-row__reason muted">{status.reason}</span>
                  )}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {foreign.length > 0 && (
        <section aria-label="Runs of other instances">
          <h3>Other runs on the host</h3>
          <ul className="rows">
            {foreign.map((run) => (
              <li
                key={`${run.hostId}|${run.runId}`}
                className="run-row run-row--foreign"
                data-testid="foreign-run"
                data-run-id={run.runId}
              >
                <span>
                  run <strong className="mono">{run.runId}</strong> by {run.authors.join(', ')},{' '}
                  {run.cuts} {run.cuts === 1 ? 'cut' : 'cuts'}
                  {run.expiresAt !== null && (
                    <span className="muted">
                      {' '}
                      · heals by {formatClock(run.expiresAt, Date.now())}
                    </span>
                  )}
                </span>
                <button
                  type="button"
                  className="button button--small button--danger"
                  data-testid="stop-foreign-run"
                  aria-label={`Stop run ${run.runId}: heal its ${run.cuts} cuts`}
                  onClick={() => void store.getState().stopForeignRun(run.runId)}
                >
                  <Square size={14} aria-hidden /> Stop
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
