import { Scissors, ShieldCheck, ShieldExclamationPoint } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import type { Guest, GuestInterface, Preset } from '../../../shared/api';
import { expiryWords, madeWords } from '../graph/cut-words';
import { Countdown } from '../graph/edges/Countdown';
import { CUT_STATE_WORDS, protectionOf } from '../graph/model';
import {
  selectInventories,
  selectPresets,
  selectSelectedGuest,
  selectSelectedGuestIds,
} from '../store/selectors';
import { useChaos, useChaosStore } from '../ui/store-context';
import { cutRows } from './cut-rows';
import { OutsideCut } from './OutsideCutForm';
import {
  initialTexts,
  KIND_EXAMPLE,
  type ParameterTexts,
  parsePresetParameters,
} from './protection-form';

// The guest's cuts, whoever made them: what, which way, state, author, expiry; heal one by one.
// Spoof protection per interface: the presets from the engine as one clear choice, clean-traffic
// first, the IP pinned and editable; applied live and persistently. Unprotected guests are told so.

const NONE = 'none';

function currentChoice(iface: GuestInterface, presets: readonly Preset[]): string {
  if (iface.protection.kind === 'preset') return iface.protection.presetId;
  if (iface.protection.kind === 'custom') {
    const { filter } = iface.protection;
    return presets.find((p) => p.filter === filter)?.id ?? NONE;
  }
  return NONE;
}

