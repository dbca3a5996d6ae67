import {
  ArrowRight,
  Bandage,
  Moon,
  MousePointer2,
  Scissors,
  Sun,
  Timer,
  Undo2,
} from 'lucide-react';
import { useState } from 'react';
import type { CutScope } from '../../../shared/api';
import {
  selectDuration,
  selectHasCuts,
  selectOneWay,
  selectScope,
  selectTheme,
  selectTool,
} from '../store/selectors';
import { useChaos, useChaosStore } from './store-context';

// The tools and the settings that apply to the next strokes. Heal all and undo are always here.

type ScopeKind = CutScope['kind'];
const SCOPES: Array<{ kind: ScopeKind; label: string }> = [
  { kind: 'all', label: 'All' },
  { kind: 'udp', label: 'UDP' },
  { kind: 'tcp', label: 'TCP' },
  { kind: 'icmp', label: 'ICMP' },
  { kind: 'ipv4', label: 'IPv4' },
];

export function scopeFrom(kind: ScopeKind, port: string): CutScope | null {
  if (kind === 'tcp' || kind === 'udp') {
    if (port.trim() === '') return { kind };
    const n = Number(port);
    return Number.isInteger(n) && n >= 1 && n <= 65535 ? { kind, port: n } : null;
  }
  return { kind };
}

function ScopePicker() {
  const store = useChaosStore();
  const scope = useChaos(selectScope);
  const [port, setPort] = useState(
    scope.kind === 'tcp' || scope.kind === 'udp' ? String(scope.port ?? '') : '',
  );
  const portable = scope.kind === 'tcp' || scope.kind === 'udp';
  const portValid = !portable || scopeFrom(scope.kind, port) !== null;
  const choose = (kind: ScopeKind) => {
    const next = scopeFrom(kind, port);
    if (next) return store.getState().setScope(next);
    setPort('');
    store.getState().setScope(scopeFrom(kind, '') as CutScope);
  };
  const typePort = (text: string) => {
    setPort(text);
    const next = portable ? scopeFrom(scope.kind, text) : null;
    // An invalid port keeps the last valid scope; the field shows it is invalid.
    if (next) store.getState().setScope(next);
  };
  return (
    <fieldset className="toolbar__group" aria-label="Scope of the next cuts">
      <legend className="sr-only">Scope</legend>
      <div className="segmented" data-testid="scope-picker">
        {SCOPES.map((s) => (
          <button
            key={s.kind}
            type="button"
            aria-pressed={scope.kind === s.kind}
            className={scope.kind === s.kind ? 'is-on' : ''}
            onClick={() => choose(s.kind)}
          >
            {s.label}
          </button>
        ))}
      </div>
      <input
        className={`port ${portValid ? '' : 'is-invalid'}`}
        aria-label="Destination port (TCP or UDP)"
        aria-invalid={!portValid}
        data-testid="scope-port"
        placeholder="port"
        inputMode="numeric"
        disabled={!portable}
        value={portable ? port : ''}
        onChange={(e) => typePort(e.target.value)}
      />
    </fieldset>
  );
}

function DurationPicker() {
  const store = useChaosStore();
  const duration = useChaos(selectDuration);
  const [text, setText] = useState(duration ? String(duration) : '');
  const value = text.trim() === '' ? null : Number(text);
  const valid = value === null || (Number.isInteger(value) && value >= 1 && value <= 7 * 24 * 3600);
  return (
    <label
      className="toolbar__group duration"
      title="Cuts heal themselves after this many seconds (while the engine runs)"
    >
      <Timer size={18} aria-hidden />
      <span className="sr-only">Heal after seconds</span>
      <input
        aria-label="Heal after (seconds)"
        data-testid="duration"
        className={valid ? '' : 'is-invalid'}
        aria-invalid={!valid}
        placeholder="no limit"
        inputMode="numeric"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const next = e.target.value.trim() === '' ? null : Number(e.target.value);
          if (next === null || (Number.isInteger(next) && next >= 1))
            store.getState().setDuration(next);
        }}
      />
      <span className="muted">s</span>
    </label>
  );
}

export function Toolbar() {
  const store = useChaosStore();
  const tool = useChaos(selectTool);
  const oneWay = useChaos(selectOneWay);
  const theme = useChaos(selectTheme);
  const hasCuts = useChaos(selectHasCuts);
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
          title="Knife: drag across links to cut them (K, or hold Shift and drag)"
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
