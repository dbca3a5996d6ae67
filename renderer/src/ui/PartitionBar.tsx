import { Split, X } from 'lucide-react';
import type { PartitionChoice } from '../graph/actions';
import { HostPresets, useHostPresetsShown } from '../graph/HostPresets';
import {
  selectDurationField,
  selectDurationProblem,
  selectSelectedGuestIds,
} from '../store/selectors';
import { blockedBy, DURATION_PROBLEM_ID } from './FieldProblem';
import { useChaos, useChaosStore } from './store-context';

// Partitions by click: with guests selected, one press previews a named topology (Jepsen's) on
// the graph, and PartitionPreview's Apply sends it.

const CHOICES: Array<{ id: PartitionChoice; label: string; title: string }> = [
  {
    id: 'isolate',
    label: 'Isolate',
    title: 'Cut each selected guest off from every other guest on its segment',
  },
  {
    id: 'split-selection',
    label: 'Split off',
    title: 'The selected guests on one side, the rest of the segment on the other',
  },
  { id: 'halves', label: 'Halves', title: 'Two halves of the ring that cannot reach each other' },
  {
    id: 'majority-minority',
    label: 'Majority / minority',
    title: 'The smallest majority against the rest: the minority loses quorum',
  },
  {
    id: 'majorities-ring',
    label: 'Ring',
    title: 'Every guest keeps a majority, no two the same one (Jepsen majorities-ring)',
  },
  { id: 'bridge', label: 'Bridge', title: 'Two halves joined only through one guest' },
];

export function PartitionBar() {
  const store = useChaosStore();
  const selected = useChaos(selectSelectedGuestIds);
  const duration = useChaos(selectDurationField);
  const problem = useChaos(selectDurationProblem);
  // With guests on several hosts the bar also offers host presets, selection or not.
  const hostPresets = useHostPresetsShown();
  if (selected.length === 0 && !hostPresets) return null;
  return (
    <div
      className="partition-bar"
      role="toolbar"
      aria-label="Partition the selected guests"
      data-testid="partition-bar"
    >
      <Split size={18} aria-hidden />
      {selected.length > 0 && (
        <span className="partition-bar__count">{selected.length} selected</span>
      )}
      {selected.length > 0 &&
        CHOICES.map((choice) => (
          <button
            key={choice.id}
            type="button"
            className="button button--small"
            {...blockedBy(choice.title, [{ id: DURATION_PROBLEM_ID, problem }])}
            data-testid={`partition-${choice.id}`}
            onClick={() => store.getState().previewPartition(choice.id)}
          >
            {choice.label}
          </button>
        ))}
      <HostPresets disabled={problem !== null} />
      {duration.ok && duration.value !== null && (
        <span className="muted small">heals after {duration.value} s</span>
      )}
      {selected.length > 0 && (
        <button
          type="button"
          className="button button--icon button--small"
          aria-label="Clear selection"
          onClick={() => store.getState().selectGuests([])}
        >
          <X size={16} aria-hidden />
        </button>
      )}
    </div>
  );
}
