import type { NodeProps } from '@xyflow/react';
import {
  Scissors,
  ShieldCheck,
  ShieldExclamationPoint,
  ShieldHalf,
  TriangleAlert,
} from 'lucide-react';
import { memo, useCallback } from 'react';
import type { GuestInterface } from '../../../../shared/api';
import type { ChaosState } from '../../store/initial-state';
import { selectScenarioHighlight } from '../../store/scenario-selectors';
import { selectIndexes } from '../../store/selectors';
import { RepairButton } from '../../ui/Interruption';
import { useChaos } from '../../ui/store-context';
import type { GuestNodeData } from '../flow';
import type { GuestModel } from '../model';
import { useLod } from '../view';
import { CentreHandles } from './handles';
import { OutsideBadge } from './OutsideBadge';

const PROTECTION_LABEL = {
  protected: 'protected',
  partial: 'partly protected',
  unprotected: 'unprotected',
} as const;

function ProtectionBadge({ guest }: { guest: GuestModel }) {
  const Icon =
    guest.protection === 'protected'
      ? ShieldCheck
      : guest.protection === 'partial'
        ? ShieldHalf
        : ShieldExclamationPoint;
  const presets = [
    ...new Set(
      guest.guest.interfaces.flatMap((i) =>
        i.protection.kind === 'preset'
          ? [i.protection.presetId]
          : i.protection.kind === 'custom'
            ? [i.protection.filter]
            : [],
      ),
    ),
  ];
  return (
    <span
      className={`badge badge--${guest.protection}`}
      data-testid="protection-badge"
      title={presets.length ? `Protection: ${presets.join(', ')}` : 'No spoof protection'}
    >
      <Icon size={15} aria-hidden />
      {presets[0] ?? PROTECTION_LABEL[guest.protection]}
    </span>
  );
}

/** What an interrupted change left on this guest's ports: the words on hover, and the repair. */
function InterruptionBadge({ guest }: { guest: GuestModel }) {
  const [first, ...rest] = guest.interruptions;
  if (!first) return null;
  const words = guest.interruptions.map((x) => `${x.message}\n${x.repair}`).join('\n\n');
  return (
    <span
      className="badge badge--interrupted nodrag"
      data-testid="interruption-badge"
      data-kind={first.kind}
      title={words}
    >
      <TriangleAlert size={14} aria-hidden />
      <span className="badge__text">
        {first.message}
        {rest.length ? ` (+${rest.length})` : ''}
      </span>
      <RepairButton hostId={guest.hostId} about={words} />
    </span>
  );
}

function InterfaceRow({ iface }: { iface: GuestInterface }) {
  return (
    <div className="iface" data-testid="guest-interface" data-mac={iface.mac}>
      <div className="iface__line">
        <span className={`vnet ${iface.portdev ? '' : 'vnet--none'}`}>
          {iface.portdev ?? 'no port'}
        </span>
        <span className="mac">{iface.mac}</span>
      </div>
      <div className="iface__line iface__ips">
        {iface.uncuttable ? (
          <span className="uncuttable" title={iface.uncuttable.explanation}>
            {iface.uncuttable.explanation}
          </span>
        ) : iface.ips.length ? (
          iface.ips.map((ip) => (
            <span key={ip.address} className="ip" title={`from ${ip.source}`}>
              {ip.address}
            </span>
          ))
        ) : (
          <span className="muted">no address known</span>
        )}
      </div>
    </div>
  );
}

function GuestNodeView({ id }: NodeProps & { data: GuestNodeData }) {
  const guest = useChaos(useCallback((s: ChaosState) => selectIndexes(s).guests.get(id), [id]));
  const selected = useChaos(
    useCallback((s: ChaosState) => s.selectedGuestIds.includes(id as never), [id]),
  );
  const inScenario = useChaos(
    useCallback((s: ChaosState) => selectScenarioHighlight(s).guestIds.has(id), [id]),
  );
  const hostState = useChaos(
    useCallback(
      (s: ChaosState) => {
        const hostId = selectIndexes(s).guests.get(id)?.hostId;
        return hostId ? selectIndexes(s).hosts.get(hostId)?.summary?.status.state : undefined;
      },
      [id],
    ),
  );
  // The side a previewed topology puts this guest on (ui/PartitionPreview colours it).
  const previewSide = useChaos(
    useCallback((s: ChaosState) => s.previewSides.get(id as never), [id]),
  );
  const lod = useLod();
  if (!guest) return null;
  const { name, state, interfaces } = guest.guest;
  // While its host is not connected, a guest shows what was last read, greyed out.
  const stale = hostState !== undefined && hostState !== 'connected';
  return (
    <div
      className={`node guest guest--lod-${lod} guest--${state} ${selected ? 'is-selected' : ''} ${
        guest.protection === 'unprotected' ? 'guest--exposed' : ''
      } ${stale ? 'guest--stale' : ''} ${guest.interruptions.length ? 'guest--interrupted' : ''} ${
        inScenario ? 'is-scenario-active' : ''
      }`}
      title={stale ? `last known state: the host is ${hostState}` : undefined}
      data-testid="guest-node"
      data-guest-name={name}
      data-state={state}
      data-selected={selected ? 'true' : undefined}
      data-scenario-active={inScenario ? 'true' : undefined}
      data-preview-side={previewSide}
    >
      <CentreHandles />
      {lod !== 'dot' && (
        <header className="guest__header">
          <span className={`state-dot state-dot--${state}`} title={state} aria-hidden />
          <strong className="guest__name" title={name}>
            {name}
          </strong>
          {guest.cutCount > 0 && (
            <span className="guest__cuts" title={`${guest.cutCount} active cuts`}>
              <Scissors size={13} aria-hidden />
              {guest.cutCount}
            </span>
          )}
          <OutsideBadge guest={guest} />
          {lod === 'near' && <ProtectionBadge guest={guest} />}
          {lod === 'near' && <InterruptionBadge guest={guest} />}
        </header>
      )}
      {lod === 'mid' && (
        // Zoomed out: the addresses alone, in type that stays readable (graph.css).
        <div className="guest__ips">
          {interfaces.flatMap((i) => i.ips.map((ip) => ip.address)).slice(0, 1)[0] ??
            (interfaces.length ? 'no address known' : 'no network interface')}
        </div>
      )}
      {lod === 'near' &&
        (interfaces.length ? (
          interfaces.map((iface) => <InterfaceRow key={iface.mac} iface={iface} />)
        ) : (
          <div className="iface muted">no network interface</div>
        ))}
    </div>
  );
}

export const GuestNode = memo(GuestNodeView);
