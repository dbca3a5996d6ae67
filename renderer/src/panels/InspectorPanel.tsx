import { ChevronDown, ChevronRight, RefreshCw, Search } from 'lucide-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { FilterParameter, FilterTreeNode, OwnershipClass } from '../../../shared/api';
import {
  selectHosts,
  selectInspectorClasses,
  selectInspectorQuery,
  selectInventories,
  selectSelectedGuestIds,
  selectSelectedPort,
} from '../store/selectors';
import { InterruptionNote } from '../ui/Interruption';
import { useChaos, useChaosStore } from '../ui/store-context';
import { filterRows, hostInterruptions, type PortRow, portRows } from './inspector-rows';

// Every binding on every host, per vnet: owner, filter, parameters and class; the XML as libvirt
// returns it and the filter tree in plain words; what an interrupted change left, with its repair. Picking a row highlights its guest on the graph;
// selecting a guest there highlights its rows here.

const CLASSES: OwnershipClass[] = ['ours', 'protection', 'foreign'];

function Parameters({ parameters }: { parameters: readonly FilterParameter[] }) {
  if (!parameters.length) return null;
  return (
    <ul className="params">
      {parameters.map((p, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a binding's parameters, in libvirt's order, may repeat
        <li key={i}>
          <span className="params__name">{p.name}</span>=<span className="mono">{p.value}</span>
        </li>
      ))}
    </ul>
  );
}

