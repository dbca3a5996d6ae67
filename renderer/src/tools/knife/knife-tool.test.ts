import { describe, expect, it } from 'vitest';
import type { Point } from './geometry';
import {
  type KnifeHost,
  type KnifeMark,
  type KnifeStroke,
  type KnifeTarget,
  KnifeTool,
} from './knife-tool';

// The knife driven headlessly: pointer down, moves, up; we assert the state path, the marks
// shown while dragging, and what is committed.

const p = (x: number, y: number): Point => ({ x, y });

/** Three vertical links at x = 100, 200, 300, from y = 0 to y = 100. */
const LINKS: KnifeTarget[] = [100, 200, 300].map((x) => ({
  id: `link-${x}`,
  points: [p(x, 0), p(x, 100)],
}));

function setup(zoom = 1, targets = LINKS) {
  const log = {
    sampled: 0,
    previews: [] as Array<{ ids: string[]; oneWay: boolean }>,
    commits: [] as KnifeStroke[],
    clicks: [] as Array<string | null>,
    cancels: 0,
  };
  const host: KnifeHost = {
    sampleTargets: () => {
      log.sampled++;
      return targets;
    },
    zoom: () => zoom,
    preview: (marks: readonly KnifeMark[], oneWay) =>
      log.previews.push({ ids: marks.map((m) => m.id), oneWay }),
    commit: (stroke) => log.commits.push(stroke),
    click: (_point, id) => log.clicks.push(id),
    cancel: () => log.cancels++,
  };
  return { tool: new KnifeTool(host), log };
}

const both = { oneWay: false };
const oneWay = { oneWay: true };

