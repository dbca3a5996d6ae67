// What a person sees wrong at a glance, measured in the page: text spilling out of its box or cut
// short, a badge lying on another card or badge, text too faint for its background, a page that
// scrolls sideways, and (projector) text too small once the graph's zoom is applied. Everything
// is read from the live DOM and computed styles; nothing is compared to a stored picture.
import type { Page } from 'playwright-core';

export type Finding = { what: string; where: string; detail: string };

export type Audit = {
  overflow: Finding[];
  overlap: Finding[];
  contrast: Finding[];
  /** document width beyond the window, in px (0: no horizontal scroll). */
  horizontalScroll: number;
  /** The smallest text on screen in px as drawn (graph text times the graph's zoom). */
  smallestText: { px: number; where: string } | null;
  /** How many text elements were judged for contrast (so an empty page cannot pass). */
  textsJudged: number;
  /** How many badges were judged for overlap. */
  badgesJudged: number;
};

export const MIN_CONTRAST = 4.5;

/** Badges: what sits on or beside a card and must never hide under anything. */
const BADGE_SELECTOR = [
  '.badge',
  '.segment__text',
  '.host__label',
  '.guest__cuts',
  '[data-testid="cut-badge"]',
  '.react-flow__edgelabel-renderer > *',
].join(', ');

/** What a badge must not lie on: the cards and labels of the graph, and the other badges. */
const SOLID_SELECTOR = [
  '.react-flow__node-guest',
  '.segment__text',
  '.host__label',
  '.host-list',
  '.react-flow__controls',
  '.react-flow__edgelabel-renderer > *',
  BADGE_SELECTOR,
].join(', ');

/**
 * Runs every check on the page as it is now. Runs in the browser: one self-contained function
 * (no helpers from this module reach the page).
 */
