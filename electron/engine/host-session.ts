// One configured host: its libvirt connection (reconnecting), its live inventory, and a queue
// that runs changes to the host one at a time. Events update the inventory without a full
// reload; bindings, which have no events, are re-read on a short interval.
import type {
  ActiveCut,
  ChaosEvent,
  HostInventory,
  HostStatus,
  HostSummary,
  Interruption,
} from '../../shared/api';
import { XMLNS_BASE } from '../../shared/chaos/naming';
import {
  buildInventory,
  type Classifier,
  type ParsedHost,
  parseHost,
} from '../../shared/inventory/build';
import { inventoryDelta } from '../../shared/inventory/patch';
import type { RawHostState } from '../../shared/inventory/raw';
import { Connection, type ConnectionState, type LibvirtConnection } from '../libvirt/connection';
import { bindProcedures } from '../libvirt/procedures';
import { parseConnectUri } from '../libvirt/uri';
import { engineError, toApiError } from './errors';
import { readBindings, readDomain, readHost } from './host-reader';
import type { Prompts } from './prompts';
import type { HostProfile } from './types';

export interface SessionDeps {
  emit(e: ChaosEvent): void;
  prompts: Prompts;
  knownHostsPath: string;
  classifier: Classifier;
  /** The cuts and interruptions of the host, from its state alone (intents and bindings). */
  statusOf(
    session: HostSession,
    parsed: ParsedHost,
  ): { cuts: ActiveCut[]; interruptions: Interruption[] };
  /** Called after every re-read: keeping the host's promises (expiry, re-apply) starts here. */
  afterRefresh(session: HostSession, why: RefreshReason): void;
  bindingPollMs: number;
  /** Every this many polls the whole host is re-read (intents change without bindings). */
  fullReadEvery?: number;
}

export type RefreshReason =
  | { kind: 'connect' }
  | { kind: 'poll' }
  | { kind: 'operation' }
  | { kind: 'domain'; uuid: string; event: string };

export class HostSession {
  status: HostStatus;
  hostname: string | undefined;
  libvirtVersion: string | undefined;
  raw: RawHostState | null = null;
  parsed: ParsedHost | null = null;
  inventory: HostInventory | null = null;
  private conn: LibvirtConnection | null = null;
  private revision = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private refreshing: { conn: LibvirtConnection | null; done: Promise<void> } | null = null;
  private closed = false;

  constructor(
    readonly profile: HostProfile,
    private readonly deps: SessionDeps,
  ) {
    this.status = { hostId: profile.id, state: 'disconnected', since: Date.now() };
  }

  get id() {
    return this.profile.id;
  }

  summary(): HostSummary {
    return {
      id: this.profile.id,
      uri: this.profile.uri,
      label: this.profile.label,
      auth: this.profile.auth,
      status: this.status,
      ...(this.hostname ? { hostname: this.hostname } : {}),
      ...(this.libvirtVersion ? { libvirtVersion: this.libvirtVersion } : {}),
    };
  }

  /** The libvirt connection, or a not-connected error that says so. */
  libvirt(): LibvirtConnection {
    if (this.conn?.state.state !== 'connected' || !this.conn)
      throw engineError(
        'not-connected',
        `${this.profile.label} is not connected (${this.status.state})`,
        'wait for the connection, or reconnect the host',
      );
    return this.conn;
  }

  /** Connects (once); resolves when connected and the inventory is read, rejects with the reason. */
  private connecting: Promise<void> | null = null;