describe('knife', () => {
  it('marks links as the stroke crosses them and commits them once, on release', () => {
    const { tool, log } = setup();
    tool.pointerDown(p(50, 50), both);
    tool.pointerMove(p(150, 50), both);
    expect(tool.state).toBe('cutting');
    expect(log.previews.at(-1)?.ids).toEqual(['link-100']);
    tool.pointerMove(p(250, 50), both);
    expect(log.previews.at(-1)?.ids).toEqual(['link-100', 'link-200']);
    expect(log.commits).toEqual([]);
    tool.pointerUp(p(260, 50), both);
    expect(tool.path).toEqual(['idle', 'pointing', 'cutting', 'idle']);
    expect(log.commits).toHaveLength(1);
    expect(log.commits[0]?.marks.map((m) => m.id)).toEqual(['link-100', 'link-200']);
    expect(log.commits[0]?.marks[0]?.at).toEqual(p(100, 50));
    expect(log.sampled).toBe(1);
  });

  it('previews only when the set of marks changes, not on every move', () => {
    const { tool, log } = setup();
    tool.pointerDown(p(50, 50), both);
    for (let x = 60; x < 190; x += 10) tool.pointerMove(p(x, 50), both);
    expect(log.previews).toEqual([{ ids: ['link-100'], oneWay: false }]);
  });

  it('records the stroke direction per link for one-way cuts, and follows the modifier', () => {
    const { tool, log } = setup();
    tool.pointerDown(p(150, 0), both);
    tool.pointerMove(p(110, 40), both); // nothing crossed yet
    tool.pointerMove(p(90, 60), oneWay); // down-left across link-100: forward along it (y grows)
    expect(log.previews.at(-1)).toEqual({ ids: ['link-100'], oneWay: true });
    tool.pointerMove(p(90, 20), oneWay);
    tool.pointerMove(p(210, 0), oneWay); // up-right across link-200: against it
    tool.pointerUp(p(210, 0), oneWay);
    const marks = log.commits[0]?.marks ?? [];
    expect(marks.map((m) => [m.id, m.direction])).toEqual([
      ['link-100', 'forward'],
      ['link-200', 'backward'],
    ]);
    expect(log.commits[0]?.oneWay).toBe(true);
  });

  it('Esc or blur mid-stroke cancels: nothing committed, marks cleared', () => {
    const { tool, log } = setup();
    tool.pointerDown(p(50, 50), both);
    tool.pointerMove(p(250, 50), both);
    expect(tool.marked).toHaveLength(2);
    tool.cancel();
    expect(tool.state).toBe('idle');
    expect(tool.marked).toEqual([]);
    expect(tool.stroke).toEqual([]);
    expect(log.cancels).toBe(1);
    tool.pointerUp(p(250, 50), both); // the release after a cancel does nothing
    expect(log.commits).toEqual([]);
    expect(tool.path).toEqual(['idle', 'pointing', 'cutting', 'idle']);
  });

  it('a stroke that crosses nothing ends as a cancel, not an empty apply', () => {
    const { tool, log } = setup();
    tool.pointerDown(p(10, 10), both);
    tool.pointerMove(p(60, 10), both);
    tool.pointerUp(p(60, 20), both);
    expect(log.commits).toEqual([]);
    expect(log.cancels).toBe(1);
  });

  it('a press and release without dragging is a click on the nearest link within the margin', () => {
    const { tool, log } = setup();
    tool.pointerDown(p(205, 50), both);
    tool.pointerMove(p(206, 51), both); // below the drag threshold
    tool.pointerUp(p(206, 51), both);
    tool.pointerDown(p(150, 50), both);
    tool.pointerUp(p(150, 50), both);
    expect(log.clicks).toEqual(['link-200', null]);
    expect(tool.path).toEqual(['idle', 'pointing', 'idle', 'pointing', 'idle']);
  });

  it('divides the margins by the zoom: zoomed out, the same screen distance reaches further', () => {
    // 10 flow units from link-100 is 5 screen pixels at zoom 0.5: inside the 6 px margin.
    const zoomedOut = setup(0.5);
    zoomedOut.tool.pointerDown(p(90, 120), both);
    zoomedOut.tool.pointerMove(p(90, 110), both);
    zoomedOut.tool.pointerMove(p(89, 100), both);
    zoomedOut.tool.pointerUp(p(89, 100), both);
    expect(zoomedOut.log.commits[0]?.marks.map((m) => m.id)).toEqual(['link-100']);
    // At zoom 2 the same stroke is 20 screen pixels away: nothing.
    const zoomedIn = setup(2);
    zoomedIn.tool.pointerDown(p(90, 130), both);
    zoomedIn.tool.pointerMove(p(90, 110), both);
    zoomedIn.tool.pointerMove(p(89, 100), both);
    zoomedIn.tool.pointerUp(p(89, 100), both);
    expect(zoomedIn.log.commits).toEqual([]);
  });

  it('samples targets at pointer-down only: links moved mid-stroke keep their sampled paths', () => {
    const targets = [...LINKS];
    const { tool, log } = setup(1, targets);
    tool.pointerDown(p(50, 50), both);
    targets.splice(0, targets.length); // the canvas changes under the stroke
    tool.pointerMove(p(150, 50), both);
    tool.pointerUp(p(150, 50), both);
    expect(log.commits[0]?.marks.map((m) => m.id)).toEqual(['link-100']);
  });

  it('hit-tests a 200-move stroke against 500 spokes, marking those it crosses', () => {
    const spokes: KnifeTarget[] = Array.from({ length: 500 }, (_, i) => {
      const angle = (i / 500) * 2 * Math.PI;
      return { id: `s${i}`, points: [p(0, 0), p(Math.cos(angle) * 1000, Math.sin(angle) * 1000)] };
    });
    const { tool, log } = setup(1, spokes);
    tool.pointerDown(p(-600, 500), both);
    for (let i = 1; i <= 200; i++) tool.pointerMove(p(-600 + i * 6, 500), both);
    tool.pointerUp(p(600, 500), both);
    expect(log.commits[0]?.marks.length).toBeGreaterThan(50);
  });
});
