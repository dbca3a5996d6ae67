import { Scissors } from 'lucide-react';
import { AddHostForm } from '../panels/ConnectionsPanel';

// The first screen when no host is configured: what the app does, what a host needs, and the
// form to add one. The engine connects the local libvirt socket by itself when it finds one.

export function FirstStart() {
  return (
    <div className="first-start" data-testid="first-start">
      <div className="first-start__card">
        <h1>
          <Scissors size={28} aria-hidden /> No KVM host connected yet
        </h1>
        <p className="lead">
          kvm-chaos cuts the network between KVM guests for real, with libvirt nwfilter bindings on
          their ports, and heals by restoring exactly what was there.
        </p>
        <ol className="steps">
          <li>
            <strong>Add a host</strong> you can reach with ssh, as root or as a user in the{' '}
            <code>libvirt</code> group, with <code>virt-ssh-helper</code> installed (Debian:
            libvirt-clients). Running on the KVM host itself? Its local libvirt socket is connected
            automatically when it is there.
          </li>
          <li>
            <strong>Pick the knife</strong> (K, or hold Shift) and drag across the links between
            guests: they are cut in one apply. Alt makes the cut one-way.
          </li>
          <li>
            <strong>Heal</strong> a link by clicking it, everything with Heal all (H), the last cut
            with Ctrl+Z.
          </li>
        </ol>
        <AddHostForm />
      </div>
    </div>
  );
}

export function EngineUnreachable({ state }: { state: 'connecting' | 'closed' }) {
  return (
    <div className="first-start" data-testid="engine-unreachable">
      <div className="first-start__card">
        <h1>
          {state === 'connecting'
            ? 'Connecting to the kvm-chaos engine…'
            : 'Lost the kvm-chaos engine'}
        </h1>
        <p className="lead">
          {state === 'connecting'
            ? 'One moment.'
            : 'Reconnecting by itself. Cuts already made stay on the hosts meanwhile. If this lasts, check that `kvm-chaos serve` still runs and open the URL it printed.'}
        </p>
      </div>
    </div>
  );
}
