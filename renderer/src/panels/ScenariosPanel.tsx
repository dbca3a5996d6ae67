import {
  CircleDot,
  FolderOpen,
  ListChecks,
  Pause,
  Play,
  Save,
  SkipForward,
  Square,
} from 'lucide-react';
import { useRef } from 'react';
import {
  selectCurrentRun,
  selectRecording,
  selectScenarioFile,
  selectScenarioPlan,
  selectScenarioSeed,
  selectScenarioTab,
} from '../store/scenario-selectors';
import { isLive, untilNext } from '../store/scenarios';
import { selectHosts } from '../store/selectors';
import { useChaos, useChaosStore } from '../ui/store-context';
import { download } from './ActivityPanel';
import { NemesisPicker } from './NemesisPicker';
import { ScenarioEditor } from './ScenarioEditor';
import { ScenarioRuns } from './ScenarioRuns';
import { ScenarioTimeline } from './ScenarioTimeline';
import { mmss, nextThing } from './scenario-timeline';
import { useTicker } from './use-ticker';

// Scenarios: open or write a file (or pick a nemesis), plan it on a host, then play, pause, step
// and stop it while the timeline and the graph show where it is; record the next actions into a
// new scenario; stop runs that other instances left on the host.

const FILE_TYPES = '.yaml,.yml,.json,application/json,application/yaml,text/yaml';

/** A file name ending as YAML or JSON does; anything else gets .yaml. */
const saveName = (name: string) =>
  /\.(ya?ml|json)$/i.test(name) ? name : `${name || 'scenario'}.yaml`;

function SourceBar() {
  const store = useChaosStore();
  const file = useChaos(selectScenarioFile);
  const recording = useChaos(selectRecording);
  const input = useRef<HTMLInputElement>(null);
  const now = useTicker(recording.state === 'on', 1000);
  return (
    <div className="panel__controls">
      <input
        ref={input}
        type="file"
        accept={FILE_TYPES}
        className="sr-only"
        tabIndex={-1}
        data-testid="scenario-file-input"
        onChange={async (e) => {
          const picked = e.target.files?.[0];
          e.target.value = '';
          if (picked)
            store.getState().openScenarioFile({ filename: picked.name, text: await picked.text() });
        }}
      />
      <button
        type="button"
        className="button button--small"
        data-testid="scenario-open"
        onClick={() => input.current?.click()}
      >
        <FolderOpen size={14} aria-hidden /> Open…
      </button>
      <button
        type="button"
        className="button button--small"
        data-testid="scenario-save"
        title={`Save as ${saveName(file.filename)}`}
        onClick={() =>
          download({
            filename: saveName(file.filename),
            mimeType: 'application/yaml',
            content: file.text,
          })
        }
      >
        <Save size={14} aria-hidden /> Save
      </button>
      <button
        type="button"
        className={`button button--small record ${recording.state === 'on' ? 'is-recording' : ''}`}
        data-testid="scenario-record"
        data-recording={recording.state === 'on' ? 'true' : undefined}
        aria-pressed={recording.state === 'on'}
        title="Keep your next cuts, partitions, heals and protection changes as a scenario"
        onClick={() =>
          recording.state === 'on'
            ? store.getState().stopRecording()
            : store.getState().startRecording()
        }
      >
        <CircleDot size={14} aria-hidden />
        {recording.state === 'on'
          ? `Stop recording · ${recording.actions.length} · ${mmss(now - recording.startedAt)}`
          : 'Record'}
      </button>
    </div>
  );
}

