import { type Edge, EdgeLabelRenderer, type EdgeProps } from '@xyflow/react';
import { Scissors } from 'lucide-react';
import { memo, useCallback } from 'react';
import type { ChaosState } from '../../store/initial-state';
import { selectScenarioHighlight } from '../../store/scenario-selectors';
import { selectIndexes, selectKnifeOneWay, selectPendingLinkIds } from '../../store/selectors';
import { freshHost, useTraffic, useTrafficWatch } from '../../store/traffic';
import { center } from '../../tools/knife/geometry';
import { useChaos, useChaosStore, useTransport } from '../../ui/store-context';
import { cutTitle } from '../cut-words';
import type { LinkEdgeData } from '../flow';
import type { Blocked, LinkStatus } from '../model';
import { labelShift, pairLinkPath, svgPath } from '../paths';
import { Countdown } from './Countdown';
import { useNodeRect } from './rects';
import { dropLabel, flowLook, flowTitle } from './traffic-look';
import './traffic.css';

// One link between two guests: intact, marked by the knife (preview), in progress, severed
// (dashed red with scissors; click heals), pending (wanted, not in force), expired or orphaned.
// One-way cuts carry an arrow in the dropped direction; the label names who cut and the expiry.
// Live traffic (store/traffic.ts) moves along an intact link; a cut link's label counts the
// packets its rules dropped.

/** States the label names in a word, because the line alone does not say them. */
const STATE_WORD: Partial<Record<LinkStatus, string>> = {
  pending: 'pending',
  expired: 'expired',
  orphaned: 'orphaned',
  failed: 'failed',
};

