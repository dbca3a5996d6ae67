// "Same L2 as…" and "Not joined": the user's segment groups, saved by the engine with the hosts.
// The groups come back as a segments.changed event (to every window), which redraws the fabric.
import type { ApiError, ChaosApi, SegmentId } from '../../../shared/api';
import type { Notice } from './initial-state';

export type SegmentActions = {
  /** Saves that two segments of different hosts are one L2 segment. */
  joinSegments(a: SegmentId, b: SegmentId, words: string): Promise<void>;
  /** Takes a segment out of the user's groups (joins by lease stay). */
  splitSegment(id: SegmentId, words: string): Promise<void>;
};

export function createSegmentActions(deps: {
  api: ChaosApi;
  notify: (tone: Notice['tone'], message: string, hint?: string) => void;
  report: (error: ApiError) => void;
}): SegmentActions {
  const { api, notify, report } = deps;
  return {
    async joinSegments(a, b, words) {
      const r = await api['segments.join']({ segments: [a, b] });
      if (r.ok) notify('success', `${words}: saved with your hosts.`);
      else report(r.error);
    },
    async splitSegment(id, words) {
      const r = await api['segments.split']({ segment: id });
      if (r.ok) notify('success', `${words}: saved with your hosts.`);
      else report(r.error);
    },
  };
}