function RunBar() {
  const store = useChaosStore();
  const run = useChaos(selectCurrentRun);
  const plan = useChaos(selectScenarioPlan);
  const live = run !== null && isLive(run.status);
  const now = useTicker(live && run?.status.state === 'running');
  const left = run ? untilNext(run, now) : null;
  const next = live && run ? nextThing(run.status) : null;
  const planning = plan.state === 'planning';
  const s = store.getState();
  const state = run?.status.state;
  const buttons = [
    {
      id: 'plan',
      label: 'Plan',
      Icon: ListChecks,
      disabled: planning || live,
      title: 'Show what will happen, and when; changes nothing',
      run: s.planScenario,
    },
    {
      id: 'play',
      label: state === 'paused' ? 'Resume' : 'Play',
      Icon: Play,
      tone: 'primary',
      disabled: planning || state === 'running' || state === 'stopping',
      run: s.playScenario,
    },
    {
      id: 'pause',
      label: 'Pause',
      Icon: Pause,
      disabled: state !== 'running',
      run: s.pauseScenario,
    },
    {
      id: 'step',
      label: 'Step',
      Icon: SkipForward,
      disabled: planning || state === 'stopping',
      title: 'Run the next step now, then pause',
      run: s.stepScenario,
    },
    {
      id: 'stop',
      label: 'Stop',
      Icon: Square,
      tone: 'danger',
      disabled: !live || state === 'stopping',
      title: 'Stop and heal everything the run made',
      run: s.stopScenario,
    },
  ];
  return (
    <div className="run-bar" data-testid="run-bar" data-state={run?.status.state ?? 'none'}>
      <fieldset className="run-bar__buttons" aria-label="Run">
        {buttons.map((b) => (
          <button
            key={b.id}
            type="button"
            className={`button button--small ${b.tone ? `button--${b.tone}` : ''}`}
            data-testid={`scenario-${b.id}`}
            disabled={b.disabled}
            title={b.title}
            onClick={() => void b.run()}
          >
            <b.Icon size={14} aria-hidden /> {b.label}
          </button>
        ))}
      </fieldset>
      {/* An ended run's words stay until another plan is shown. */}
      {run && (live || plan.state !== 'planned') && (
        <p className="run-bar__status" aria-live="polite">
          <span className={`run-state run-state--${run.status.state}`} data-testid="run-state">
            {run.status.state}
          </span>
          {left !== null && (
            <span className="run-bar__next">
              next in{' '}
              <strong className="countdown mono" data-testid="scenario-countdown">
                {mmss(left)}
              </strong>
              {next && <span className="muted"> · {next}</span>}
            </span>
          )}
          {!live && run.status.reason && <span className="muted">{run.status.reason}</span>}
          {run.status.error && <span className="error-text">{run.status.error.message}</span>}
        </p>
      )}
    </div>
  );
}

export function ScenariosPanel() {
  const store = useChaosStore();
  const tab = useChaos(selectScenarioTab);
  const plan = useChaos(selectScenarioPlan);
  const run = useChaos(selectCurrentRun);
  const seed = useChaos(selectScenarioSeed);
  const hosts = useChaos(selectHosts).filter((h) => h.status.state === 'connected');
  const hostId = useChaos((s) => s.scenarioHostId);
  const file = useChaos(selectScenarioFile);
  const ticking = run?.status.state === 'running';
  const now = useTicker(ticking);
  // The followed run's own plan wins over the one planned here: it is what is happening.
  const shown =
    run && isLive(run.status)
      ? run.status.plan
      : plan.state === 'planned'
        ? plan.plan
        : (run?.status.plan ?? null);
  const s = store.getState();
  return (
    <section className="panel scenarios-panel" aria-label="Scenarios">
      <div className="segmented scenario-tabs" role="tablist" aria-label="Source">
        {(['file', 'nemesis'] as const).map((kind) => (
          <button
            key={kind}
            type="button"
            role="tab"
            aria-selected={tab === kind}
            className={tab === kind ? 'is-on' : ''}
            data-testid={`scenario-source-${kind}`}
            onClick={() => s.setScenarioTab(kind)}
          >
            {kind === 'file' ? `File · ${file.filename}` : 'Nemesis'}
          </button>
        ))}
      </div>
      {tab === 'file' ? (
        <>
          <SourceBar />
          <ScenarioEditor />
        </>
      ) : (
        <NemesisPicker />
      )}
      <div className="scenario-options">
        <label className="field field--inline">
          <span>Seed</span>
          <input
            inputMode="numeric"
            className="scenario-seed"
            data-testid="scenario-seed"
            placeholder={tab === 'file' ? "the file's, else random" : 'random'}
            value={seed}
            onChange={(e) => s.setScenarioSeed(e.target.value)}
          />
        </label>
        {hosts.length > 1 && (
          <label className="field field--inline">
            <span>Hosts</span>
            <select
              data-testid="scenario-host"
              title="The hosts whose guests the scenario names: all of them together, or one"
              value={hostId ?? ''}
              onChange={(e) => s.setScenarioHost((e.target.value || null) as never)}
            >
              <option value="">All {hosts.length} hosts</option>
              {hosts.map((h) => (
                <option key={h.id} value={h.id}>
                  {h.label || h.uri}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <RunBar />
      {plan.state === 'refused' && tab === 'nemesis' && (
        <p className="error-text" role="alert" data-testid="scenario-refused">
          {plan.error.message}
        </p>
      )}
      {shown ? (
        <ScenarioTimeline
          plan={shown}
          run={run && run.status.plan === shown ? run : null}
          now={now}
        />
      ) : (
        <p className="panel__empty muted">
          Plan the scenario to see its steps on a timeline, with the seed that drew its random
          choices; nothing changes on the host until Play.
        </p>
      )}
      <ScenarioRuns />
    </section>
  );
}