function LinkEdgeView({ id, source, target, data }: EdgeProps<Edge<LinkEdgeData, 'link'>>) {
  const a = useNodeRect(source);
  const b = useNodeRect(target);
  const bridge = useNodeRect(data?.segmentId ?? '');
  const link = useChaos(useCallback((s: ChaosState) => selectIndexes(s).links.get(id), [id]));
  const names = useChaos(
    useCallback(
      (s: ChaosState) => {
        const guests = selectIndexes(s).guests;
        return `${guests.get(source)?.guest.name ?? source}|${guests.get(target)?.guest.name ?? target}`;
      },
      [source, target],
    ),
  );
  const mark = useChaos(useCallback((s: ChaosState) => s.knifeMarks[id], [id]));
  const previewOneWay = useChaos(selectKnifeOneWay);
  const pending = useChaos(useCallback((s: ChaosState) => selectPendingLinkIds(s).has(id), [id]));
  const inScenario = useChaos(
    useCallback((s: ChaosState) => selectScenarioHighlight(s).linkIds.has(id), [id]),
  );
  const store = useChaosStore();
  const api = useTransport().api;
  useTrafficWatch(api);
  const hostId = link?.hostId;
  const traffic = useTraffic(
    api,
    useCallback((t) => (hostId ? freshHost(t, hostId, Date.now()) : null), [hostId]),
  );
  if (!a || !b || !bridge || !link) return null;

  const path = pairLinkPath(a, b, center(bridge));
  const d = svgPath(path);
  const shift = labelShift(path, center(bridge));
  const [nameA, nameB] = names.split('|');
  // A call about this link is on its way: onto an intact link it cuts, onto a cut one it heals.
  const status: LinkStatus =
    pending && link.status === 'intact'
      ? 'applying'
      : pending && link.status !== 'applying' && link.status !== 'healing'
        ? 'healing'
        : link.status;
  const authors = [...new Set(link.cuts.map((c) => c.author?.user ?? 'no intent'))].join(', ');
  const stateWord = STATE_WORD[link.status];
  const arrow: Blocked | null =
    mark && previewOneWay
      ? mark.direction === 'forward'
        ? 'a->b'
        : 'b->a'
      : link.blocked === 'both'
        ? null
        : link.blocked;
  const arrowKind = mark ? 'preview' : 'cut';
  const healable = link.cuts.length > 0;
  const portA = traffic?.ports[link.a.mac];
  const portB = traffic?.ports[link.b.mac];
  const flow = status === 'intact' ? flowLook(portA, portB) : null;
  const drops = healable
    ? dropLabel(
        link.cuts.map((c) => traffic?.cuts[c.id]),
        traffic?.countersUnavailable ?? null,
      )
    : null;

  return (
    <>
      <path d={d} className="link__hit" />
      {/* Under the link, so the link keeps its own state's colour on top of the glow. */}
      {inScenario && <path d={d} className="link__scenario" aria-hidden />}
      <path
        d={d}
        className={`link link--${status} ${mark ? 'is-marked' : ''} ${link.uncuttable ? 'link--uncuttable' : ''}`}
        data-testid="link"
        data-a={nameA}
        data-b={nameB}
        data-status={status}
        data-cut-state={link.status}
        data-blocked={link.blocked ?? 'none'}
        data-marked={mark ? 'true' : undefined}
        data-scenario-active={inScenario ? 'true' : undefined}
        markerEnd={arrow === 'a->b' ? `url(#kc-arrow-${arrowKind})` : undefined}
        markerStart={arrow === 'b->a' ? `url(#kc-arrow-${arrowKind}-start)` : undefined}
      >
        <title>
          {link.uncuttable
            ? `${nameA} – ${nameB}: cannot be cut (${link.uncuttable})`
            : `${nameA} – ${nameB}${healable ? `: cut (${link.badge})` : ''}`}
          {portA && portB ? `\n${flowTitle(nameA ?? '', portA, nameB ?? '', portB)}` : ''}
        </title>
      </path>
      {flow && (
        <path
          d={d}
          className={`link__flow ${flow.reverse ? 'link__flow--reverse' : ''}`}
          style={{ strokeWidth: flow.width, animationDuration: `${flow.seconds.toFixed(2)}s` }}
          data-testid="link-flow"
          data-pps={flow.pps.toFixed(1)}
          aria-hidden
        />
      )}
      {(healable || status !== 'intact') && (
        <EdgeLabelRenderer>
          <div
            className={`link-label link-label--${status} nodrag nopan`}
            style={{
              transform: `translate(${shift.x}, ${shift.y}) translate(${path.middle.x}px, ${path.middle.y}px)`,
            }}
          >
            {healable ? (
              <button
                type="button"
                className="link-label__heal"
                data-testid="heal-link"
                aria-label={`Heal link ${nameA} – ${nameB}`}
                title="Click to heal"
                onClick={(e) => {
                  // The label is portalled but React bubbles to the edge, whose click heals too.
                  e.stopPropagation();
                  void store.getState().healLink(id);
                }}
              >
                <Scissors size={16} aria-hidden />
              </button>
            ) : (
              <Scissors size={16} aria-hidden className="spin-slow" />
            )}
            {/* Two short lines rather than one long one: a label must fit between two cards. */}
            <span className="link-label__text">
              {(link.badge || link.reapplied) && (
                <span className="link-label__line">
                  {link.badge && (
                    <span
                      className="link-label__scope"
                      data-testid="cut-badge"
                      title={link.cuts
                        .map((c) => cutTitle(c, nameA ?? '', nameB ?? '', Date.now()))
                        .join('\n')}
                    >
                      {link.badge}
                    </span>
                  )}
                  {link.reapplied && (
                    <span
                      className="link-label__scope"
                      title="re-applied after the guest restarted"
                    >
                      ↻
                    </span>
                  )}
                </span>
              )}
              {(stateWord || link.cuts.length > 0 || link.expiresAt !== null) && (
                <span className="link-label__line link-label__meta">
                  {stateWord && (
                    <span className="link-label__state" data-testid="cut-state">
                      {stateWord}
                    </span>
                  )}
                  {link.cuts.length > 0 && (
                    <span className="link-label__author" data-testid="cut-author" title="Cut by">
                      {authors}
                    </span>
                  )}
                  {link.expiresAt !== null && (
                    <Countdown at={link.expiresAt} className="link-label__timer" />
                  )}
                </span>
              )}
              {drops && (
                <span
                  className={`link-label__line link-label__drops ${drops.source === 'rate-change' ? 'link-label__drops--rate' : ''}`}
                  data-testid="drop-count"
                  data-source={drops.source}
                  data-packets={drops.packets ?? undefined}
                  title={drops.title}
                >
                  {drops.text}
                </span>
              )}
            </span>
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const LinkEdge = memo(LinkEdgeView);
