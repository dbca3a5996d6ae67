// The graph as a user meets it: guests, the links between them, the toolbar, and the knife
// driven by the real mouse (pointer down, moves in steps, up) over the canvas.
import type { Locator, Page } from 'playwright-core';

export type Point = { x: number; y: number };

/** Where a link is drawn on screen: its middle and its direction from data-a to data-b. */
export type LinkGeometry = { a: string; b: string; middle: Point; along: Point; normal: Point };

export class GraphPage {
  constructor(readonly page: Page) {}

  async open(url: string, guests: readonly string[]): Promise<void> {
    await this.page.goto(url);
    for (const g of guests) await this.guest(g).waitFor({ state: 'visible', timeout: 30_000 });
    // Every pair's link is drawn once the nodes are measured.
    const pairs = (guests.length * (guests.length - 1)) / 2;
    await this.page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="link"]').length >= n,
      pairs,
      { timeout: 30_000 },
    );
  }

  guest(name: string): Locator {
    return this.page.locator(`[data-testid="guest-node"][data-guest-name="${name}"]`);
  }

  link(x: string, y: string): Locator {
    return this.page.locator(
      `[data-testid="link"][data-a="${x}"][data-b="${y}"], [data-testid="link"][data-a="${y}"][data-b="${x}"]`,
    );
  }

  button(testId: string): Locator {
    return this.page.getByTestId(testId);
  }

  async pickKnife(): Promise<void> {
    const knife = this.button('tool-knife');
    if ((await knife.getAttribute('aria-pressed')) !== 'true') await knife.click();
  }

  async pickSelect(): Promise<void> {
    await this.button('tool-select').click();
  }

  async setScope(label: 'All' | 'UDP' | 'TCP' | 'ICMP' | 'IPv4'): Promise<void> {
    await this.page
      .getByTestId('scope-picker')
      .getByRole('button', { name: label, exact: true })
      .click();
  }

  async setOneWay(on: boolean): Promise<void> {
    const toggle = this.button('one-way');
    if (((await toggle.getAttribute('aria-pressed')) === 'true') !== on) await toggle.click();
  }

  /** The toolbar's port field (enabled for TCP and UDP only) and its problem beside it. */
  portField(): Locator {
    return this.page.getByTestId('scope-port');
  }

  durationField(): Locator {
    return this.page.getByTestId('duration');
  }

  /** What is wrong with a field, said beside it (port-problem, duration-problem). */
  problem(id: 'port-problem' | 'duration-problem'): Locator {
    return this.page.getByTestId(id);
  }

  async typePort(text: string): Promise<void> {
    await this.portField().fill(text);
  }

  async typeDuration(text: string): Promise<void> {
    await this.durationField().fill(text);
  }

  /** A partition button of the bar shown while guests are selected. */
  partitionButton(choice: string): Locator {
    return this.page.getByTestId(`partition-${choice}`);
  }

  /** The label on a cut link: its heal button, badge, state, author and countdown. */
  linkLabel(x: string, y: string): Locator {
    const heal = this.page.getByRole('button', {
      name: new RegExp(`^Heal link (${x} – ${y}|${y} – ${x})$`),
    });
    return heal.locator('..');
  }

  /** A cut's badge on the link between two guests: its exact scope and direction. */
  cutBadge(x: string, y: string): Locator {
    return this.linkLabel(x, y).getByTestId('cut-badge');
  }

  /** Who made the link's cuts ("root@host"), as the label says. */
  cutAuthor(x: string, y: string): Locator {
    return this.linkLabel(x, y).getByTestId('cut-author');
  }

  /** Time left until the link's first cut heals. */
  countdown(x: string, y: string): Locator {
    return this.linkLabel(x, y).getByTestId('countdown');
  }

  /** The badge an interrupted change puts on a guest's card, with its Repair button. */
  interruptionBadge(guest: string): Locator {
    return this.guest(guest).getByTestId('interruption-badge');
  }

  async healAll(): Promise<void> {
    await this.button('heal-all').click();
  }

  /** The link's drawn path, read from the SVG in screen (client) coordinates. */
  async linkGeometry(x: string, y: string): Promise<LinkGeometry> {
    return this.link(x, y).evaluate((el) => {
      const path = el as SVGPathElement;
      const ctm = path.getScreenCTM();
      if (!ctm) throw new Error('the link is not rendered');
      const total = path.getTotalLength();
      const at = (t: number) => {
        const p = path.getPointAtLength(total * t);
        const s = new DOMPoint(p.x, p.y).matrixTransform(ctm);
        return { x: s.x, y: s.y };
      };
      const [before, middle, after] = [at(0.45), at(0.5), at(0.55)];
      const dx = after.x - before.x;
      const dy = after.y - before.y;
      const len = Math.hypot(dx, dy) || 1;
      return {
        a: path.dataset.a ?? '',
        b: path.dataset.b ?? '',
        middle,
        along: { x: dx / len, y: dy / len },
        normal: { x: -dy / len, y: dx / len },
      };
    });
  }

  /** The knife's points for a stroke straight across the middle of a link, 40 px each side. */
  async pointsAcross(x: string, y: string): Promise<Point[]> {
    const g = await this.linkGeometry(x, y);
    return strokeThrough(g.middle, g.normal, 40);
  }

  /**
   * A stroke across one link only, where many are drawn (a segment spanning hosts, whose links
   * cross): the point of the link farthest from every other link and guest card, crossed by a
   * stroke shorter than that distance, so no other link can lie under it.
   */
  async pointsAcrossOnly(x: string, y: string): Promise<Point[]> {
    const target = this.link(x, y);
    const { point, normal, clearance } = await target.evaluate((el) => {
      const screen = (path: SVGPathElement, t: number) => {
        const ctm = path.getScreenCTM();
        if (!ctm) throw new Error('a link is not rendered');
        const p = path.getPointAtLength(path.getTotalLength() * t);
        const s = new DOMPoint(p.x, p.y).matrixTransform(ctm);
        return { x: s.x, y: s.y };
      };
      const self = el as SVGPathElement;
      const others = [...document.querySelectorAll<SVGPathElement>('[data-testid="link"]')]
        .filter((p) => p !== self)
        .map((p) => {
          // Points at most 1.5 px apart on screen.
          const n = Math.max(
            50,
            Math.ceil((p.getTotalLength() * Math.abs(p.getScreenCTM()?.a ?? 1)) / 1.5),
          );
          return Array.from({ length: n + 1 }, (_, i) => screen(p, i / n));
        });
      const cards = [...document.querySelectorAll('[data-testid="guest-node"]')].map((c) =>
        c.getBoundingClientRect(),
      );
      const clearOf = (q: { x: number; y: number }) => {
        let d = Number.POSITIVE_INFINITY;
        for (const line of others)
          for (const o of line) d = Math.min(d, Math.hypot(o.x - q.x, o.y - q.y));
        for (const r of cards) {
          const dx = Math.max(r.left - q.x, 0, q.x - r.right);
          const dy = Math.max(r.top - q.y, 0, q.y - r.bottom);
          d = Math.min(d, Math.hypot(dx, dy));
        }
        return d;
      };
      let best = { t: 0.5, clearance: -1 };
      for (let i = 10; i <= 90; i++) {
        const c = clearOf(screen(self, i / 100));
        if (c > best.clearance) best = { t: i / 100, clearance: c };
      }
      const [a, b] = [screen(self, best.t - 0.01), screen(self, best.t + 0.01)];
      const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      return {
        point: screen(self, best.t),
        normal: { x: -(b.y - a.y) / len, y: (b.x - a.x) / len },
        clearance: best.clearance,
      };
    });
    // Another link's sampled points are at most 1.5 px apart on screen: keep 3 px from them.
    const reach = Math.min(clearance - 3, 30);
    if (reach < 4)
      throw new Error(`the link ${x} - ${y} is drawn within ${clearance} px of others`);
    return strokeThrough(point, normal, reach);
  }

  /**
   * A real stroke: mouse down at the first point, moves through the others in small steps,
   * `whileDown` runs before the button is released (to look at the knife's preview).
   */
  /** A stroke with Shift held (the knife while the key is down), after leaving any field. */
  async shiftStroke(points: readonly Point[]): Promise<void> {
    await this.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await this.page.keyboard.down('Shift');
    try {
      await this.stroke(points);
    } finally {
      await this.page.keyboard.up('Shift');
    }
  }

  async stroke(points: readonly Point[], whileDown?: () => Promise<void>): Promise<void> {
    const [first, ...rest] = points;
    if (!first) throw new Error('a stroke needs points');
    const { mouse } = this.page;
    await mouse.move(first.x, first.y);
    await mouse.down();
    for (const p of rest) await mouse.move(p.x, p.y, { steps: 8 });
    await whileDown?.();
    await mouse.up();
  }
}

export const add = (p: Point, q: Point, k = 1): Point => ({ x: p.x + q.x * k, y: p.y + q.y * k });

/** Nine points from `reach` px before `p` to `reach` px after it, along `dir` (a unit vector). */
const strokeThrough = (p: Point, dir: Point, reach: number): Point[] => {
  const start = add(p, dir, -reach);
  return Array.from({ length: 9 }, (_, i) => add(start, dir, (2 * reach * i) / 8));
};
