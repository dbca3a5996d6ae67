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
import type { CutScope } from '../../../shared/api';
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
  takesPort,
} from '../store/selectors';
import { blockedBy, DURATION_PROBLEM_ID, FieldProblem, PORT_PROBLEM_ID } from './FieldProblem';
import { useChaos, useChaosStore } from './store-context';

// The tools and the settings that apply to the next strokes. Heal all and undo are always here.
// The port and the duration are kept as typed: a wrong one is said beside its field and blocks
// what it feeds, it is never quietly read as "every port" or "no limit".

type ScopeKind = CutScope['kind'];
const SCOPES: Array<{ kind: ScopeKind; label: string }> = [
  { kind: 'all', label: 'All' },
  { kind: 'udp', label: 'UDP' },
  { kind: 'tcp', label: 'TCP' },
  { kind: 'icmp', label: 'ICMP' },
  { kind: 'ipv4', label: 'IPv4' },
];

function ScopePicker() {
  const store = useChaosStore();
  const kind = useChaos(selectScopeKind);
  const port = useChaos(selectPortField);
  const problem = useChaos(selectPortProblem);
  const portable = takesPort(kind);
  return (
    <fieldset className="toolbar__group" aria-label="Scope of the next cuts">
      <legend className="sr-only">Scope</legend>
      <div className="segmented" data-testid="scope-picker">
        {SCOPES.map((s) => (
          <button
            key={s.kind}
            type="button"
            aria-pressed={kind === s.kind}
            className={kind === s.kind ? 'is-on' : ''}
            onClick={() => store.getState().setScopeKind(s.kind)}
          >
            {s.label}
          </button>
        ))}
      </div>
      <span className="field-anchor">
        <input
          className="port"
          aria-label="Destination port (TCP or UDP)"
          aria-invalid={problem !== null}
          aria-describedby={problem ? PORT_PROBLEM_ID : undefined}
          data-testid="scope-port"
          placeholder={portable ? 'any port' : 'port'}
          inputMode="numeric"
          disabled={!portable}
          value={portable ? port.text : ''}
          onChange={(e) => store.getState().typePort(e.target.value)}
        />
        <FieldProblem id={PORT_PROBLEM_ID} problem={problem} />
      </span>
    </fieldset>
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
