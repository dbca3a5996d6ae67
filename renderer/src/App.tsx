import { ReactFlowProvider } from '@xyflow/react';
import { useEffect } from 'react';
import { GraphCanvas } from './graph/GraphCanvas';
import {
  selectHosts,
  selectKnifeActive,
  selectLoaded,
  selectProjector,
  selectTheme,
  selectTransport,
} from './store/selectors';
import { HostKeyDialog, PassphraseDialog, UnfilteredWindowDialog } from './ui/Dialogs';
import { EngineUnreachable, FirstStart } from './ui/FirstStart';
import { Notices } from './ui/Notices';
import { PartitionBar } from './ui/PartitionBar';
import { PartitionPreview } from './ui/PartitionPreview';
import { SidePanel } from './ui/SidePanel';
import { StatusBar } from './ui/StatusBar';
import { useShortcuts } from './ui/shortcuts';
import { useChaos, useChaosStore, useTransport } from './ui/store-context';
import { Toolbar } from './ui/Toolbar';

export function App() {
  const store = useChaosStore();
  const transport = useTransport();
  const theme = useChaos(selectTheme);
  const state = useChaos(selectTransport);
  const loaded = useChaos(selectLoaded);
  const hosts = useChaos(selectHosts);
  const knife = useChaos(selectKnifeActive);
  const projector = useChaos(selectProjector);
  useShortcuts(store, transport);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  // On the root, so everything inherits the projector's sizes and colours (styles.css).
  useEffect(() => {
    if (projector) document.documentElement.dataset.projector = 'on';
    else delete document.documentElement.dataset.projector;
  }, [projector]);

  const engineDown = state !== 'open' && !loaded;
  return (
    <div className={`app ${knife ? 'app--knife' : ''} ${projector ? 'app--projector' : ''}`}>
      <Toolbar />
      <main className="stage">
        {engineDown ? (
          <EngineUnreachable state={state === 'closed' ? 'closed' : 'connecting'} />
        ) : loaded && hosts.length === 0 ? (
          <FirstStart />
        ) : (
          <ReactFlowProvider>
            <GraphCanvas />
          </ReactFlowProvider>
        )}
        {state === 'closed' && loaded && (
          <div className="banner" role="alert">
            Lost the engine: reconnecting… Cuts already made stay on the hosts.
          </div>
        )}
        <PartitionBar />
        <PartitionPreview />
        <Notices />
      </main>
      {!projector && <SidePanel />}
      <StatusBar />
      <HostKeyDialog />
      <PassphraseDialog />
      <UnfilteredWindowDialog />
    </div>
  );
}
