import {
  applyNodeChanges,
  Background,
  Controls,
  type EdgeTypes,
  MiniMap,
  type NodeChange,
  type NodeTypes,
  ReactFlow,
  useReactFlow,
  useStoreApi,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { GuestId, HostId } from '../../../shared/api';
import {
  selectDragged,
  selectGraphModel,
  selectIndexes,
  selectInventories,
  selectKnifeActive,
  selectTheme,
} from '../store/selectors';
import { KnifeLayer } from '../tools/knife/KnifeLayer';
import { useChaos, useChaosStore } from '../ui/store-context';
import { LinkEdge } from './edges/LinkEdge';
import { SpokeEdge, UplinkEdge } from './edges/SpokeEdge';
import './graph.css';
import { rectOf } from './edges/rects';
import {
  bundledGuestIds,
  type FlowEdge,
  type FlowNode,
  flowEdges,
  flowNodes,
  hostOfNode,
  placedPositions,
  placedRect,
  syncEdges,
  syncNodes,
} from './flow';
import { GuestBundle } from './GuestBundle';
import { HostList } from './HostList';
import { layoutGraph } from './layout';
import { hostNodeId } from './model';
import { GuestNode } from './nodes/GuestNode';
import { HostNode } from './nodes/HostNode';
import { SegmentNode } from './nodes/SegmentNode';
import { SpokeBundle } from './SpokeBundle';
import { SummaryEdge } from './SummaryEdge';
import { type GraphView, GraphViewContext, lodOf, useLod } from './view';

const nodeTypes: NodeTypes = { host: HostNode, segment: SegmentNode, guest: GuestNode };
const edgeTypes: EdgeTypes = {
  link: LinkEdge,
  spoke: SpokeEdge,
  uplink: UplinkEdge,
  summary: SummaryEdge,
};
/** Room at the bottom for the partition bar. Every fit passes includeHiddenNodes: React Flow
 * otherwise fits only nodes it has measured, and with onlyRenderVisibleElements the ones off
 * screen never were; we hide no node (a collapsed host's are left out), so it means "all". */
const FIT_PADDING = { top: '6%', x: '6%', bottom: '90px' } as const;
/** With several hosts the host list is a row across the top (15 px in, about 40 px high) and the
 * host labels rise about 40 px above their frames: the graph starts below both. */
const FIT_PADDING_HOSTS = { ...FIT_PADDING, top: '100px' } as const;
type FitPadding = typeof FIT_PADDING | typeof FIT_PADDING_HOSTS;

/** Arrow heads for one-way cuts (red) and for the knife's one-way preview (amber). */
function Markers() {
  const arrow = (id: string, orient: string) => (
    <marker
      id={id}
      viewBox="0 0 10 10"
      refX="9"
      refY="5"
      markerWidth="7"
      markerHeight="7"
      orient={orient}
    >
      <path d="M 0 0 L 10 5 L 0 10 z" />
    </marker>
  );
  return (
    <svg className="markers" aria-hidden width="0" height="0">
      <defs>
        <g className="marker--cut">
          {arrow('kc-arrow-cut', 'auto')}
          {arrow('kc-arrow-cut-start', 'auto-start-reverse')}
        </g>
        <g className="marker--preview">
          {arrow('kc-arrow-preview', 'auto')}
          {arrow('kc-arrow-preview-start', 'auto-start-reverse')}
        </g>
      </defs>
    </svg>
  );
}

/**
 * Fits the view when a host appears, goes, or shows its first inventory, once React Flow has
 * every node; never on ordinary updates (a new guest or a cut must not move the viewport).
 */
function FitOnArrival({
  fitKey,
  extentKey,
  userMoved,
  ready,
  padding,
}: {
  fitKey: string;
  /** The whole layout's size: until the user moves the view, a change of it fits again (a
   * host's frame can still grow after the fit its first inventory made). */
  extentKey: string;
  userMoved: { current: boolean };
  ready: boolean;
  padding: FitPadding;
}) {
  const { fitView } = useReactFlow();
  const fitted = useRef<string | null>(null);
  const fittedExtent = useRef<string | null>(null);
  useEffect(() => {
    if (!ready) return;
    const arrival = fitted.current !== fitKey;
    const grown = fittedExtent.current !== extentKey && !userMoved.current;
    if (!arrival && !grown) return;
    fitted.current = fitKey;
    fittedExtent.current = extentKey;
    if (arrival) userMoved.current = false;
    // Again a frame later: React Flow may take the newest nodes' sizes only after the first.
    const fitAll = () => void fitView({ padding, duration: 0, includeHiddenNodes: true });
    requestAnimationFrame(() => {
      fitAll();
      requestAnimationFrame(() => {
        if (!userMoved.current) fitAll();
      });
    });
  }, [fitView, fitKey, extentKey, userMoved, ready, padding]);
  return null;
}

/** The dotted background, only where its dots are far enough apart to be worth painting: zoomed
 * far out they would be a pixel apart, millions of them, painted again on every frame. */
function LodBackground() {
  const lod = useLod();
  return lod === 'near' || lod === 'mid' ? <Background gap={28} /> : null;
}

/**
 * The zoom as a CSS variable on the canvas, written straight to the DOM on every viewport change
 * (no React render): graph.css scales labels by it so that text stays readable when zoomed out.
 */
function ZoomVariable({ target }: { target: React.RefObject<HTMLDivElement | null> }) {
  const flowStore = useStoreApi();
  useEffect(() => {
    let last = -1;
    const write = (zoom: number) => {
      if (zoom === last) return;
      last = zoom;
      // Rounded down: a label sized 12px / zoom must never come out a hair under 12 px.
      target.current?.style.setProperty('--kc-zoom', String(Math.floor(zoom * 1e4) / 1e4));
      // graph.css drops costly effects (shadows, glows) when zoomed out over many nodes.
      target.current?.setAttribute('data-lod', lodOf(zoom));
    };
    write(flowStore.getState().transform[2]);
    return flowStore.subscribe((s) => write(s.transform[2]));
  }, [flowStore, target]);
  return null;
}

export function GraphCanvas() {
  const store = useChaosStore();
  const model = useChaos(selectGraphModel);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const layout = useMemo(() => layoutGraph(model, { collapsed }), [model, collapsed]);
  const canvas = useRef<HTMLDivElement>(null);
  const { fitView } = useReactFlow();
  const padding = model.hosts.length > 1 ? FIT_PADDING_HOSTS : FIT_PADDING;
  // What nodes and the host list may do to the view (GraphCanvas sits in App's provider).
  const view = useMemo<GraphView>(
    () => ({
      toggleCollapsed(hostId) {
        setCollapsed((c) => {
          const next = new Set(c);
          if (!next.delete(hostId)) next.add(hostId);
          return next;
        });
      },
      zoomToHost(hostId) {
        const nodes = [{ id: hostNodeId(hostId as HostId) }];
        void fitView({ nodes, padding, duration: 250, includeHiddenNodes: true });
      },
      showAll() {
        void fitView({ padding, duration: 250, includeHiddenNodes: true });
      },
    }),
    [fitView, padding],
  );
  const dragged = useChaos(selectDragged);
  const theme = useChaos(selectTheme);
  const knifeActive = useChaos(selectKnifeActive);
  const [nodes, setNodes] = useState<FlowNode[]>([]);
  const [edges, setEdges] = useState<FlowEdge[]>([]);

  // Zoomed out, the spokes are one drawing (SpokeBundle), not an edge each, and the guests of
  // crowded segments another (GuestBundle), not a node each.
  const lod = useLod();
  const bundled = lod === 'far' || lod === 'dot';
  const bundledGuests = useMemo(
    () => (bundled ? bundledGuestIds(model, layout) : new Set<string>()),
    [bundled, model, layout],
  );
  const built = useMemo(
    () => flowNodes(model, layout, dragged, bundledGuests),
    [model, layout, dragged, bundledGuests],
  );
  useEffect(() => setNodes((previous) => syncNodes(previous, built)), [built]);
  useEffect(() => {
    const all = flowEdges(model, layout);
    const next = bundled ? all.filter((e) => e.type !== 'spoke') : all;
    setEdges((previous) => syncEdges(previous, next));
  }, [model, layout, bundled]);
  /** A node's box: as React Flow measured it, else (drawn in a bundle) from the layout. */
  const flowStore = useStoreApi();
  const rectOfNode = useMemo(() => {
    const positions = placedPositions(layout, dragged);
    return (id: string) =>
      rectOf(flowStore.getState().nodeLookup.get(id)) ?? placedRect(layout, positions, id);
  }, [flowStore, layout, dragged]);

  const inventories = useChaos(selectInventories);
  const fitKey = model.hosts.map((h) => `${h.hostId}:${inventories[h.hostId] ? 1 : 0}`).join('|');
  const extentKey = useMemo(() => {
    let right = 0;
    let bottom = 0;
    for (const [id, p] of Object.entries(layout.positions)) {
      if (layout.parents[id]) continue; // inside a host: its frame counts
      const size = layout.sizes[id];
      right = Math.max(right, p.x + (size?.width ?? 0));
      bottom = Math.max(bottom, p.y + (size?.height ?? 0));
    }
    return `${Math.round(right)}x${Math.round(bottom)}`;
  }, [layout]);
  const userMoved = useRef(false);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => setNodes((current) => applyNodeChanges(changes, current)),
    [],
  );

  return (
    <div
      ref={canvas}
      className={`canvas ${knifeActive ? 'canvas--knife' : ''}`}
      data-testid="graph"
    >
      <Markers />
      <GraphViewContext.Provider value={view}>
        <ReactFlow<FlowNode, FlowEdge>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onNodeDragStop={(_event, node) => {
            const host = hostOfNode(selectIndexes(store.getState()).model, node.id);
            if (host) store.getState().dragNode(host as never, node.id, node.position);
          }}
          onNodeClick={(event, node) => {
            if (node.type !== 'guest') return;
            const toggle = event.ctrlKey || event.metaKey;
            store.getState().selectGuests([node.id as GuestId], toggle ? 'toggle' : 'replace');
          }}
          onNodeDoubleClick={(_event, node) => {
            if (node.type === 'guest') store.getState().setPanel('guest');
            if (node.type === 'host') view.zoomToHost(node.data.hostId);
          }}
          onEdgeClick={(_event, edge) => {
            if (edge.type === 'link') void store.getState().healLink(edge.id);
          }}
          onPaneClick={() => store.getState().selectGuests([])}
          // A move with an event is the user's (a fit has none): from then on the view is theirs.
          onMoveStart={(event) => {
            if (event) userMoved.current = true;
          }}
          colorMode={theme}
          minZoom={0.02}
          maxZoom={2.5}
          nodesConnectable={false}
          elementsSelectable={false}
          selectionKeyCode={null}
          multiSelectionKeyCode={null}
          deleteKeyCode={null}
          panOnDrag={!knifeActive}
          onlyRenderVisibleElements
          proOptions={{ hideAttribution: false }}
        >
          <LodBackground />
          {bundled && <SpokeBundle model={model} rect={rectOfNode} />}
          {bundledGuests.size > 0 && (
            <GuestBundle model={model} ids={bundledGuests} rect={rectOfNode} lod={lod} />
          )}
          {/* Before the controls, so they stay clickable while the knife is out. */}
          <KnifeLayer rectOf={rectOfNode} />
          <Controls showInteractive={false} position="bottom-left" />
          {nodes.length > 40 && <MiniMap pannable zoomable position="bottom-right" />}
          <FitOnArrival
            fitKey={fitKey}
            extentKey={extentKey}
            userMoved={userMoved}
            ready={nodes.length > 0 && nodes.length === built.length}
            padding={padding}
          />
          <ZoomVariable target={canvas} />
          <HostList model={model} collapsed={collapsed} />
        </ReactFlow>
      </GraphViewContext.Provider>
    </div>
  );
}
