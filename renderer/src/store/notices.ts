import type { Notice, NoticeTone } from './initial-state';

// The notices' life, pure: info and success go by themselves after a few seconds, errors stay
// until dismissed, and a notice said again while it is still shown becomes one notice with a
// count instead of a pile. The store runs these; tests call them with their own clock.

/** How long a notice of each tone stays, in ms; null: until the user dismisses it. */
export const NOTICE_LIFETIME_MS: Readonly<Record<NoticeTone, number | null>> = {
  success: 4000,
  info: 6000,
  error: null,
};

/** At most this many notices on screen; beyond it the oldest passing one goes first. */
export const NOTICE_LIMIT = 4;

export type NoticeInput = { tone: NoticeTone; message: string; hint?: string | undefined };

const sameWords = (n: Notice, input: NoticeInput) =>
  n.tone === input.tone && n.message === input.message && n.hint === input.hint;

const expiryOf = (tone: NoticeTone, now: number) => {
  const lifetime = NOTICE_LIFETIME_MS[tone];
  return lifetime === null ? null : now + lifetime;
};

/**
 * The notices after `input` is said at `now`: a repeat of a shown notice moves it to the end
 * with its count raised and its time renewed (it keeps its id, so the same toast updates);
 * anything else is appended as `id`. Over the limit, the oldest notices that would expire
 * anyway go first, errors only when nothing else is left to drop.
 */
export function addNotice(
  notices: readonly Notice[],
  input: NoticeInput,
  id: number,
  now: number,
  limit = NOTICE_LIMIT,
): Notice[] {
  const repeat = notices.find((n) => sameWords(n, input));
  const next: Notice = repeat
    ? { ...repeat, count: repeat.count + 1, expiresAt: expiryOf(input.tone, now) }
    : { id, ...input, count: 1, expiresAt: expiryOf(input.tone, now) };
  const list = [...notices.filter((n) => n !== repeat), next];
  while (list.length > limit) {
    const passing = list.findIndex((n) => n.expiresAt !== null && n !== next);
    list.splice(Math.max(passing, 0), 1);
  }
  return list;
}

/** The notices still shown at `now`; the same array when none has expired. */
export function expireNotices(notices: Notice[], now: number): Notice[] {
  const kept = notices.filter((n) => n.expiresAt === null || n.expiresAt > now);
  return kept.length === notices.length ? notices : kept;
}

/** When the next notice expires, or null when every one shown waits for the user. */
export function nextExpiry(notices: readonly Notice[]): number | null {
  const times = notices.flatMap((n) => (n.expiresAt === null ? [] : [n.expiresAt]));
  return times.length ? Math.min(...times) : null;
}
