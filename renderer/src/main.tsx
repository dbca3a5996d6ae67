import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './App';
import { createChaosStore } from './store/store';
import { preloadTransport, socketUrl, type Transport } from './transport/transport';
import { createWebSocketTransport } from './transport/websocket';
import { StoreProvider } from './ui/store-context';

// Composition root of the page: pick the transport (Electron's preload if present, else the
// WebSocket of `kvm-chaos serve`), build the store on its ChaosApi, render.

const transport: Transport = window.kvmChaos
  ? preloadTransport(window.kvmChaos)
  : createWebSocketTransport(socketUrl(location));

const store = createChaosStore(transport.api, { storage: localStorage });
if (
  !localStorage.getItem('kvm-chaos:theme') &&
  matchMedia('(prefers-color-scheme: light)').matches
) {
  store.getState().setTheme('light');
}

// Load once the engine is reachable, and again after every reconnection: anything may have
// changed while we were away.
let unsubscribe: (() => void) | null = null;
const startStore = () => {
  unsubscribe?.();
  unsubscribe = store.getState().start();
};
store.getState().setTransport(transport.state);
if (transport.state === 'open') startStore();
transport.onState((state) => {
  store.getState().setTransport(state);
  if (state === 'open') startStore();
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <StoreProvider store={store} transport={transport}>
      <App />
    </StoreProvider>
  </StrictMode>,
);
