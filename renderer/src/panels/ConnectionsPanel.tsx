import { Plug, Plus, PowerOff, Trash } from 'lucide-react';
import { type FormEvent, useId, useState } from 'react';
import { type HostAuth, type HostSummary, hostAddressProblem } from '../../../shared/api';
import { selectHosts } from '../store/selectors';
import { blockedBy, FieldProblem } from '../ui/FieldProblem';
import { HostStateChip } from '../ui/HostStateChip';
import { useChaos, useChaosStore } from '../ui/store-context';

// Hosts: add by ssh URL (key file or agent) or the local socket, see their state and, when
// something is wrong, what to do about it. The address is checked as it is typed, by the same
// rules as the engine's hosts.add (shared/api), including that the host is not already added.

type AuthChoice = HostAuth['method'];

export function AddHostForm({ compact = false }: { compact?: boolean }) {
  const store = useChaosStore();
  const hosts = useChaos(selectHosts);
  const addressProblemId = useId();
  const keyProblemId = useId();
  const [uri, setUri] = useState('');
  const [method, setMethod] = useState<AuthChoice>('agent');
  const [keyPath, setKeyPath] = useState('~/.ssh/id_ed25519');
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const local = method === 'local';
  const address = local ? uri.trim() || 'qemu:///system' : uri.trim();
  const addressProblem = hostAddressProblem(address, hosts);
  // An empty field is not wrong yet: it says what it needs, quietly.
  const empty = uri.trim() === '' && !local;
  const keyProblem =
    method === 'key' && keyPath.trim() === '' ? 'give the path of the private key' : null;
  const problem = addressProblem ?? keyProblem;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problem) return;
    const auth: HostAuth = method === 'key' ? { method, keyPath: keyPath.trim() } : { method };
    setBusy(true);
    const added = await store.getState().addHost(address, auth, label.trim() || undefined);
    setBusy(false);
    if (added) {
      setUri('');
      setLabel('');
    }
  };

  return (
    <form
      className={`add-host ${compact ? 'add-host--compact' : ''}`}
      onSubmit={submit}
      aria-label="Add a host"
    >
      <div className="auth" role="radiogroup" aria-label="How to log in">
        {(
          [
            ['agent', 'ssh-agent'],
            ['key', 'Key file'],
            ['local', 'Local socket'],
          ] as const
        ).map(([value, text]) => (
          <label key={value} className={method === value ? 'is-on' : ''}>
            <input
              type="radio"
              name="auth"
              value={value}
              checked={method === value}
              onChange={() => setMethod(value)}
            />
            {text}
          </label>
        ))}
      </div>
      <label className="field">
        <span>{local ? 'libvirt URI (optional)' : 'Host'}</span>
        <input
          data-testid="host-uri"
          placeholder={local ? 'qemu:///system' : 'ssh://root@kvm1.example.org'}
          value={uri}
          onChange={(e) => setUri(e.target.value)}
          aria-invalid={!empty && addressProblem !== null}
          aria-describedby={addressProblem ? addressProblemId : undefined}
          autoComplete="off"
          spellCheck={false}
        />
        <FieldProblem
          id={addressProblemId}
          testId="host-uri-problem"
          problem={addressProblem}
          quiet={empty}
        />
      </label>
      {method === 'key' && (
        <label className="field">
          <span>Private key</span>
          <input
            data-testid="host-key-path"
            value={keyPath}
            onChange={(e) => setKeyPath(e.target.value)}
            aria-invalid={keyProblem !== null}
            aria-describedby={keyProblem ? keyProblemId : undefined}
            spellCheck={false}
          />
          <FieldProblem id={keyProblemId} testId="host-key-path-problem" problem={keyProblem} />
          <small className="muted">
            A passphrase, if the key has one, is asked for when connecting and never stored.
          </small>
        </label>
      )}
      {!compact && (
        <label className="field">
          <span>Name (optional)</span>
          <input
            value={label}
            onChange={(e) => setLabel(e.target.value)}
            placeholder="lab, rack-3…"
          />
        </label>
      )}
      <button
        type="submit"
        className="button button--primary"
        data-testid="add-host"
        {...blockedBy('Add this host and connect to it', [
          { id: addressProblemId, problem: addressProblem },
          { id: keyProblemId, problem: keyProblem },
        ])}
        {...(busy ? { disabled: true } : {})}
      >
        <Plus size={16} aria-hidden /> {busy ? 'Adding…' : 'Add host'}
      </button>
    </form>
  );
}

function HostRow({ host }: { host: HostSummary }) {
  const store = useChaosStore();
  const [confirming, setConfirming] = useState(false);
  const { status } = host;
  const connected =
    status.state === 'connected' ||
    status.state === 'connecting' ||
    status.state === 'reconnecting';
  return (
    <li className="host-row" data-testid="host-row" data-host-id={host.id}>
      <div className="host-row__head">
        <strong>{host.label}</strong>
        <HostStateChip status={status} />
      </div>
      <div className="muted mono small">
        {host.uri} · {host.auth.method === 'key' ? host.auth.keyPath : host.auth.method}
        {host.libvirtVersion ? ` · libvirt ${host.libvirtVersion}` : ''}
      </div>
      {status.error && (
        <div className="host-row__error" role="alert">
          <p>{status.error.message}</p>
          {status.error.hint && <p className="hint">What to do: {status.error.hint}</p>}
        </div>
      )}
      <div className="actions">
        {connected ? (
          <button
            type="button"
            className="button button--small"
            onClick={() => void store.getState().disconnectHost(host.id)}
          >
            <PowerOff size={14} aria-hidden /> Disconnect
          </button>
        ) : (
          <button
            type="button"
            className="button button--small button--primary"
            onClick={() => void store.getState().connectHost(host.id)}
          >
            <Plug size={14} aria-hidden /> Connect
          </button>
        )}
        {confirming ? (
          <>
            <span className="small">Forget this host? Its cuts stay on it.</span>
            <button
              type="button"
              className="button button--small button--danger"
              onClick={() => void store.getState().removeHost(host.id)}
            >
              Remove
            </button>
            <button
              type="button"
              className="button button--small"
              onClick={() => setConfirming(false)}
            >
              Keep
            </button>
          </>
        ) : (
          <button
            type="button"
            className="button button--small"
            aria-label={`Remove ${host.label}`}
            onClick={() => setConfirming(true)}
          >
            <Trash size={14} aria-hidden /> Remove
          </button>
        )}
      </div>
    </li>
  );
}

export function ConnectionsPanel() {
  const hosts = useChaos(selectHosts);
  return (
    <section className="panel connections" aria-label="Connections">
      <ul className="rows">
        {hosts.map((host) => (
          <HostRow key={host.id} host={host} />
        ))}
      </ul>
      <h3>Add a host</h3>
      <AddHostForm />
      <details className="help">
        <summary>What a host needs</summary>
        <ul>
          <li>
            An ssh login as root or as a user in the <code>libvirt</code> group.
          </li>
          <li>
            <code>virt-ssh-helper</code> (Debian: libvirt-clients) or <code>nc -U</code> on the
            host.
          </li>
          <li>Your key in ssh-agent, or a key file; aliases from ~/.ssh/config work.</li>
          <li>On first connection you are shown the host's key fingerprint to confirm.</li>
        </ul>
      </details>
    </section>
  );
}
