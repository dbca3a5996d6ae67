// A segment's menu (right-click or the context-menu key on it): "Same L2 as…" another host's
// segment, and "Not joined" to take back a join the user made. The engine saves the choice with
// the hosts; its segments.changed event redraws the graph.
import { useEffect, useRef } from 'react';
import { selectGraphModel } from '../../store/selectors';
import { useChaos, useChaosStore } from '../../ui/store-context';
import type { SegmentModel } from '../model';
import { segmentMenu } from '../segment-menu';
import './segment-menu.css';

export function SegmentMenu(props: { segment: SegmentModel; onClose: () => void }) {
  const { segment, onClose } = props;
  const store = useChaosStore();
  const model = useChaos(selectGraphModel);
  const groups = useChaos((s) => s.segmentGroups);
  const menu = segmentMenu(segment, model, groups);
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  const name = segment.segment.name;
  const choose = (work: () => Promise<void>) => () => {
    onClose();
    void work();
  };
  return (
    <div
      className="segment-menu nodrag nopan nowheel"
      role="menu"
      aria-label={`${name}: segments across hosts`}
      data-testid="segment-menu"
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
        e.stopPropagation();
      }}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) onClose();
      }}
      onPointerDown={(e) => e.stopPropagation()}
      onContextMenu={(e) => e.preventDefault()}
    >
      {segment.evidence.length > 0 && (
        <ul className="segment-menu__evidence" aria-label="why it is one segment">
          {segment.evidence.map((e) => (
            <li key={`${e.kind}:${e.words}`}>{e.words}</li>
          ))}
        </ul>
      )}
      <fieldset>
        <legend className="segment-menu__heading">Same L2 as…</legend>
        {menu.joinTargets.length === 0 && (
          <div className="segment-menu__none muted">no segment of another connected host</div>
        )}
        {menu.joinTargets.map((t, i) => (
          <button
            key={t.id}
            ref={i === 0 ? first : undefined}
            type="button"
            role="menuitem"
            onClick={choose(() =>
              store
                .getState()
                .joinSegments(segment.id, t.id, `${name} and ${t.label}: one L2 segment`),
            )}
          >
            {t.label}
          </button>
        ))}
      </fieldset>
      {menu.splits.length > 0 && (
        <fieldset>
          <legend className="segment-menu__heading">Not joined</legend>
          {menu.splits.map((t) => (
            <button
              key={t.id}
              type="button"
              role="menuitem"
              onClick={choose(() =>
                store.getState().splitSegment(t.id, `${t.label}: not joined by you any more`),
              )}
            >
              {t.label}
            </button>
          ))}
        </fieldset>
      )}
    </div>
  );
}
