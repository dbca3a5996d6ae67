import { KeyRound, ShieldAlert } from 'lucide-react';
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import {
  selectConsentPrompt,
  selectHostKeyPrompt,
  selectPassphrasePrompt,
} from '../store/selectors';
import { useChaos, useChaosStore } from './store-context';

// The two questions the engine may ask while connecting: trust this host key (first use only;
// a changed key is refused, never asked), and the passphrase of a key (never stored). And the one
// the UI asks before a change that leaves a port without rules for a moment.

/** Esc answers `onCancel` when given; the connection questions must be answered. */
function Modal({
  label,
  children,
  onCancel,
}: {
  label: string;
  children: ReactNode;
  onCancel?: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className="modal"
      aria-label={label}
      onCancel={(e) => {
        e.preventDefault();
        onCancel?.();
      }}
    >
      {children}
    </dialog>
  );
}

export function HostKeyDialog() {
  const store = useChaosStore();
  const prompt = useChaos(selectHostKeyPrompt);
  if (!prompt) return null;
  const answer = (accept: boolean) => void store.getState().answerHostKey(prompt.promptId, accept);
  return (
    <Modal key={prompt.promptId} label="Unknown host key">
      <div data-testid="host-key-dialog">
        <h2>
          <KeyRound size={22} aria-hidden /> First connection to {prompt.host}
          {prompt.port === 22 ? '' : `:${prompt.port}`}
        </h2>
        <p>kvm-chaos has never seen this host. Its {prompt.keyType} key has the fingerprint</p>
        <p className="fingerprint mono" data-testid="fingerprint">
          {prompt.fingerprint}
        </p>
        <p className="muted">
          Compare it with what the host itself says, e.g.{' '}
          <code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code> run there. If it matches,
          accept: the key is remembered in <code>{prompt.knownHostsPath}</code> and a different key
          later will be refused.
        </p>
        <div className="actions">
          <button
            type="button"
            className="button button--primary"
            data-testid="accept-host-key"
            onClick={() => answer(true)}
          >
            It matches: trust and connect
          </button>
          <button
            type="button"
            className="button"
            data-testid="reject-host-key"
            onClick={() => answer(false)}
          >
            Reject
          </button>
        </div>
      </div>
    </Modal>
  );
}

export function PassphraseDialog() {
  const store = useChaosStore();
  const prompt = useChaos(selectPassphrasePrompt);
  const [text, setText] = useState('');
  if (!prompt) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void store.getState().answerPassphrase(prompt.promptId, text);
    setText('');
  };
  return (
    <Modal key={prompt.promptId} label="Key passphrase">
      <form onSubmit={submit} data-testid="passphrase-dialog">
        <h2>
          <KeyRound size={22} aria-hidden /> Passphrase for {prompt.keyPath}
        </h2>
        {prompt.retry && (
          <p className="error-text">That passphrase did not open the key. Try again.</p>
        )}
        <input
          type="password"
          aria-label="Passphrase"
          autoComplete="off"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <p className="muted small">Used once to open the key, never stored.</p>
        <div className="actions">
          <button type="submit" className="button button--primary">
            Unlock
          </button>
          <button
            type="button"
            className="button"
            onClick={() => {
              setText('');
              void store.getState().answerPassphrase(prompt.promptId, null);
            }}
          >
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function UnfilteredWindowDialog() {
  const store = useChaosStore();
  const prompt = useChaos(selectConsentPrompt);
  if (!prompt) return null;
  const answer = (allow: boolean) => store.getState().answerConsent(prompt.id, allow);
  const ports = prompt.ports.length ? prompt.ports.join(', ') : 'a port';
  const one = prompt.ports.length <= 1;
  return (
    <Modal key={prompt.id} label="Unfiltered window" onCancel={() => answer(false)}>
      <div data-testid="unfiltered-window-dialog" data-ports={prompt.ports.join(' ')}>
        <h2>
          <ShieldAlert size={22} aria-hidden /> {ports} would have no rules for about a second
        </h2>
        <p>
          <strong>{prompt.label}</strong> must replace a binding that kvm-chaos did not set. While
          it does, {one ? 'the port has' : 'these ports have'} no rules at all for about a second:
          the guest can use another's MAC or IP, or answer ARP for addresses it does not own.
        </p>
        <p className="muted" data-testid="unfiltered-window-message">
          The engine says: {prompt.message}
        </p>
        {prompt.hint && <p className="hint">{prompt.hint}</p>}
        <div className="actions">
          <button
            type="button"
            className="button"
            data-testid="unfiltered-window-cancel"
            // biome-ignore lint/a11y/noAutofocus: the safe answer has the focus, so Enter cancels
            autoFocus
            onClick={() => answer(false)}
          >
            Cancel
          </button>
          <button
            type="button"
            className="button button--danger"
            data-testid="unfiltered-window-confirm"
            onClick={() => answer(true)}
          >
            Do it anyway
          </button>
        </div>
      </div>
    </Modal>
  );
}
