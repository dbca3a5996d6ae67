import { Globe, Scissors } from 'lucide-react';
import { useMemo, useRef, useState } from 'react';
import type { Guest, HostInventory } from '../../../shared/api';
import { selectDurationField, selectPortField, selectScopeKind } from '../store/selectors';
import { FieldProblem } from '../ui/FieldProblem';
import { ScopeControl } from '../ui/ScopeControl';
import { useChaos, useChaosStore } from '../ui/store-context';
import {
  cuttableInterfaces,
  gatewayChoice,
  OUTSIDE_DIRECTIONS,
  type OutsideForm,
  readOutsideCut,
  readOutsideScope,
  TARGET_PLACEHOLDER,
} from './outside-cut-form';
import './outside-cut.css';

// "Cut from outside…" on the guest panel: cut the guest from its gateway, an address, a network or
// a DNS name. What is typed is read as the user types (outside-cut-form.ts); what the engine
// refuses (a name that does not resolve) is said in the same place, beside the field.

const PROBLEM_ID = 'outside-problem';
const PORT_PROBLEM_ID = 'outside-port-problem';

export function OutsideCut({ guest, inventory }: { guest: Guest; inventory: HostInventory }) {
  const [open, setOpen] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const close = () => {
    setOpen(false);
    // Back where the user was, for the keyboard.
    requestAnimationFrame(() => opener.current?.focus());
  };
  const cuttable = cuttableInterfaces(guest).length > 0;
  return (
    <section className="outside-cut" aria-label={`Cut ${guest.name} from outside`}>
      {open ? (
        <OutsideCutForm guest={guest} inventory={inventory} onClose={close} />
      ) : (
        <button
          ref={opener}
          type="button"
          className="button"
          data-testid="cut-outside-open"
          disabled={!cuttable}
          title={
            cuttable
              ? `Cut ${guest.name} from its gateway, an address, a network or a DNS name`
              : `${guest.name} has no interface that can be cut`
          }
          onClick={() => setOpen(true)}
        >
          <Globe size={16} aria-hidden /> Cut from outside…
        </button>
      )}
    </section>
  );
}

function OutsideCutForm(props: { guest: Guest; inventory: HostInventory; onClose: () => void }) {
  const { guest, inventory, onClose } = props;
  const store = useChaosStore();
  const duration = useChaos(selectDurationField);
  // Starts from the toolbar's scope: what the user last chose for cuts.
  const toolbarKind = useChaos(selectScopeKind);
  const toolbarPort = useChaos(selectPortField);
  const [form, setForm] = useState<OutsideForm>(() => ({
    target: '',
    direction: 'both',
    scopeKind: toolbarKind,
    port: toolbarPort.text,
    mac: null,
  }));
  const [refused, setRefused] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reading = useMemo(() => readOutsideCut(inventory, guest, form), [inventory, guest, form]);
  const gateway = gatewayChoice(inventory, guest);
  const interfaces = cuttableInterfaces(guest);
  const edit = (patch: Partial<OutsideForm>) => {
    setRefused(null);
    setForm((f) => ({ ...f, ...patch }));
  };
  // The port's words sit beside the port, whatever the target; everything else under the target.
  const scope = readOutsideScope(form);
  const portProblem = scope.ok ? null : scope.problem;
  const problem = refused ?? (!reading.ok && reading.field !== 'port' ? reading.problem : null);
  const quiet = refused === null && !reading.ok && reading.quiet === true;

  const submit = async () => {
    if (!reading.ok || busy) return;
    setBusy(true);
    try {
      const why = await store.getState().cutOutside(reading.label, reading.cut);
      if (why === null) onClose();
      else setRefused(why);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="outside-cut__form"
      data-testid="outside-cut-form"
      aria-label={`Cut ${guest.name} from outside`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <h4>
        <Globe size={16} aria-hidden /> Cut {guest.name} from outside
      </h4>
      <label className="field">
        <span>Target</span>
        <input
          // biome-ignore lint/a11y/noAutofocus: the user just asked for this form
          autoFocus
          value={form.target}
          placeholder={TARGET_PLACEHOLDER}
          data-testid="outside-target"
          aria-invalid={problem !== null && !quiet}
          aria-describedby={problem ? PROBLEM_ID : undefined}
          spellCheck={false}
          onChange={(e) => edit({ target: e.target.value })}
        />
        <FieldProblem id={PROBLEM_ID} problem={problem} quiet={quiet} />
        {reading.ok && refused === null && (
          <span className="muted small" data-testid="outside-preview">
            {reading.label}
          </span>
        )}
      </label>
      {gateway && (
        <div className="outside-cut__picks">
          <button
            type="button"
            className="button button--small"
            data-testid="outside-gateway"
            aria-pressed={form.target.trim().toLowerCase() === 'gateway'}
            onClick={() => edit({ target: 'gateway' })}
          >
            {gateway}
          </button>
        </div>
      )}
      {interfaces.length > 1 && (
        <label className="field">
          <span>Interface</span>
          <select
            value={form.mac ?? interfaces[0]?.mac}
            data-testid="outside-interface"
            onChange={(e) => edit({ mac: e.target.value })}
          >
            {interfaces.map((i) => (
              <option key={i.mac} value={i.mac}>
                {i.mac} ({i.portdev})
              </option>
            ))}
          </select>
        </label>
      )}
      <div
        role="radiogroup"
        aria-label="Which way"
        className="outside-cut__directions"
        data-testid="outside-direction"
      >
        {OUTSIDE_DIRECTIONS.map((d) => (
          <label key={d.value} className={`preset ${form.direction === d.value ? 'is-on' : ''}`}>
            <input
              type="radio"
              name={`outside-direction-${guest.id}`}
              value={d.value}
              checked={form.direction === d.value}
              onChange={() => edit({ direction: d.value })}
            />
            <span>{d.label}</span>
          </label>
        ))}
      </div>
      <ScopeControl
        label="What traffic"
        className="outside-cut__scope"
        kind={form.scopeKind}
        portText={form.port}
        problem={portProblem}
        problemId={PORT_PROBLEM_ID}
        testId="outside-scope"
        onKind={(scopeKind) => edit({ scopeKind })}
        onPort={(port) => edit({ port })}
      />
      {duration.ok && duration.value !== null && (
        <p className="muted small">Heals itself after {duration.value} s (the toolbar's timer).</p>
      )}
      <div className="actions">
        <button
          type="submit"
          className="button button--primary"
          data-testid="outside-apply"
          disabled={!reading.ok || busy}
        >
          <Scissors size={16} aria-hidden /> Apply
        </button>
        <button type="button" className="button" data-testid="outside-cancel" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
