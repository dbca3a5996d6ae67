import type { CutScope } from '../../../shared/api';
import { takesPort } from '../store/selectors';
import { FieldProblem } from './FieldProblem';

// What a cut drops: all traffic, or one protocol (TCP and UDP with an optional port). One control
// for the toolbar's next strokes and for the guest panel's cut from outside; its owner keeps the
// kind and the port as typed, and says what is wrong with the port.

export type ScopeKind = CutScope['kind'];

export const SCOPES: ReadonlyArray<{ kind: ScopeKind; label: string }> = [
  { kind: 'all', label: 'All' },
  { kind: 'udp', label: 'UDP' },
  { kind: 'tcp', label: 'TCP' },
  { kind: 'icmp', label: 'ICMP' },
  { kind: 'ipv4', label: 'IPv4' },
];

export function ScopeControl(props: {
  /** What the group is for, for screen readers ("Scope of the next cuts"). */
  label: string;
  className: string;
  kind: ScopeKind;
  portText: string;
  /** Why the port is wrong, or null. */
  problem: string | null;
  problemId: string;
  /** data-testid of the buttons' group; the port field's is `${testId}-port` unless given. */
  testId: string;
  portTestId?: string;
  onKind(kind: ScopeKind): void;
  onPort(text: string): void;
}) {
  const { kind, problem, problemId } = props;
  const portable = takesPort(kind);
  return (
    <fieldset className={props.className} aria-label={props.label}>
      <legend className="sr-only">Scope</legend>
      <div className="segmented" data-testid={props.testId}>
        {SCOPES.map((s) => (
          <button
            key={s.kind}
            type="button"
            aria-pressed={kind === s.kind}
            className={kind === s.kind ? 'is-on' : ''}
            onClick={() => props.onKind(s.kind)}
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
          aria-describedby={problem ? problemId : undefined}
          data-testid={props.portTestId ?? `${props.testId}-port`}
          placeholder={portable ? 'any port' : 'port'}
          inputMode="numeric"
          disabled={!portable}
          value={portable ? props.portText : ''}
          onChange={(e) => props.onPort(e.target.value)}
        />
        <FieldProblem id={problemId} problem={problem} />
      </span>
    </fieldset>
  );
}
