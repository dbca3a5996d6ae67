import { createContext, type ReactNode, useContext } from 'react';
import { useStore } from 'zustand';
import type { ChaosState } from '../store/initial-state';
import type { ChaosActions, ChaosStore } from '../store/store';
import type { Transport } from '../transport/transport';

const StoreContext = createContext<{ store: ChaosStore; transport: Transport } | null>(null);

export function StoreProvider(props: {
  store: ChaosStore;
  transport: Transport;
  children: ReactNode;
}) {
  return (
    <StoreContext.Provider value={{ store: props.store, transport: props.transport }}>
      {props.children}
    </StoreContext.Provider>
  );
}

function useContextValue() {
  const value = useContext(StoreContext);
  if (!value) throw new Error('useChaos outside StoreProvider');
  return value;
}

/** The store's state through a selector (prefer the module-constant ones in selectors.ts). */
export function useChaos<T>(selector: (state: ChaosState & ChaosActions) => T): T {
  return useStore(useContextValue().store, selector);
}

/** The store itself, for actions and for reading state inside event handlers. */
export function useChaosStore(): ChaosStore {
  return useContextValue().store;
}

export function useTransport(): Transport {
  return useContextValue().transport;
}
