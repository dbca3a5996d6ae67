import { useEffect } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ChaosApi, CutTraffic, HostId, PortTraffic, TrafficSample } from '../../../shared/api';

// Live traffic, a slice of its own: samples arrive about once a second per host, and only the
// links and spokes read them, so they stay out of the main store (whose every change re-derives
// the graph model). The engine samples while someone holds a watch: edges on screen hold one
// together (counted), renewed while the page is visible, so a hidden or closed page stops it.

export interface HostTraffic {
  readonly at: number;
  /** By MAC. */
  readonly ports: Readonly<Record<string, PortTraffic>>;
  /** By cut id. */
  readonly cuts: Readonly<Record<string, CutTraffic>>;
  readonly countersUnavailable: string | null;
}

export interface TrafficState {
  readonly hosts: Readonly<Record<string, HostTraffic>>;
}

export type TrafficStore = StoreApi<TrafficState>;

/** How long the engine samples per request, and how often the page asks again. */
export const WATCH_SECONDS = 10;
export const RENEW_MS = 4000;
/** A sample older than this says nothing about now (the host stopped answering). */
export const STALE_MS = 4000;

export function foldSample(state: TrafficState, s: TrafficSample): TrafficState {
  return {
    hosts: {
      ...state.hosts,
      [s.hostId]: {
        at: s.at,
        ports: Object.fromEntries(s.ports.map((p) => [p.mac, p])),
        cuts: Object.fromEntries(s.cuts.map((c) => [c.cutId, c])),
        countersUnavailable: s.countersUnavailable,
      },
    },
  };
}

interface Slice {
  store: TrafficStore;
  watchers: number;
  stop: (() => void) | null;
}

const slices = new WeakMap<ChaosApi, Slice>();

function sliceOf(api: ChaosApi): Slice {
  let slice = slices.get(api);
  if (!slice) {
    slice = { store: createStore<TrafficState>()(() => ({ hosts: {} })), watchers: 0, stop: null };
    slices.set(api, slice);
  }
  return slice;
}

export function trafficStoreOf(api: ChaosApi): TrafficStore {
  return sliceOf(api).store;
}

/** Follows the engine's samples and keeps its watch renewed while the page is visible. */
export function startWatching(api: ChaosApi, store: TrafficStore): () => void {
  const unsubscribe = api.subscribe((e) => {
    if (e.type === 'traffic.sample') store.setState((s) => foldSample(s, e));
  });
  const visible = () => typeof document === 'undefined' || document.visibilityState !== 'hidden';
  const renew = () => {
    if (visible()) void api['traffic.watch']({ seconds: WATCH_SECONDS });
  };
  renew();
  const timer = setInterval(renew, RENEW_MS);
  const onVisibility = () => renew();
  if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisibility);
  return () => {
    clearInterval(timer);
    if (typeof document !== 'undefined')
      document.removeEventListener('visibilitychange', onVisibility);
    unsubscribe();
  };
}

/** Holds the watch while the calling component is mounted (all of them share one). */
export function useTrafficWatch(api: ChaosApi): void {
  useEffect(() => {
    const slice = sliceOf(api);
    if (slice.watchers++ === 0) slice.stop = startWatching(api, slice.store);
    return () => {
      if (--slice.watchers === 0) {
        slice.stop?.();
        slice.stop = null;
      }
    };
  }, [api]);
}

export function useTraffic<T>(api: ChaosApi, selector: (s: TrafficState) => T): T {
  return useStore(sliceOf(api).store, selector);
}

/** A host's traffic if its last sample is recent, else null (unknown, not idle). */
export function freshHost(
  state: TrafficState,
  hostId: HostId | string,
  now: number,
): HostTraffic | null {
  const h = state.hosts[hostId];
  return h && now - h.at <= STALE_MS ? h : null;
}
