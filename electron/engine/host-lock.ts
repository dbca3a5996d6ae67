// One kvm-chaos writer per host at a time, whatever machine it runs on: a lock kept on the host
// itself. libvirt refuses to define a filter whose name exists unless the definition carries the
// existing uuid, so defining `kvm-chaos-lock` without a uuid is an atomic "create if absent";
// undefining it by its uuid fails once someone else re-created it. The holder (instance, pid,
// user@machine, lease end) is kept in the rule's comment, so a lock whose holder died is taken
// over: at once when the holder was a process on this machine that no longer runs, else once its
// lease has passed. A holder renews its lease while it works.
import { hostname } from 'node:os';
import type { Author } from '../../shared/chaos/intent';
import { LOCK_FILTER } from '../../shared/chaos/naming';
import { attr, elements, parseXml } from '../../shared/libvirt/xml';
import { LibvirtError } from '../libvirt/errors';
import type { ProcedureMethods } from '../libvirt/procedures';
import { engineError } from './errors';

/** How long a lock stands without renewal; a holder renews every third of it. */
export const LEASE_MS = 20_000;
/** How long a writer waits for the lock before giving up. */
export const WAIT_MS = 60_000;

export interface LockHolder {
  readonly instance: string;
  readonly user: string;
  readonly machine: string;
  readonly pid: number;
  /** ms since the epoch. */
  readonly until: number;
}

interface HeldLock {
  readonly uuid: string;
  readonly holder: LockHolder;
}

function lockXml(holder: LockHolder, uuid?: string): string {
  // The comment is an attribute: the XML layer escapes it. libvirt caps comments at 256 chars.
  const comment = JSON.stringify(holder).slice(0, 256);
  const esc = comment.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;');
  return `<filter name='${LOCK_FILTER}' chain='root'>${uuid ? `<uuid>${uuid}</uuid>` : ''}<rule action='return' direction='inout' priority='1000'><mac comment='${esc}'/></rule></filter>`;
}

/** The holder written in the lock's rule comment; an unreadable comment reads as long expired. */
function readHolder(xml: string): LockHolder | null {
  const root = parseXml(xml, 'filter');
  const mac = elements(root, 'rule').flatMap((r) => elements(r, 'mac'))[0];
  try {
    const holder = JSON.parse(attr(mac, 'comment') ?? '') as LockHolder;
    if (typeof holder.until !== 'number' || typeof holder.pid !== 'number') return null;
    return holder;
  } catch {
    return { instance: '?', user: '?', machine: '?', pid: 0, until: 0 };
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(h: LockHolder, now: number): boolean {
  if (h.until <= now) return true;
  return h.machine === hostname() && h.pid !== process.pid && !processRuns(h.pid);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waiters look again this often (plus jitter): short, so a lock just freed is seen at once. */
const POLL_MS = 150;
/**
 * A process that just released a host's lock waits this long before taking it again, so that
 * writers elsewhere, polling every POLL_MS, get their turn instead of waiting out the lease
 * (measured: 4 busy writers without it waited up to 58 s for a turn).
 */
const COURTESY_MS = 250;
const releasedAt = new Map<string, number>();

/** The lock of one host, held by this process for the time of one change. */
export class HostLock {
  private held: HeldLock | null = null;
  private renewTimer: NodeJS.Timeout | undefined;
  /** Locks taken over from holders that had died, for the change's log. */
  takenOver: LockHolder[] = [];

  constructor(
    private readonly lv: ProcedureMethods,
    private readonly author: Author,
    private readonly hostLabel: string,
  ) {}

  private holder(): LockHolder {
    return {
      instance: this.author.instance,
      user: this.author.user,
      machine: hostname(),
      pid: process.pid,
      until: Date.now() + LEASE_MS,
    };
  }

  /** Takes the lock, waiting (with jitter) while another live writer holds it. */
  async acquire(waitMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + waitMs;
    const sinceRelease = Date.now() - (releasedAt.get(this.hostLabel) ?? 0);
    if (sinceRelease < COURTESY_MS) await sleep(COURTESY_MS - sinceRelease);
    let lastHolder: LockHolder | null = null;
    for (let attempt = 0; ; attempt++) {
      try {
        const holder = this.holder();
        const f = await this.lv.nwfilterDefineXml(lockXml(holder));
        this.held = { uuid: f.uuid, holder };
        this.renewTimer = setInterval(() => void this.renew().catch(() => {}), LEASE_MS / 3);
        this.renewTimer.unref?.();
        return;
      } catch (e) {
        if (!(e instanceof LibvirtError) || !/already exists/.test(e.message)) throw e;
      }
      const current = await this.current();
      if (current && isStale(current.holder, Date.now())) {
        // Undefine by the uuid we read: if another writer re-created it meanwhile, this fails.
        await this.lv
          .nwfilterUndefine({ name: LOCK_FILTER, uuid: current.uuid })
          .then(() => this.takenOver.push(current.holder))
          .catch(() => {});
        continue;
      }
      lastHolder = current?.holder ?? lastHolder;
      if (Date.now() >= deadline)
        throw engineError(
          'busy',
          `${this.hostLabel} is being changed by ${lastHolder ? `${lastHolder.user} (pid ${lastHolder.pid} on ${lastHolder.machine})` : 'another kvm-chaos'}; waited ${Math.round(waitMs / 1000)} s`,
          'try again when that change is done',
        );
      await sleep(Math.min(POLL_MS, 25 * 2 ** attempt) + Math.random() * POLL_MS * 0.5);
    }
  }

  private async current(): Promise<HeldLock | null> {
    try {
      const f = await this.lv.nwfilterLookupByName(LOCK_FILTER);
      // The uuid is libvirt's answer to the lookup; the XML only adds who holds it.
      const holder = readHolder(await this.lv.nwfilterGetXmlDesc({ nwfilter: f, flags: 0 }));
      return holder ? { uuid: f.uuid, holder } : null;
    } catch (e) {
      if (e instanceof LibvirtError && e.isNotFound()) return null;
      throw e;
    }
  }

  /** True while the lock on the host is still ours (checked before each write). */
  async stillHeld(): Promise<boolean> {
    if (!this.held) return false;
    const current = await this.current();
    return current?.uuid === this.held.uuid;
  }

  private async renew(): Promise<void> {
    if (!this.held) return;
    const holder = this.holder();
    await this.lv.nwfilterDefineXml(lockXml(holder, this.held.uuid));
    this.held = { uuid: this.held.uuid, holder };
  }

  async release(): Promise<void> {
    clearInterval(this.renewTimer);
    const held = this.held;
    this.held = null;
    if (!held) return;
    await this.lv.nwfilterUndefine({ name: LOCK_FILTER, uuid: held.uuid }).catch(() => {});
    releasedAt.set(this.hostLabel, Date.now());
  }
}
