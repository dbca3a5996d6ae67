import { type Edge, EdgeLabelRenderer, type EdgeProps } from '@xyflow/react';
import { Scissors } from 'lucide-react';
import { memo, useCallback } from 'react';
import type { ChaosState } from '../../store/initial-state';
import { selectIndexes } from '../../store/selectors';
import { freshHost, useTraffic, useTrafficWatch } from '../../store/traffic';
import { useChaos, useChaosStore, useTransport } from '../../ui/store-context';
import type { SpokeEdgeData } from '../flow';
import { spokePath, svgPath } from '../paths';
import { useNodeRect } from './rects';
import { flowLook, flowTitle } from './traffic-look';
import './traffic.css';

// A guest's attachment to its bridge. On crowded segments (spokes mode) it is what the knife
// cuts: the guest is isolated on that segment, and a click on its label heals the guest.

function SpokeEdgeView({ id, source, target }: EdgeProps<Edge<SpokeEdgeData, 'spoke'>>) {
  const bridge = useNodeRect(source);
  const guest = useNodeRect(target);
  const spoke = useChaos(useCallback((s: ChaosState) => selectIndexes(s).spokes.get(id), [id]));
  const mark = useChaos(useCallback((s: ChaosState) => s.knifeMarks[id], [id]));
  const store = useChaosStore();
  const api = useTransport().api;
  useTrafficWatch(api);
  const hostId = spoke?.hostId;
  const mac = spoke?.mac;
  // A spoke is one port: its rates are exactly that port's.
  const port = useTraffic(
    api,
    useCallback(
      (t) => (hostId && mac ? freshHost(t, hostId, Date.now())?.ports[mac] : undefined),
      [hostId, mac],
    ),
  );
  if (!bridge || !guest || !spoke) return null;
  const path = spokePath(bridge, guest);
  if (!path) return null;
  const severed = spoke.isKnifeTarget && spoke.cutCount > 0;
  // Drawn from the bridge out: motion outward is what the guest receives.
  const flow = severed ? null : flowLook(port);
  return (
    <>
      <path
        d={svgPath(path)}
        className={`spoke ${spoke.isKnifeTarget ? 'spoke--target' : ''} ${severed ? `link--${spoke.status}` : ''} ${
          mark ? 'is-marked' : ''
        }`}
        data-testid="spoke"
        data-status={spoke.status}
      >
        {port && <title>{flowTitle(port.portdev, port)}</title>}
      </path>
      {flow && port && (
        <path
          d={svgPath(path)}
          className={`link__flow ${port.txPacketsPerSec > port.rxPacketsPerSec ? 'link__flow--reverse' : ''}`}
          style={{ strokeWidth: flow.width, animationDuration: `${flow.seconds.toFixed(2)}s` }}
          data-testid="spoke-flow"
          data-pps={flow.pps.toFixed(1)}
          aria-hidden
        />
      )}
      {severed && (
        <EdgeLabelRenderer>
          <div
            className="link-label nodrag nopan"
            style={{
              transform: `translate(-50%, -50%) translate(${path.middle.x}px, ${path.middle.y}px)`,
            }}
          >
            <button
              type="button"
              className="link-label__heal"
              aria-label="Heal every cut of this guest"
              onClick={() => void store.getState().healGuest(spoke.guestId)}
            >
              <Scissors size={16} aria-hidden />
            </button>
            <span className="link-label__scope">{spoke.cutCount}</span>
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const SpokeEdge = memo(SpokeEdgeView);

function UplinkEdgeView({ source, target }: EdgeProps) {
  const host = useNodeRect(source);
  const segment = useNodeRect(target);
  if (!host || !segment) return null;
  const path = spokePath(host, segment);
  return path ? <path d={svgPath(path)} className="uplink" /> : null;
}

export const UplinkEdge = memo(UplinkEdgeView);
