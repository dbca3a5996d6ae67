import { authorLabel, CUT_STATE_WORDS, cutBadge, type LinkCut } from './model';

// A cut in words for titles and lists: what it drops, who made it and when, when it heals, and
// its state when that is not simply "in force". Pure; times are the viewer's local clock.

const pad = (n: number) => String(n).padStart(2, '0');

/** Time left as m:ss, or h:mm:ss from an hour on; never negative. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return hours ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
}

/** A moment as hh:mm:ss, with the date when it is not today. */
export function formatClock(at: number, now: number): string {
  const d = new Date(at);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const today = new Date(now).toDateString() === d.toDateString();
  return today ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** When a cut heals, as a moment (titles are not redrawn each second): "heals at 14:13:07". */
export function expiryWords(expiresAt: number | null, now: number): string {
  if (expiresAt === null) return 'no expiry';
  return `${expiresAt > now ? 'heals' : 'expired'} at ${formatClock(expiresAt, now)}`;
}

/** Who made a cut and when: "root@kvm1 at 14:03:07, run nightly-7". */
export function madeWords(cut: Pick<LinkCut, 'author' | 'createdAt' | 'runId'>, now: number) {
  const when = cut.createdAt === null ? '' : ` at ${formatClock(cut.createdAt, now)}`;
  return `${authorLabel(cut.author)}${when}${cut.runId ? `, run ${cut.runId}` : ''}`;
}

/** One cut of a link between `a` and `b` in a line, for the link's title. */
export function cutTitle(cut: LinkCut, a: string, b: string, now: number): string {
  const what =
    cut.blocked === 'both'
      ? `${cutBadge(cut)} between ${a} and ${b}`
      : cut.blocked === 'a->b'
        ? `${cutBadge(cut)}: from ${a} to ${b}`
        : `${cutBadge(cut)}: from ${b} to ${a}`;
  const state = cut.state === 'applied' ? '' : ` · ${CUT_STATE_WORDS[cut.state]}`;
  return `${what} · by ${madeWords(cut, now)} · ${expiryWords(cut.expiresAt, now)}${state}`;
}
