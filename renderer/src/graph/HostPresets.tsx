import { Server } from 'lucide-react';
import { useState } from 'react';
import { selectGraphModel } from '../store/selectors';
import { useChaos, useChaosStore } from '../ui/store-context';
import { type HostPreset, hostPartition } from './host-partitions';

// Partitions that follow hosts, in the partition bar when two hosts or more have guests:
// isolate one host's guests from every other host's, or split by host. Each is previewed on the
// graph first (the store's previewRequest), like the bar's other topologies.

/** Whether the presets have anything to offer: guests on two hosts or more. */
export function useHostPresetsShown(): boolean {
  return useChaos((s) => selectGraphModel(s).hosts.filter((h) => h.counts.guests > 0).length > 1);
}

export function HostPresets({ disabled }: { disabled?: boolean }) {
  const store = useChaosStore();
  const model = useChaos(selectGraphModel);
  const hosts = model.hosts.filter((h) => h.counts.guests > 0);
  const [chosen, setChosen] = useState<string | null>(null);
  if (hosts.length < 2) return null;
  const hostId = hosts.find((h) => h.hostId === chosen)?.hostId ?? hosts[0]?.hostId;
  const run = (preset: HostPreset) => {
    const outcome = hostPartition(model, preset);
    if ('error' in outcome) return store.getState().notify('error', outcome.error);
    store.getState().previewRequest(`Partition (${outcome.label})`, outcome.request);
  };
  return (
    <span className="host-presets" data-testid="host-presets">
      <Server size={16} aria-hidden />
      <select
        aria-label="Host"
        data-testid="partition-host"
        value={hostId}
        onChange={(e) => setChosen(e.target.value)}
      >
        {hosts.map((h) => (
          <option key={h.hostId} value={h.hostId}>
            {h.label}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="button button--small"
        data-testid="partition-isolate-host"
        disabled={disabled || !hostId}
        title="Cut this host's guests off from the guests of every other host"
        onClick={() => hostId && run({ kind: 'isolate-host', hostId })}
      >
        Isolate host
      </button>
      <button
        type="button"
        className="button button--small"
        data-testid="partition-split-by-host"
        disabled={disabled}
        title="One side per host: no guest reaches a guest of another host"
        onClick={() => run({ kind: 'split-by-host' })}
      >
        Split by host
      </button>
    </span>
  );
}