  /** Connects (once: a second call while connecting waits for the same attempt). */
  connect(): Promise<void> {
    if (!this.connecting)
      this.connecting = this.open().finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  private async open(): Promise<void> {
    if (this.conn && this.status.state === 'connected' && this.inventory) return;
    if (this.conn) await this.conn.close();
    this.closed = false;
    const { auth, uri } = this.profile;
    const target = parseConnectUri(auth.method === 'local' ? uri || undefined : uri, false);
    if (target.transport === 'ssh') {
      target.knownHostsFile ??= this.deps.knownHostsPath;
      if (auth.method === 'key') target.keyFile = auth.keyPath;
    }
    const connection = new Connection(target, {
      onState: (s) => this.onConnectionState(s),
      onUnknownHostKey: async (k) =>
        (await this.deps.prompts.hostKey({
          hostId: this.id,
          host: k.host,
          port: k.port,
          keyType: k.keyType,
          fingerprint: k.fingerprint,
          knownHostsPath: k.knownHostsFile,
        }))
          ? 'trust-and-save'
          : 'reject',
      passphrase: (req) =>
        this.deps.prompts.passphrase({
          hostId: this.id,
          keyPath: req.keyFile,
          retry: req.attempt > 1,
        }),
      reconnect: { initialDelayMs: 500, maxDelayMs: 15_000 },
      callTimeoutMs: 60_000,
    });
    this.conn = Object.assign(
      connection,
      bindProcedures((name, args, o) => connection.call(name, args, o)),
    ) as LibvirtConnection;
    await connection.start();
    const lv = this.conn;
    const [hostname, lib] = await Promise.all([lv.connectGetHostname(), lv.connectGetLibVersion()]);
    this.hostname = hostname;
    const v = Number(lib);
    this.libvirtVersion = `${Math.floor(v / 1_000_000)}.${Math.floor(v / 1000) % 1000}.${v % 1000}`;
    await lv.subscribe('domain-lifecycle', (e) => this.scheduleDomainRefresh(e.dom.uuid, e.event));
    await lv.subscribe('domain-device-added', (e) =>
      this.scheduleDomainRefresh(e.dom.uuid, 'device-added'),
    );
    await lv.subscribe('domain-device-removed', (e) =>
      this.scheduleDomainRefresh(e.dom.uuid, 'device-removed'),
    );
    // Our metadata (cut intents, labels) changes when a kvm-chaos instance changes the host, and
    // not always with a binding (a heal of one of two cuts on a port only redefines a filter):
    // re-read the host at once, filters included, not at the next full read.
    await lv.subscribe('domain-metadata-change', (e) => {
      if (e.nsuri?.startsWith(XMLNS_BASE)) this.scheduleFullRefresh();
    });
    await lv.subscribe(
      'network-lifecycle',
      () => void this.refresh({ kind: 'poll' }).catch(() => {}),
    );
    await this.refresh({ kind: 'connect' });
    this.emitStatus();
    this.startPolling();
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.fullTimer);
    clearTimeout(this.domainTimer);
    await this.conn?.close();
    this.conn = null;
    this.status = { hostId: this.id, state: 'disconnected', since: Date.now() };
    this.emitStatus();
  }

  /** Runs `task` after every earlier task on this host: one change to a host at a time. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Re-reads the whole host and publishes the inventory if anything changed. Callers at the same
   * time share one read, but only on the same connection: a read begun on a connection that has
   * since dropped must not answer for the new one (nor overwrite what the new one read).
   */
  refresh(why: RefreshReason): Promise<void> {
    const conn = this.conn;
    if (this.refreshing && this.refreshing.conn === conn) return this.refreshing.done;
    return this.startRefresh(why, conn);
  }

  /**
   * A read that begins now: a change, under the host's lock, must not plan on a read that began
   * before it took the lock (a poll or a metadata event's), which may predate the last writer.
   */
  async freshRead(why: RefreshReason): Promise<void> {
    while (this.refreshing) await this.refreshing.done.catch(() => {});
    return this.startRefresh(why, this.conn);
  }

  private startRefresh(why: RefreshReason, conn: LibvirtConnection | null): Promise<void> {
    const entry: { conn: LibvirtConnection | null; done: Promise<void> } = {
      conn,
      done: Promise.resolve(),
    };
    entry.done = (async () => {
      try {
        const raw = await readHost(this.libvirt());
        if (this.conn !== conn) return;
        this.raw = raw;
        this.publish(why);
      } finally {
        if (this.refreshing === entry) this.refreshing = null;
      }
    })();
    this.refreshing = entry;
    return entry.done;
  }

  /**
   * Re-reads bindings (they have no events) and the domain list; publishes if either changed.
   * A domain whose id changed was restarted: said as an event too, in case libvirt's was missed.
   */
  async refreshBindings(): Promise<void> {
    if (!this.raw) return this.refresh({ kind: 'poll' });
    const lv = this.libvirt();
    const [bindings, { domains }] = await Promise.all([
      readBindings(lv),
      lv.connectListAllDomains({ needResults: 1, flags: 0 }),
    ]);
    const before = new Map(this.raw.domains.map((d) => [d.uuid, d.id]));
    const restarted = domains.filter((d) => before.has(d.uuid) && before.get(d.uuid) !== d.id);
    const sameDomains = domains.length === before.size && restarted.length === 0;
    const fullRead = ++this.polls % (this.deps.fullReadEvery ?? 10) === 0;
    if (
      sameDomains &&
      !fullRead &&
      JSON.stringify(bindings) === JSON.stringify(this.raw.bindings)
    ) {
      // Nothing changed, but time did: an intent may have expired meanwhile.
      this.deps.afterRefresh(this, { kind: 'poll' });
      return;
    }
    // Our filters may have changed with them (another instance); re-read everything then.
    await this.refresh({ kind: 'poll' });
  }

