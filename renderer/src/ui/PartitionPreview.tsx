import { Check, Eye, X } from 'lucide-react';
import { selectGraphModel, selectPartitionPreview } from '../store/selectors';
import { useChaos, useChaosStore } from './store-context';

// A topology before it is applied: the graph colours each guest by its side (the guest nodes
// read previewSides), and this strip names the sides, with Apply and Cancel. Nothing is sent
// until Apply; Esc or another selection lets the preview go.

/** Colours repeat after this many sides (a ring of 12 has 12); the names tell them apart. */
export const PREVIEW_COLOURS = 6;

/** A side in a few words: up to three names, else the first two and how many more. */
function sideWords(names: readonly string[]): string {
  if (names.length <= 3) return names.join(', ');
  return `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`;
}

export function PartitionPreview() {
  const store = useChaosStore();
  const preview = useChaos(selectPartitionPreview);
  const model = useChaos(selectGraphModel);
  if (!preview) return null;
  const names = new Map<string, string>(model.guests.map((g) => [g.id, g.guest.name]));
  const count = Math.max(-1, ...preview.sides.values()) + 1;
  const sides = Array.from({ length: count }, (_, side) =>
    [...preview.sides].filter(([, s]) => s === side).map(([id]) => names.get(id) ?? id),
  );
  const ring = preview.request.topology === 'majorities-ring';
  return (
    <section
      className="partition-preview"
      aria-label="Preview of the partition"
      data-testid="partition-preview"
      data-topology={preview.request.topology}
    >
      <Eye size={18} aria-hidden />
      <strong>{preview.label}:</strong>
      <span className="muted" title="Guests of one side still reach each other">
        {ring ? 'each keeps a majority of its own' : `${sides.length} sides`}
      </span>
      <ul className="partition-preview__sides">
        {sides.map((members, i) => (
          <li
            // biome-ignore lint/suspicious/noArrayIndexKey: the side's number is its identity
            key={i}
            className="preview-side"
            data-testid="preview-side"
            data-side={i % PREVIEW_COLOURS}
            title={members.join(', ')}
          >
            <span className="preview-side__swatch" aria-hidden />
            {sideWords(members)}
          </li>
        ))}
      </ul>
      <button
        type="button"
        className="button button--small button--primary"
        data-testid="preview-apply"
        onClick={() => void store.getState().applyPreview()}
      >
        <Check size={16} aria-hidden /> Apply
      </button>
      <button
        type="button"
        className="button button--small"
        data-testid="preview-cancel"
        title="Cancel (Esc)"
        onClick={() => store.getState().cancelPreview()}
      >
        <X size={16} aria-hidden /> Cancel
      </button>
    </section>
  );
}
