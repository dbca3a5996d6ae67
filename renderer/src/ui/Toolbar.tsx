import {
  ArrowRight,
  Bandage,
  Moon,
  MousePointer2,
  Presentation,
  Scissors,
  Sun,
  Timer,
  Undo2,
} from 'lucide-react';
import {
  selectDurationField,
  selectDurationProblem,
  selectHasCuts,
  selectOneWay,
  selectPortField,
  selectPortProblem,
  selectProjector,
  selectScopeKind,
  selectTheme,
  selectTool,
} from '../store/selectors';
import { blockedBy, DURATION_PROBLEM_ID, FieldProblem, PORT_PROBLEM_ID } from './FieldProblem';
import { ScopeControl } from './ScopeControl';
import { useChaos, useChaosStore } from './store-context';

// The tools and the settings that apply to the next strokes. Heal all and undo are always here.
// The port and the duration are kept as typed: a wrong one is said beside its field and blocks
// what it feeds, it is never quietly read as "every port" or "no limit".

function ScopePicker() {
  const store = useChaosStore();
  const kind = useChaos(selectScopeKind);
  const port = useChaos(selectPortField);
  const problem = useChaos(selectPortProblem);
  return (
    <ScopeControl
      label="Scope of the next cuts"
      className="toolbar__group"
      kind={kind}
      portText={port.text}
      problem={problem}
      problemId={PORT_PROBLEM_ID}
      testId="scope-picker"
      portTestId="scope-port"
      onKind={(kind) => store.getState().setScopeKind(kind)}
      onPort={(text) => store.getState().typePort(text)}
    />
  );
}

function DurationPicker() {
  const store = useChaosStore();
  const duration = useChaos(selectDurationField);
  const problem = useChaos(selectDurationProblem);
  return (
    <label
      className="toolbar__group duration"
      title="Cuts heal themselves after this many seconds (while the engine runs)"
    >
      <Timer size={18} aria-hidden />
      <span className="sr-only">Heal after seconds</span>
      <span className="field-anchor">
        <input
          aria-label="Heal after (seconds)"
          data-testid="duration"
          aria-invalid={problem !== null}
          aria-describedby={problem ? DURATION_PROBLEM_ID : undefined}
          placeholder="no limit"
          inputMode="numeric"
          value={duration.text}
          onChange={(e) => store.getState().typeDuration(e.target.value)}
        />
        <FieldProblem id={DURATION_PROBLEM_ID} problem={problem} />
      </span>
      <span className="muted">s</span>
    </label>
  );
}

export function Toolbar() {
  const store = useChaosStore();
  const tool = useChaos(selectTool);
  const oneWay = useChaos(selectOneWay);
  const theme = useChaos(selectTheme);
  const projector = useChaos(selectProjector);
  const hasCuts = useChaos(selectHasCuts);
  const portProblem = useChaos(selectPortProblem);
  const durationProblem = useChaos(selectDurationProblem);
  const knife = blockedBy('Knife: drag across links to cut them (K, or hold Shift and drag)', [
    { id: PORT_PROBLEM_ID, problem: portProblem },
    { id: DURATION_PROBLEM_ID, problem: durationProblem },
  ]);
  return (
    <header className="toolbar" role="toolbar" aria-label="Tools">
      <div className="brand">
        <Scissors size={22} aria-hidden />
        <span>kvm-chaos</span>
      </div>
      <div className="segmented">
        <button
          type="button"
          aria-pressed={tool === 'select'}
          className={tool === 'select' ? 'is-on' : ''}
          data-testid="tool-select"
          title="Select and drag (V)"
          onClick={() => store.getState().setTool('select')}
        >
          <MousePointer2 size={18} aria-hidden /> Select
        </button>
        <button
          type="button"
          aria-pressed={tool === 'knife'}
          className={tool === 'knife' ? 'is-on is-knife' : ''}
          data-testid="tool-knife"
          {...knife}
          onClick={() => store.getState().setTool(tool === 'knife' ? 'select' : 'knife')}
        >
          <Scissors size={18} aria-hidden /> Knife
        </button>
      </div>
      <button
        type="button"
        aria-pressed={oneWay}
        className={`toggle ${oneWay ? 'is-on' : ''}`}
        data-testid="one-way"
        title="One-way: cut only traffic in the stroke's direction (or hold Alt while cutting)"
        onClick={() => store.getState().setOneWay(!oneWay)}
      >
        <ArrowRight size={18} aria-hidden /> One-way
      </button>
      <ScopePicker />
      <DurationPicker />
      <div className="toolbar__spacer" />
      <button
        type="button"
        className="button"
        data-testid="undo"
        title="Undo: heal the last apply (Ctrl/Cmd+Z)"
        onClick={() => void store.getState().undo()}
      >
        <Undo2 size={18} aria-hidden /> Undo
      </button>
      <button
        type="button"
        className={`button button--heal ${hasCuts ? 'is-urgent' : ''}`}
        data-testid="heal-all"
        title="Heal every cut on every host (H)"
        onClick={() => void store.getState().healAll()}
      >
        <Bandage size={18} aria-hidden /> Heal all
      </button>
      <button
        type="button"
        aria-pressed={projector}
        className={`toggle button--icon ${projector ? 'is-on' : ''}`}
        aria-label="Projector mode"
        title="Projector mode: large type, high contrast, no side panel (P)"
        data-testid="projector"
        onClick={() => store.getState().setProjector(!projector)}
      >
        <Presentation size={18} aria-hidden />
      </button>
      <button
        type="button"
        className="button button--icon"
        aria-label={theme === 'dark' ? 'Light theme' : 'Dark theme'}
        data-testid="theme"
        onClick={() => store.getState().setTheme(theme === 'dark' ? 'light' : 'dark')}
      >
        {theme === 'dark' ? <Sun size={18} aria-hidden /> : <Moon size={18} aria-hidden />}
      </button>
    </header>
  );
}
