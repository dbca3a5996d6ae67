// What the knife can cut: every pair link and every spoke that stands for a guest, as sampled
// paths, from the graph model and a box per node. Pure: the canvas passes React Flow's measured
// boxes, the scale benchmark the layout's.
import type { GraphModel } from '../../graph/model';
import { pairLinkPath, samplePath, spokePath } from '../../graph/paths';
import { center, type Rect } from './geometry';
import type { KnifeTarget } from './knife-tool';

export function knifeTargets(
  model: GraphModel,
  rectOf: (id: string) => Rect | null,
): KnifeTarget[] {
  const targets: KnifeTarget[] = [];
  for (const link of model.links) {
    const [a, b, bridge] = [rectOf(link.a.guestId), rectOf(link.b.guestId), rectOf(link.segmentId)];
    if (a && b && bridge)
      targets.push({ id: link.id, points: samplePath(pairLinkPath(a, b, center(bridge))) });
  }
  for (const spoke of model.spokes) {
    if (!spoke.isKnifeTarget) continue;
    const [bridge, guest] = [rectOf(spoke.segmentId), rectOf(spoke.guestId)];
    const path = bridge && guest ? spokePath(bridge, guest) : null;
    if (path) targets.push({ id: spoke.id, points: [path.from, path.to] });
  }
  return targets;
}
