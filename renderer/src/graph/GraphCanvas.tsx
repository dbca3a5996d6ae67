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
} from '@xyflow/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { GuestId } from '../../../shared/api';
import {
  selectDragged,
  selectGraphModel,
  selectIndexes,
  selectInventories,
  selectKnifeActive,
  selectLayout,
  selectTheme,
} from '../store/selectors';
import { KnifeLayer } from '../tools/knife/KnifeLayer';
import { useChaos, useChaosStore } from '../ui/store-context';
import { LinkEdge } from './edges/LinkEdge';
import { SpokeEdge, UplinkEdge } from './edges/SpokeEdge';
import {
  type FlowEdge,
  type FlowNode,
  flowEdges,
  flowNodes,
  hostOfNode,
  syncEdges,
  syncNodes,
} from './flow';
import { GuestNode } from './nodes/GuestNode';
import { HostNode } from './nodes/HostNode';
import { SegmentNode } from './nodes/SegmentNode';

const nodeTypes: NodeTypes = { host: HostNode, segment: SegmentNode, guest: GuestNode };
const edgeTypes: EdgeTypes = { link: LinkEdge, spoke: SpokeEdge, uplink: UplinkEdge };

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
function FitOnArrival({ fitKey, ready }: { fitKey: string; ready: boolean }) {
  const { fitView } = useReactFlow();
  const fitted = useRef<string | null>(null);
  useEffect(() => {
    if (!ready || fitted.current === fitKey) return;
    fitted.current = fitKey;
    // Room at the bottom for the partition bar.
    requestAnimationFrame(
      () => void fitView({ padding: { top: '6%', x: '6%', bottom: '90px' }, duration: 0 }),
    );
  }, [fitView, fitKey, ready]);
  return null;
}

export function GraphCanvas() {
  const store = useChaosStore();
  const model = useChaos(selectGraphModel);
  const layout = useChaos(selectLayout);
  const dragged = useChaos(selectDragged);
  const theme = useChaos(selectTheme);
  const knifeActive = useChaos(selectKnifeActive);
  const [nodes, setNodes] = useState<FlowNode[]>([]);
  const [edges, setEdges] = useState<FlowEdge[]>([]);

  useEffect(
    () => setNodes((previous) => syncNodes(previous, flowNodes(model, layout, dragged))),
    [model, layout, dragged],
  );
  useEffect(() => setEdges((previous) => syncEdges(previous, flowEdges(model))), [model]);

  const inventories = useChaos(selectInventories);
  const fitKey = model.hosts.map((h) => `${h.hostId}:${inventories[h.hostId] ? 1 : 0}`).join('|');
  const expectedNodes = model.hosts.length + model.segments.length + model.guests.length;

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => setNodes((current) => applyNodeChanges(changes, current)),
    [],
  );

  return (
    <div className={`canvas ${knifeActive ? 'canvas--knife' : ''}`} data-testid="graph">
      <Markers />
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
        }}
        onEdgeClick={(_event, edge) => {
          if (edge.type === 'link') void store.getState().healLink(edge.id);
        }}
        onPaneClick={() => store.getState().selectGuests([])}
        colorMode={theme}
        minZoom={0.05}
        maxZoom={2.5}
        nodesConnectable={false}
        elementsSelectable={false}
        selectionKeyCode={null}
        multiSelectionKeyCode={null}
        deleteKeyCode={null}
        panOnDrag={!knifeActive}
        onlyRenderVisibleElements={nodes.length > 150}
        proOptions={{ hideAttribution: false }}
      >
        <Background gap={28} />
        {/* Before the controls, so they stay clickable while the knife is out. */}
        <KnifeLayer />
        <Controls showInteractive={false} position="bottom-left" />
        {nodes.length > 40 && <MiniMap pannable zoomable position="bottom-right" />}
        <FitOnArrival fitKey={fitKey} ready={nodes.length > 0 && nodes.length === expectedNodes} />
      </ReactFlow>
    </div>
  );
}