  /** Rebuilds the inventory from the last read (after the engine's own view of cuts changed). */
  republish(): void {
    if (this.raw) this.publish({ kind: 'operation' });
  }

  private polls = 0;
  private pendingDomains = new Map<string, string>();
  private domainTimer: NodeJS.Timeout | undefined;

  private fullTimer: NodeJS.Timeout | undefined;

  /** A change writes several metadata elements in a row: one read after the burst. */
  private scheduleFullRefresh() {
    clearTimeout(this.fullTimer);
    this.fullTimer = setTimeout(() => void this.refresh({ kind: 'poll' }).catch(() => {}), 100);
  }

  /** Events come in bursts (stopped, undefined...): batch them briefly, then re-read those guests. */
  private scheduleDomainRefresh(uuid: string, event: string) {
    this.pendingDomains.set(uuid, event);
    clearTimeout(this.domainTimer);
    this.domainTimer = setTimeout(() => void this.flushDomainRefresh().catch(() => {}), 100);
  }

  private async flushDomainRefresh(): Promise<void> {
    const pending = [...this.pendingDomains];
    this.pendingDomains.clear();
    if (!this.raw || pending.length === 0) return;
    const lv = this.libvirt();
    const { domains } = await lv.connectListAllDomains({ needResults: 1, flags: 0 });
    let raw: RawHostState = this.raw;
    for (const [uuid] of pending) {
      const dom = domains.find((d) => d.uuid === uuid);
      const fresh = dom ? await readDomain(lv, dom) : null;
      // In place, so the guest keeps its position and the change goes out as a patch.
      const at = raw.domains.findIndex((d) => d.uuid === uuid);
      const kept = raw.domains.filter((d) => d.uuid !== uuid);
      if (fresh) kept.splice(at < 0 ? kept.length : at, 0, fresh);
      raw = { ...raw, domains: kept };
    }
    // A guest's ports and bindings change together with its lifecycle.
    this.raw = { ...raw, bindings: await readBindings(lv), readAt: Date.now() };
    for (const [uuid, event] of pending) this.publish({ kind: 'domain', uuid, event });
  }

  private publish(why: RefreshReason) {
    if (!this.raw) return;
    this.parsed = parseHost(this.raw);
    const { cuts, interruptions } = this.deps.statusOf(this, this.parsed);
    const next = buildInventory(
      this.id,
      this.parsed,
      this.deps.classifier,
      cuts,
      this.revision + 1,
      this.raw.readAt,
      interruptions,
    );
    // A client holding the previous revision gets what changed by key; the first read, a read
    // after a reconnect (events were lost) and an order a patch cannot reach go whole.
    const before = this.inventory;
    const delta = before ? inventoryDelta(before, next) : null;
    if (delta?.kind !== 'same') {
      this.revision++;
      this.inventory = next;
      this.deps.emit({
        type: 'inventory.changed',
        hostId: this.id,
        change:
          before && delta?.kind === 'patch' && why.kind !== 'connect'
            ? {
                kind: 'patch',
                baseRevision: before.revision,
                revision: next.revision,
                patch: delta.patch,
              }
            : { kind: 'full', inventory: next },
      });
    }
    this.deps.afterRefresh(this, why);
  }

  private startPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = setInterval(() => {
      if (this.status.state !== 'connected') return;
      void this.exclusive(() => this.refreshBindings()).catch(() => {});
    }, this.deps.bindingPollMs);
    this.pollTimer.unref?.();
  }

  private onConnectionState(s: ConnectionState) {
    const since = Date.now();
    const hostId = this.id;
    switch (s.state) {
      case 'connecting':
        this.status = { hostId, state: 'connecting', since };
        break;
      case 'connected':
        this.status = { hostId, state: 'connected', since };
        // Events were lost while the link was down: read everything again.
        if (s.reconnected) void this.refresh({ kind: 'connect' }).catch(() => {});
        break;
      case 'lost':
        this.status = { hostId, state: 'lost', since, error: toApiError(s.error) };
        break;
      case 'reconnecting':
        this.status = {
          hostId,
          state: 'reconnecting',
          since,
          attempt: s.attempt,
          nextAttemptAt: since + s.delayMs,
          error: toApiError(s.error),
        };
        break;
      case 'failed':
        this.status = { hostId, state: 'disconnected', since, error: toApiError(s.error) };
        break;
      case 'closed':
        this.status = { hostId, state: 'disconnected', since };
        break;
    }
    if (!this.closed || s.state === 'closed') this.emitStatus();
  }

  private emitStatus() {
    this.deps.emit({ type: 'host.state', status: this.status });
  }
}
