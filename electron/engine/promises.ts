// Keeping the host's promises: any instance connected to a host (the app, serve, `kvm-chaos
// watch`, a CLI waiting on --duration) heals cuts whose expiry has passed and puts back wanted
// cuts that are not enforced (a guest came back, a change was interrupted), whoever made them.
// It only decides when; the change itself is an ordinary repair under the host's lock, so two
// instances that both notice converge instead of fighting (the second finds nothing to do).
import type { HostId } from '../../shared/api';
import { isExpired } from '../../shared/chaos/intent';
import { hostStatus } from '../../shared/chaos/status';
import type { ParsedHost } from '../../shared/inventory/build';
import { snapshotOf } from './cuts';
import type { HostSession } from './host-session';
import { intentsOf } from './intents';

const FIRST_RETRY_MS = 5_000;
/**
 * A change writes a cut's intent before its rules, and every instance sees the intent at once
 * (metadata events): a cut this young that is not yet in force is most likely still being made,
 * so it is put back only once it is older (a crashed writer's cut is then repaired).
 */
export const PENDING_GRACE_MS = 5_000;
const MAX_RETRY_MS = 60_000;

export class PromiseKeeper {
  private readonly running = new Set<HostId>();
  private readonly expiryTimers = new Map<HostId, NodeJS.Timeout>();
  private readonly retryAt = new Map<HostId, { at: number; delay: number }>();

  /**
   * What is due on the host now, in words, or null; arms a timer for the next expiry (or the
   * moment a young pending cut becomes due).
   */
  due(s: HostSession, parsed: ParsedHost): string | null {
    const now = new Date();
    const intents = intentsOf(parsed);
    const settledAt = (i: (typeof intents)[number]) => Date.parse(i.createdAt) + PENDING_GRACE_MS;
    this.armExpiry(s, [
      ...intents.flatMap((i) => (i.expiresAt ? [Date.parse(i.expiresAt)] : [])),
      ...intents.map(settledAt),
    ]);
    const expired = intents.filter((i) => isExpired(i, now));
    const settled = intents.filter((i) => settledAt(i) <= now.getTime());
    const pending = hostStatus(snapshotOf(parsed), settled, now).interruptions.filter(
      (i) => i.kind === 'pending-cut',
    );
    const parts: string[] = [];
    if (expired.length > 0) {
      const oldest = Math.min(...expired.map((i) => Date.parse(i.expiresAt as string)));
      const late = Math.round((now.getTime() - oldest) / 1000);
      parts.push(
        `heal ${expired.length} expired cut${expired.length === 1 ? '' : 's'}${late > 5 ? ` (due ${late} s ago: no instance was running then)` : ''}`,
      );
    }
    if (pending.length > 0)
      parts.push(
        `put back ${pending.length} wanted cut${pending.length === 1 ? '' : 's'} not in force`,
      );
    return parts.length ? parts.join('; ') : null;
  }

  /** Runs `repair` for the host unless one is running or a failed one is backing off. */
  schedule(s: HostSession, why: string, repair: (why: string) => Promise<unknown>): void {
    const retry = this.retryAt.get(s.id);
    if (this.running.has(s.id) || (retry && retry.at > Date.now())) return;
    this.running.add(s.id);
    void repair(why)
      .then(() => this.retryAt.delete(s.id))
      .catch(() => {
        // Capped backoff with jitter, so instances that failed together do not retry together.
        const delay = Math.min(MAX_RETRY_MS, (retry?.delay ?? FIRST_RETRY_MS / 2) * 2);
        this.retryAt.set(s.id, { at: Date.now() + delay * (0.75 + Math.random() / 2), delay });
      })
      .finally(() => this.running.delete(s.id));
  }

  private armExpiry(s: HostSession, expiries: number[]) {
    clearTimeout(this.expiryTimers.get(s.id));
    const next = Math.min(...expiries.filter((t) => t > Date.now()));
    if (!Number.isFinite(next)) return;
    // Re-read at expiry (and a little after, so the host's clock has passed it too).
    const timer = setTimeout(
      () => void s.refresh({ kind: 'poll' }).catch(() => {}),
      Math.min(next - Date.now() + 250, 2 ** 31 - 1),
    );
    timer.unref?.();
    this.expiryTimers.set(s.id, timer);
  }

  close(): void {
    for (const t of this.expiryTimers.values()) clearTimeout(t);
    this.expiryTimers.clear();
  }
}