function RuleTree({ row }: { row: PortRow }) {
  const store = useChaosStore();
  const [state, setState] = useState<
    | { kind: 'loading' }
    | { kind: 'error'; message: string }
    | { kind: 'ready'; nodes: FilterTreeNode[] }
  >({ kind: 'loading' });
  const filter = row.binding?.filter;
  useEffect(() => {
    if (!filter) return;
    let live = true;
    void store.api['filters.tree']({ hostId: row.hostId, filter, portdev: row.portdev }).then(
      (result) => {
        if (!live) return;
        setState(
          result.ok
            ? { kind: 'ready', nodes: result.value.nodes }
            : { kind: 'error', message: result.error.message },
        );
      },
    );
    return () => {
      live = false;
    };
  }, [store, row.hostId, row.portdev, filter]);
  if (state.kind === 'loading') return <p className="muted">Reading the filter tree…</p>;
  if (state.kind === 'error') return <p className="error-text">{state.message}</p>;
  return (
    <ol className="rule-tree" data-testid="rule-tree">
      {state.nodes.map((node, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: one answer's depth-first order; a filter may appear twice
        <li key={i} style={{ paddingLeft: `${node.depth * 1.1}rem` }}>
          <div className="rule-tree__filter">
            <strong className="mono">{node.filter}</strong>
            <span className={`class-badge class-badge--${node.class}`}>{node.class}</span>
            {node.chain && <span className="muted">chain {node.chain}</span>}
            {node.missing && <span className="error-text">not defined on the host</span>}
          </div>
          {node.rules.length > 0 && (
            <ul className="rule-tree__rules">
              {node.rules.map((rule, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: rules in filter order, never reordered
                <li key={j} className={`rule rule--${rule.action}`}>
                  {rule.text}
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ol>
  );
}

function BindingXml({ row }: { row: PortRow }) {
  const store = useChaosStore();
  const [xml, setXml] = useState(row.binding?.xml ?? '');
  useEffect(() => setXml(row.binding?.xml ?? ''), [row.binding?.xml]);
  return (
    <div className="xml-block">
      <div className="xml-block__bar">
        <span className="muted">as libvirt returns it</span>
        <button
          type="button"
          className="button button--small"
          onClick={() =>
            void store.api['bindings.xml']({ hostId: row.hostId, portdev: row.portdev }).then(
              (r) => {
                if (r.ok) setXml(r.value.xml);
                else store.getState().notify('error', r.error.message, r.error.hint);
              },
            )
          }
        >
          <RefreshCw size={14} aria-hidden /> Re-read
        </button>
      </div>
      <pre className="xml" data-testid="binding-xml">
        {xml}
      </pre>
    </div>
  );
}

function Row({ row, open, related }: { row: PortRow; open: boolean; related: boolean }) {
  const store = useChaosStore();
  const ref = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (related || open) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [related, open]);
  const Chevron = open ? ChevronDown : ChevronRight;
  return (
    <li
      ref={ref}
      className={`port-row ${open ? 'is-open' : ''} ${related ? 'is-related' : ''} ${
        row.interruptions.length ? 'is-interrupted' : ''
      }`}
      data-testid="port-row"
      data-portdev={row.portdev}
      data-guest-name={row.guestName}
      data-interrupted={row.interruptions.length ? 'true' : undefined}
    >
      <button
        type="button"
        className="port-row__head"
        aria-expanded={open}
        onClick={() =>
          store.getState().selectPort(open ? null : { hostId: row.hostId, portdev: row.portdev })
        }
      >
        <Chevron size={16} aria-hidden />
        <span className="port-row__vnet mono">{row.portdev}</span>
        <span className="port-row__guest">{row.guestName}</span>
        <span className={`class-badge class-badge--${row.class}`}>
          {row.class === 'none' ? 'no binding' : row.class}
        </span>
      </button>
      <div className="port-row__summary">
        <span className="mono">{row.binding?.filter ?? 'unfiltered'}</span>
        <span className="muted mono">{row.mac}</span>
      </div>
      {row.binding && <Parameters parameters={row.binding.parameters} />}
      {row.interruptions.map((x) => (
        <InterruptionNote key={x.kind} hostId={row.hostId} interruption={x} />
      ))}
      {open && !row.binding && (
        <div className="port-row__detail" data-testid="no-binding">
          <p>
            <strong>No filter: all traffic passes.</strong> libvirt holds no nwfilter binding for{' '}
            <span className="mono">{row.portdev}</span>, so no rule checks or drops anything on this
            port: no cut, no spoof protection.
          </p>
          <p className="muted">
            A cut or a protection preset creates a binding here; healing the last cut removes it
            again.
          </p>
        </div>
      )}
      {open && row.binding && (
        <div className="port-row__detail">
          <h4>Rules</h4>
          <RuleTree row={row} />
          <h4>XML</h4>
          <BindingXml row={row} />
        </div>
      )}
    </li>
  );
}

export function InspectorPanel() {
  const store = useChaosStore();
  const hosts = useChaos(selectHosts);
  const inventories = useChaos(selectInventories);
  const query = useChaos(selectInspectorQuery);
  const classes = useChaos(selectInspectorClasses);
  const selectedPort = useChaos(selectSelectedPort);
  const selectedGuests = useChaos(selectSelectedGuestIds);
  const rows = useMemo(() => portRows(hosts, inventories), [hosts, inventories]);
  const shown = useMemo(() => filterRows(rows, query, classes), [rows, query, classes]);
  const unported = useMemo(() => hostInterruptions(hosts, inventories), [hosts, inventories]);

  return (
    <section className="panel inspector" aria-label="Binding inspector">
      <div className="panel__controls">
        <label className="search">
          <Search size={16} aria-hidden />
          <input
            type="search"
            aria-label="Search bindings"
            data-testid="inspector-search"
            placeholder="vnet, guest, MAC, filter, IP…"
            value={query}
            onChange={(e) => store.getState().setInspectorQuery(e.target.value)}
          />
        </label>
        <fieldset className="chips" aria-label="Show classes">
          {CLASSES.map((c) => (
            <button
              key={c}
              type="button"
              aria-pressed={classes.includes(c)}
              className={`chip-toggle class-badge--${c} ${classes.includes(c) ? 'is-on' : ''}`}
              onClick={() => store.getState().toggleInspectorClass(c)}
            >
              {c}
            </button>
          ))}
        </fieldset>
      </div>
      {unported.length > 0 && (
        <ul className="rows" aria-label="Interrupted changes without a port">
          {unported.map((x) => (
            <li key={x.key} className="port-row is-interrupted" data-testid="host-interruption">
              <span className="muted small">{x.hostLabel}</span>
              <InterruptionNote hostId={x.hostId} interruption={x} />
            </li>
          ))}
        </ul>
      )}
      <p className="panel__count muted" aria-live="polite">
        {shown.length} of {rows.length} ports
      </p>
      <ul className="rows" aria-label="Ports and their bindings">
        {shown.map((row) => (
          <Row
            key={row.key}
            row={row}
            open={selectedPort?.hostId === row.hostId && selectedPort.portdev === row.portdev}
            related={row.guestId !== null && selectedGuests.includes(row.guestId)}
          />
        ))}
      </ul>
      {rows.length === 0 && <p className="muted panel__empty">No running guest ports yet.</p>}
    </section>
  );
}
