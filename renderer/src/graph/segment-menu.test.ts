// A segment's menu and tooltip: other hosts' segments to join, the user's joins to take back,
// and the evidence in words.
import { describe, expect, it } from 'vitest';
import type { SegmentGroup, SegmentId } from '../../../shared/api';
import { refOf } from '../../../shared/inventory/segment-groups';
import { hostsOf } from './hosts.fixture';
import { buildGraphModel } from './model';
import { segmentMenu, segmentTitle } from './segment-menu';

const { summaries, inventories } = hostsOf(3, 2);
const segmentOf = (host: string) =>
  inventories[host]?.segments[0] as NonNullable<(typeof inventories)[string]>['segments'][number];
const id = (host: string) => segmentOf(host).id as SegmentId;

describe('segmentMenu', () => {
  it("offers every other host's segment, and nothing to take back, before any join", () => {
    const model = buildGraphModel(summaries, inventories);
    const h1 = model.segments.find((s) => s.id === id('h1'));
    if (!h1) throw new Error('no h1 segment');
    const menu = segmentMenu(h1, model, []);
    expect(menu.joinTargets.map((t) => t.id)).toEqual([id('h2'), id('h3')]);
    expect(menu.joinTargets[0]?.label).toMatch(/^h2: net1/);
    expect(menu.splits).toEqual([]);
    expect(segmentTitle(h1)).toBe('libvirt network net1');
  });

  it('after "same L2 as": one segment across both hosts, joined by you, and each part to undo', () => {
    const groups: SegmentGroup[] = [{ segments: [refOf(segmentOf('h1')), refOf(segmentOf('h2'))] }];
    const model = buildGraphModel(summaries, inventories, groups);
    const spanning = model.segments.find((s) => s.hostIds.length > 1);
    if (!spanning) throw new Error('no segment across hosts');
    expect(spanning.hostIds).toEqual(['h1', 'h2']);
    expect(spanning.memberIds).toHaveLength(4);
    const menu = segmentMenu(spanning, model, groups);
    expect(menu.joinTargets.map((t) => t.id)).toEqual([id('h3')]);
    expect(menu.splits.map((t) => t.id)).toEqual([id('h1'), id('h2')]);
    expect(segmentTitle(spanning)).toBe(
      `libvirt network net1: one L2 segment across h1:${refOf(segmentOf('h1')).bridge}, h2:${refOf(segmentOf('h2')).bridge}\n• joined by you`,
    );
  });
});