function InterfaceProtection({
  guest,
  iface,
  presets,
}: {
  guest: Guest;
  iface: GuestInterface;
  presets: Preset[];
}) {
  const store = useChaosStore();
  const current = currentChoice(iface, presets);
  const recommended = presets.find((p) => p.isDefault) ?? presets[0];
  const [choice, setChoice] = useState(current === NONE ? (recommended?.id ?? NONE) : current);
  const preset = presets.find((p) => p.id === choice);
  const [texts, setTexts] = useState<ParameterTexts>(() =>
    preset ? initialTexts(preset, iface) : {},
  );
  const [busy, setBusy] = useState(false);
  // Reset the fields when the choice or what the host holds changes, not on every refresh.
  const source = `${preset?.id}|${JSON.stringify(iface.protection)}|${iface.ips.map((i) => i.address).join()}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `source` stands for preset and iface
  useEffect(() => {
    if (preset) setTexts(initialTexts(preset, iface));
  }, [source]);
  const { parameters, errors } = useMemo(
    () => (preset ? parsePresetParameters(preset, texts) : { parameters: [], errors: {} }),
    [preset, texts],
  );
  const valid = Object.keys(errors).length === 0;
  const run = async (action: () => Promise<boolean>) => {
    setBusy(true);
    try {
      await action();
    } finally {
      setBusy(false);
    }
  };

  return (
    <fieldset className="iface-protection" data-testid="interface-protection" data-mac={iface.mac}>
      <legend>
        <span className="mono">{iface.mac}</span>{' '}
        <span className="muted">{iface.portdev ?? 'no port'}</span>
      </legend>
      <p className="muted">
        Now:{' '}
        {iface.protection.kind === 'none'
          ? 'no protection'
          : iface.protection.kind === 'preset'
            ? iface.protection.presetId
            : `filter ${iface.protection.filter}`}
      </p>
      <div role="radiogroup" aria-label={`Protection for ${iface.mac}`} className="presets">
        {presets.map((p) => (
          <label key={p.id} className={`preset ${choice === p.id ? 'is-on' : ''}`}>
            <input
              type="radio"
              name={`preset-${iface.mac}`}
              value={p.id}
              checked={choice === p.id}
              onChange={() => setChoice(p.id)}
            />
            <span>
              <strong>{p.label}</strong>
              {p.isDefault && <span className="recommended">recommended</span>}
              <span className="preset__text muted">{p.description}</span>
            </span>
          </label>
        ))}
      </div>
      {preset?.parameters.map((spec) => (
        <label key={spec.name} className="field">
          <span>
            {spec.label}
            {spec.required ? '' : ' (optional)'}
          </span>
          <input
            value={texts[spec.name] ?? ''}
            aria-invalid={Boolean(errors[spec.name])}
            aria-describedby={`help-${iface.mac}-${spec.name}`}
            data-testid={`param-${spec.name}`}
            placeholder={KIND_EXAMPLE[spec.kind]}
            onChange={(e) => setTexts({ ...texts, [spec.name]: e.target.value })}
          />
          <small
            id={`help-${iface.mac}-${spec.name}`}
            className={errors[spec.name] ? 'error-text' : 'muted'}
          >
            {errors[spec.name] ??
              `${spec.description}${spec.multiple ? ' Several values: separate with commas.' : ''}`}
          </small>
        </label>
      ))}
      <div className="actions">
        <button
          type="button"
          className="button button--primary"
          data-testid="apply-protection"
          disabled={!preset || !valid || busy}
          onClick={() =>
            preset &&
            void run(() =>
              store.getState().setProtection(guest.id, iface.mac, preset.id, parameters),
            )
          }
        >
          <ShieldCheck size={16} aria-hidden /> Apply {preset?.label ?? ''}
        </button>
        <button
          type="button"
          className="button"
          data-testid="clear-protection"
          disabled={iface.protection.kind === 'none' || busy}
          onClick={() => void run(() => store.getState().clearProtection(guest.id, iface.mac))}
        >
          Remove protection
        </button>
      </div>
      <p className="muted small">
        Applied live and to the guest's definition (update-device --live --config).
      </p>
    </fieldset>
  );
}

function GuestCuts({ guest }: { guest: Guest }) {
  const store = useChaosStore();
  const inventories = useChaos(selectInventories);
  const rows = useMemo(
    () => cutRows(inventories[guest.hostId], guest.id),
    [inventories, guest.hostId, guest.id],
  );
  if (!rows.length) return null;
  const now = Date.now();
  return (
    <section className="guest-cuts" aria-label={`Cuts of ${guest.name}`}>
      <h4>Cuts</h4>
      <ul className="rows">
        {rows.map(({ cut, what, peer }) => (
          <li
            key={cut.id}
            className={`cut-row cut-row--${cut.state}`}
            data-testid="cut-row"
            data-state={cut.state}
          >
            <div className="cut-row__head">
              <Scissors size={14} aria-hidden />
              <strong>{what}</strong>
              <span>{peer}</span>
              {cut.state !== 'applied' && (
                <span className="cut-row__state" title={CUT_STATE_WORDS[cut.state]}>
                  {cut.state}
                </span>
              )}
              <button
                type="button"
                className="button button--small"
                aria-label={`Heal ${what} ${peer}`}
                onClick={() => void store.getState().healCut(cut.id)}
              >
                Heal
              </button>
            </div>
            <div className="muted small" data-testid="cut-made">
              by {madeWords(cut, now)}
            </div>
            <div className="small" data-testid="cut-expiry">
              {cut.expiresAt === null ? (
                <span className="muted">no expiry: stays until healed</span>
              ) : (
                <>
                  <Countdown at={cut.expiresAt} className="mono" /> ·{' '}
                  {expiryWords(cut.expiresAt, now)}
                </>
              )}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function GuestPanel() {
  const guest = useChaos(selectSelectedGuest);
  const selected = useChaos(selectSelectedGuestIds);
  const presets = useChaos(selectPresets);
  const inventories = useChaos(selectInventories);
  if (!guest) {
    return (
      <section className="panel" aria-label="Guest">
        <p className="panel__empty muted">
          {selected.length > 1
            ? `${selected.length} guests selected: use the partition bar, or select one guest to set its protection.`
            : 'Click a guest on the graph to see its interfaces and set its spoof protection.'}
        </p>
      </section>
    );
  }
  const exposure = protectionOf(guest);
  const inventory = inventories[guest.hostId];
  const attached = guest.interfaces.filter((i) => i.segmentId !== null || i.portdev);
  return (
    <section className="panel guest-panel" aria-label={`Guest ${guest.name}`}>
      <header className="guest-panel__head">
        <h3>{guest.name}</h3>
        <span className={`state-label state-label--${guest.state}`}>{guest.state}</span>
        <span className="muted mono small">{guest.uuid}</span>
      </header>
      {exposure !== 'protected' && (
        <div className="warning" role="alert" data-testid="unprotected-warning">
          <ShieldExclamationPoint size={20} aria-hidden />
          <p>
            <strong>
              {guest.name} is {exposure === 'partial' ? 'partly protected' : 'unprotected'}.
            </strong>{' '}
            It can send frames with another guest's MAC or IP, answer ARP for addresses it does not
            own, or run a rogue DHCP server. Clean traffic with its IP pinned stops that.
          </p>
        </div>
      )}
      <GuestCuts guest={guest} />
      {inventory && <OutsideCut key={guest.id} guest={guest} inventory={inventory} />}
      {attached.length === 0 && <p className="muted">This guest has no interface on a network.</p>}
      {presets.length === 0 && <p className="muted">The engine offered no presets.</p>}
      {presets.length > 0 &&
        attached.map((iface) => (
          <InterfaceProtection key={iface.mac} guest={guest} iface={iface} presets={presets} />
        ))}
    </section>
  );
}