export async function audit(page: Page): Promise<Audit> {
  // tsx and esbuild keep function names by wrapping them in __name(), which the page lacks.
  await page.evaluate('globalThis.__name ??= (f) => f');
  return page.evaluate(
    ({ badgeSelector, solidSelector, minContrast }) => {
      const describe = (el: Element): string => {
        const id = el.getAttribute('data-testid');
        const name = el.closest('[data-guest-name]')?.getAttribute('data-guest-name');
        const cls = typeof el.className === 'string' ? el.className.trim().split(/\s+/)[0] : '';
        const text = (el.textContent ?? '').trim().slice(0, 40);
        return `${el.tagName.toLowerCase()}${cls ? `.${cls}` : ''}${id ? `[${id}]` : ''}${
          name ? ` in ${name}` : ''
        } "${text}"`;
      };
      const visible = (el: Element): boolean => {
        const r = el.getBoundingClientRect();
        if (r.width < 1 || r.height < 1) return false;
        const style = getComputedStyle(el);
        if (style.visibility !== 'visible' || style.display === 'none') return false;
        // Off screen (a scrolled-away row) is not seen; the parts on screen are judged.
        return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
      };
      const inApp = [...document.querySelectorAll('#root *')].filter(visible);

      // ---- overflow: content wider or taller than its box --------------------------------
      const overflow: { what: string; where: string; detail: string }[] = [];
      for (const el of inApp) {
        if (!(el instanceof HTMLElement)) continue;
        // Screen-reader text is clipped on purpose; XML is scrolled on purpose; the viewport's
        // layers hold absolutely placed nodes (judged one by one); labels drawn to grow out of
        // their node when zoomed out (graph.css) are judged by the overlap check instead.
        if (
          el.closest('.sr-only, pre, .react-flow__minimap, .segment__text, .host__label') ||
          el.matches(
            '.react-flow__renderer, .react-flow__pane, .react-flow__viewport, .react-flow__viewport > *, .react-flow__node-segment, .node.segment',
          )
        )
          continue;
        const style = getComputedStyle(el);
        const wide = el.scrollWidth - el.clientWidth;
        if (wide <= 1 || el.clientWidth === 0) continue;
        const text = [...el.childNodes].some(
          (n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '',
        );
        if (style.overflowX === 'visible') {
          overflow.push({ what: 'spills out', where: describe(el), detail: `${wide} px wider` });
        } else if (style.overflowX === 'hidden' || style.overflowX === 'clip') {
          // Cut short: text with an ellipsis or simply clipped.
          if (text || style.textOverflow === 'ellipsis')
            overflow.push({ what: 'cut short', where: describe(el), detail: `${wide} px hidden` });
        } else if (!el.matches('.react-flow, .react-flow *')) {
          // A scrollbar sideways inside a panel: something in it is too wide.
          overflow.push({ what: 'scrolls sideways', where: describe(el), detail: `${wide} px` });
        }
      }

      // ---- the graph at its default zoom: every node inside the canvas, none cut by its edge --
      const canvas = document.querySelector('.react-flow')?.getBoundingClientRect();
      if (canvas)
        for (const node of document.querySelectorAll('.react-flow__node')) {
          const r = node.getBoundingClientRect();
          if (r.width < 1) continue;
          const out = Math.max(
            canvas.left - r.left,
            canvas.top - r.top,
            r.right - canvas.right,
            r.bottom - canvas.bottom,
          );
          if (out > 1)
            overflow.push({
              what: 'outside the canvas',
              where: describe(node),
              detail: `${Math.round(out)} px`,
            });
        }

      // ---- overlap: a badge on anything solid that is not its own card ------------------------
      const overlap: { what: string; where: string; detail: string }[] = [];
      const badges = [...document.querySelectorAll(badgeSelector)].filter(visible);
      const solids = [...document.querySelectorAll(solidSelector)].filter(visible);
      const area = (a: DOMRect, b: DOMRect) =>
        Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) *
        Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
      const told = new Set<Element>();
      for (const badge of badges) {
        const r = badge.getBoundingClientRect();
        told.add(badge);
        for (const other of solids) {
          if (other === badge || other.contains(badge) || badge.contains(other)) continue;
          // Two badges on each other are one finding, said once.
          if (told.has(other)) continue;
          const shared = area(r, other.getBoundingClientRect());
          if (shared > 2)
            overlap.push({
              what: 'badge overlaps',
              where: describe(badge),
              detail: `${Math.round(shared)} px² of ${describe(other)}`,
            });
        }
      }

      // ---- contrast: every text against what is behind it -----------------------------------
      type Rgba = [number, number, number, number];
      const parse = (c: string): Rgba | null => {
        const nums = c.match(/[\d.]+(e-?\d+)?/g)?.map(Number);
        if (!nums || nums.length < 3) return null;
        if (c.startsWith('color(srgb')) {
          const [r = 0, g = 0, b = 0, a = 1] = nums;
          return [r * 255, g * 255, b * 255, a];
        }
        if (c.startsWith('rgb')) {
          const [r = 0, g = 0, b = 0, a = 1] = nums;
          return [r, g, b, a];
        }
        return null;
      };
      const over = (top: Rgba, below: Rgba): Rgba => {
        const a = top[3] + below[3] * (1 - top[3]);
        if (a === 0) return [0, 0, 0, 0];
        const mix = (i: number) =>
          ((top[i] as number) * top[3] + (below[i] as number) * below[3] * (1 - top[3])) / a;
        return [mix(0), mix(1), mix(2), a];
      };
      const luminance = (c: Rgba) => {
        const lin = (v: number) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
      };
      /** The colour behind an element: its own and its ancestors' backgrounds, blended. */
      const backdrop = (el: Element): { color: Rgba; unknown: boolean } => {
        const layers: Rgba[] = [];
        let unknown = false;
        for (let e: Element | null = el; e; e = e.parentElement) {
          const style = getComputedStyle(e);
          if (style.backgroundImage !== 'none' && !e.matches('.react-flow__background'))
            unknown = true;
          const c = parse(style.backgroundColor);
          if (c && c[3] > 0) {
            layers.push(c);
            if (c[3] >= 1) break;
          }
        }
        let color: Rgba = [255, 255, 255, 1];
        for (const layer of layers.reverse()) color = over(layer, color);
        return { color, unknown };
      };
      const opacityOf = (el: Element) => {
        let o = 1;
        for (let e: Element | null = el; e; e = e.parentElement)
          o *= Number(getComputedStyle(e).opacity);
        return o;
      };
      const contrast: { what: string; where: string; detail: string }[] = [];
      let textsJudged = 0;
      let smallest: { px: number; where: string } | null = null;
      const viewport = document.querySelector('.react-flow__viewport') as HTMLElement | null;
      const zoom = viewport ? new DOMMatrix(getComputedStyle(viewport).transform).a : 1;
      for (const el of inApp) {
        const own = [...el.childNodes].filter(
          (n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '',
        );
        if (own.length === 0) continue;
        // Inactive controls are exempt (WCAG 1.4.3), and so is what sr-only hides.
        if (el.closest(':disabled, [aria-disabled="true"], .sr-only, .react-flow__attribution'))
          continue;
        const style = getComputedStyle(el);
        const fg = parse(style.color);
        if (!fg) continue;
        const { color: bg, unknown } = backdrop(el);
        if (unknown) continue;
        const seen = over([fg[0], fg[1], fg[2], fg[3] * opacityOf(el)], bg);
        const [l1, l2] = [luminance(seen), luminance(bg)].sort((a, b) => b - a) as [number, number];
        const ratio = (l1 + 0.05) / (l2 + 0.05);
        textsJudged++;
        if (ratio < minContrast)
          contrast.push({
            what: 'low contrast',
            where: describe(el),
            detail: `${ratio.toFixed(2)}:1 (${style.color} on rgb(${bg
              .slice(0, 3)
              .map((v) => Math.round(v))
              .join(', ')}))`,
          });
        const px = parseFloat(style.fontSize) * (el.closest('.react-flow__viewport') ? zoom : 1);
        if (!smallest || px < smallest.px) smallest = { px, where: describe(el) };
      }

      return {
        overflow,
        overlap,
        contrast,
        horizontalScroll: Math.max(0, document.documentElement.scrollWidth - innerWidth),
        smallestText: smallest,
        textsJudged,
        badgesJudged: badges.length,
      };
    },
    { badgeSelector: BADGE_SELECTOR, solidSelector: SOLID_SELECTOR, minContrast: MIN_CONTRAST },
  );
}

/** A readable list of findings for an assertion message. */
export function findingsText(findings: readonly Finding[]): string {
  return findings.map((f) => `  ${f.what}: ${f.where} — ${f.detail}`).join('\n');
}
