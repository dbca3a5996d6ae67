import { NemesisName } from '../../../shared/api';
import { selectNemesisForm } from '../store/scenario-selectors';
import type { NemesisForm } from '../store/scenario-state';
import { useChaos, useChaosStore } from '../ui/store-context';

// A nemesis as the other source of a plan: Jepsen's names, the guests it draws from, how long
// each fault and each quiet lasts, and how many rounds (or for how long).

const WORDS: Record<NemesisName, string> = {
  'random-halves': 'random halves: shuffle, cut into two halves',
  'random-isolated': 'random isolated: one random guest cut from the rest',
  'majorities-ring': 'majorities ring: each guest keeps its own majority',
  bridge: 'bridge: two halves, one guest reaching both',
  'flapping-link': 'flapping link: one random link, cut and healed each round',
  'one-link': 'one link at a time: a new random link each round',
};

type TextField = 'interval' | 'jitter' | 'rounds' | 'duration';

function useForm() {
  const store = useChaosStore();
  return [useChaos(selectNemesisForm), store.getState().setNemesisForm] as const;
}

function SecondsField({ label, field }: { label: string; field: TextField }) {
  const [form, patch] = useForm();
  return (
    <label className="field">
      <span>{label}</span>
      <input
        inputMode="decimal"
        data-testid={`nemesis-${field}`}
        value={form[field]}
        onChange={(e) => patch({ [field]: e.target.value })}
      />
    </label>
  );
}

/** How the nemesis ends: after so many rounds, or after so long; the other field rests. */
function Limit({ limit, label }: { limit: NemesisForm['limit']; label: string }) {
  const [form, patch] = useForm();
  const on = form.limit === limit;
  return (
    <div className="field field--inline">
      <label className="field--inline">
        <input
          type="radio"
          name="nemesis-limit"
          data-testid={`nemesis-limit-${limit}`}
          checked={on}
          onChange={() => patch({ limit })}
        />
        <span>{label}</span>
      </label>
      <input
        inputMode="decimal"
        aria-label={label}
        data-testid={`nemesis-${limit}`}
        disabled={!on}
        value={form[limit]}
        onChange={(e) => patch({ [limit]: e.target.value })}
      />
    </div>
  );
}

export function NemesisPicker() {
  const [form, patch] = useForm();
  return (
    <fieldset className="nemesis" data-testid="nemesis-picker">
      <legend className="sr-only">Nemesis</legend>
      <label className="field">
        <span>Nemesis</span>
        <select
          data-testid="nemesis-name"
          value={form.nemesis}
          onChange={(e) => patch({ nemesis: e.target.value as NemesisName })}
        >
          {NemesisName.options.map((name) => (
            <option key={name} value={name}>
              {WORDS[name]}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Guests</span>
        <input
          data-testid="nemesis-guests"
          placeholder="every running guest (or: lab-node*, label:role=db)"
          value={form.guests}
          onChange={(e) => patch({ guests: e.target.value })}
        />
      </label>
      <div className="nemesis__row">
        <SecondsField label="Interval (s)" field="interval" />
        <SecondsField label="Jitter (± s)" field="jitter" />
      </div>
      <div className="nemesis__row" role="radiogroup" aria-label="How long">
        <Limit limit="rounds" label="Rounds" />
        <Limit limit="duration" label="For (s)" />
      </div>
    </fieldset>
  );
}
