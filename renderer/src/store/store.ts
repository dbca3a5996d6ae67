import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  type ActivityKind,
  type ApiError,
  type ApplyRequest,
  type ApplyResult,
  type ChaosApi,
  type CutId,
  type CutRequest,
  type CutScope,
  type ExportFormat,
  type FilterParameter,
  type GuestId,
  type HealRequest,
  type HostAuth,
  type HostId,
  hostAddressProblem,
  type OwnershipClass,
  type PartitionRequest,
  type PromptId,
  type Result,
  readDuration,
  readPort,
  type Unsubscribe,
} from '../../../shared/api';
import { scopeWords } from '../../../shared/chaos/cut';
import { cutsForMarks, type LinkMark, type PartitionChoice, partitionFor } from '../graph/actions';
import type { XY } from '../graph/layout';
import type { GraphModel } from '../graph/model';
import { portsNamedIn } from './consent';
import {
  ACTIVITY_LIMIT,
  type ChaosState,
  initialState,
  type KnifeMarkView,
  type Notice,
  type PanelTab,
  type Theme,
  type Tool,
  type TransportState,
} from './initial-state';
import { addNotice, expireNotices, nextExpiry } from './notices';
import { partitionGrudge, sidesOf } from './partition-sides';
import { cutsInWords, type NamedCut, sentence } from './plain-words';
import { reduceEvent } from './reducers';
import {
  createScenarioActions,
  recordedApply,
  recordedHeal,
  recordedProtection,
  type ScenarioActions,
} from './scenarios';
import { createSegmentActions, type SegmentActions } from './segments';
import { nextScope, selectDurationProblem, selectGraphModel, selectPortProblem } from './selectors';

// The one store factory: engine data comes in through events and call results, user intent
// goes out as contract calls. Actions never reach past the ChaosApi they were given.

export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export type ChaosActions = {
  /** Subscribes to the engine's events and loads everything; returns the unsubscribe. */
  start(): Unsubscribe;
  load(): Promise<void>;
  setTransport(state: TransportState): void;
  refreshInventory(hostId: HostId): Promise<void>;

  setTool(tool: Tool): void;
  holdKnife(held: boolean): void;
  setOneWay(oneWay: boolean): void;
  setScopeKind(kind: CutScope['kind']): void;
  /** Keeps the text as typed; an invalid one blocks the knife until it is fixed or emptied. */
  typePort(text: string): void;
  /** Keeps the text as typed; an invalid one blocks cuts and partitions until it is fixed. */
  typeDuration(text: string): void;
  knifePreview(
    marks: readonly { id: string; direction: KnifeMarkView['direction'] }[],
    oneWay: boolean,
  ): void;
  knifeClear(): void;

  cutMarked(marks: readonly LinkMark[], oneWay: boolean): Promise<void>;
  /**
   * One cut between a guest and addresses outside the guests (the guest panel's form), with the
   * toolbar's duration. Resolves with the engine's words when it refused, else null.
   */
  cutOutside(label: string, cut: CutRequest): Promise<string | null>;
  healLink(linkId: string): Promise<void>;
  healAll(): Promise<void>;
  healGuest(guestId: GuestId): Promise<void>;
  healCut(cutId: CutId): Promise<void>;
  /** Makes the host hold exactly what its intents ask (what an interrupted change left). */
  repair(hostId: HostId): Promise<void>;
  /** The user's answer to an unfiltered window: yes repeats the refused call with consent. */
  answerConsent(id: number, allow: boolean): void;
  undo(): Promise<void>;
  partition(choice: PartitionChoice): Promise<void>;
  /** Colours each guest by the side the topology puts it on; nothing is sent until apply. */
  previewPartition(choice: PartitionChoice): void;
  /**
   * The same for a request made elsewhere (host presets' groups); `segment` orders the sides
   * and gives isolate the rest of the segment.
   */
  previewRequest(label: string, request: PartitionRequest, segment?: readonly GuestId[]): void;
  applyPreview(): Promise<void>;
  cancelPreview(): void;
  setProtection(
    guestId: GuestId,
    mac: string,
    presetId: string,
    parameters: FilterParameter[],
  ): Promise<boolean>;
  clearProtection(guestId: GuestId, mac: string): Promise<boolean>;

  selectGuests(ids: readonly GuestId[], mode?: 'replace' | 'toggle'): void;
  selectPort(port: { hostId: HostId; portdev: string } | null): void;
  setPanel(panel: PanelTab): void;
  setInspectorQuery(query: string): void;
  toggleInspectorClass(value: OwnershipClass): void;
  setTheme(theme: Theme): void;
  setProjector(on: boolean): void;

  addHost(uri: string, auth: HostAuth, label?: string): Promise<boolean>;
  removeHost(hostId: HostId): Promise<void>;
  connectHost(hostId: HostId): Promise<void>;
  disconnectHost(hostId: HostId): Promise<void>;
  answerHostKey(promptId: PromptId, accept: boolean): Promise<void>;
  answerPassphrase(promptId: PromptId, passphrase: string | null): Promise<void>;
  exportActivity(
    format: ExportFormat,
  ): Promise<{ filename: string; mimeType: string; content: string } | null>;

  dragNode(hostId: HostId, nodeId: string, position: XY): void;
  resetLayout(hostId: HostId): void;
  notify(tone: Notice['tone'], message: string, hint?: string): void;
  dismissNotice(id: number): void;
} & ScenarioActions &
  SegmentActions;

export type ChaosStore = StoreApi<ChaosState & ChaosActions> & { api: ChaosApi };

export type StoreEnvironment = {
  storage?: KeyValueStorage | undefined;
  now?: () => number;
};

const THEME_KEY = 'kvm-chaos:theme';
const PROJECTOR_KEY = 'kvm-chaos:projector';
const NO_PREVIEW = { partitionPreview: null, previewSides: new Map() } as const;
const positionsKey = (hostId: string) => `kvm-chaos:positions:${hostId}`;

export function createChaosStore(api: ChaosApi, env: StoreEnvironment = {}): ChaosStore {
  const { storage, now = Date.now } = env;
  let nextNotice = 1;
  let noticeTimer: ReturnType<typeof setTimeout> | undefined;
  let nextPending = 1;
  let nextRefusal = 1;
  let nextConsent = 1;
  /** The resolvers of the questions in consentPrompts, by prompt id. */
  const answers = new Map<number, (allow: boolean) => void>();

  const store = createStore<ChaosState & ChaosActions>()((set, get) => {
    /** One timer for the notice that goes first; it sets itself again for the next one. */
    const scheduleExpiry = () => {
      clearTimeout(noticeTimer);
      const at = nextExpiry(get().notices);
      if (at === null) return;
      noticeTimer = setTimeout(
        () => {
          set((s) => ({ notices: expireNotices(s.notices, now()) }));
          scheduleExpiry();
        },
        Math.max(50, at - now()),
      );
    };
    const notify = (tone: Notice['tone'], message: string, hint?: string) => {
      set((s) => ({ notices: addNotice(s.notices, { tone, message, hint }, nextNotice++, now()) }));
      scheduleExpiry();
    };
    const report = (error: ApiError) => notify('error', error.message, error.hint);

    /** Something not done, kept in the activity log with the reason. */
    const logRefused = (kind: ActivityKind, summary: string, error: ApiError) => {
      const entry = {
        id: `ui-refused-${nextRefusal++}`,
        at: now(),
        hostId: null,
        applyId: null,
        kind,
        summary,
        outcome: 'refused' as const,
        operations: [],
        error,
      };
      set((s) => ({ activity: [entry, ...s.activity].slice(0, ACTIVITY_LIMIT) }));
    };

    /** Input the UI will not send: said in a notice and kept in the activity log. */
    const refuse = (kind: ActivityKind, what: string, problems: readonly string[]) => {
      const error: ApiError = { code: 'invalid-request', message: problems.join('; ') };
      notify('error', `${what} refused: ${error.message}`);
      logRefused(kind, `${what}: refused by the UI, nothing sent`, error);
    };

    /** Shows the links as in progress while `work` runs. */
    async function pendingWhile<T>(label: string, linkIds: string[], work: () => Promise<T>) {
      const id = nextPending++;
      set((s) => ({ pending: [...s.pending, { id, label, linkIds, startedAt: now() }] }));
      try {
        return await work();
      } finally {
        set((s) => ({ pending: s.pending.filter((p) => p.id !== id) }));
      }
    }

    const unwrap = <T>(result: Result<T>): { value: T } | null => {
      if (result.ok) return { value: result.value };
      report(result.error);
      return null;
    };

    /** Runs a call while the UI shows it as pending; errors become notices (and null). */
    const track = <T>(label: string, linkIds: string[], call: Promise<Result<T>>) =>
      pendingWhile(label, linkIds, async () => unwrap(await call));

    /** Puts an unfiltered window to the user; resolves with the answer. */
    const ask = (label: string, kind: ActivityKind, error: ApiError) =>
      new Promise<boolean>((resolve) => {
        const id = nextConsent++;
        answers.set(id, resolve);
        const ports = portsNamedIn(error.message, get().inventories);
        const prompt = { id, label, kind, message: error.message, hint: error.hint, ports };
        set((s) => ({ consentPrompts: [...s.consentPrompts, prompt] }));
      });

    /**
     * A change that may need consent: when the engine refuses it for an unfiltered window, the
     * user is asked, and only a yes sends the same call again with allowUnfilteredWindow.
     */
    const change = <T>(
      label: string,
      kind: ActivityKind,
      linkIds: string[],
      send: (consent: { allowUnfilteredWindow?: true }) => Promise<Result<T>>,
    ) =>
      pendingWhile(label, linkIds, async () => {
        const first = await send({});
        if (first.ok || first.error.code !== 'unfiltered-window') return unwrap(first);
        if (await ask(label, kind, first.error))
          return unwrap(await send({ allowUnfilteredWindow: true }));
        notify('info', `${label}: not done, nothing changed.`);
        logRefused(kind, `${label}: not done, the unfiltered window was declined`, first.error);
        return null;
      });

    const scenarios = createScenarioActions({ api, now, set, get, notify, report, change });

    /** Resolves with why nothing was applied (the UI's or the engine's words), null when done. */
    const apply = async (
      label: string,
      linkIds: string[],
      request: ApplyRequest,
    ): Promise<string | null> => {
      const field = get().duration;
      // Never read an invalid duration as "no limit": that would make the cut permanent.
      if (!field.ok) {
        refuse('apply', label, [field.problem]);
        return field.problem;
      }
      const duration = field.value;
      const withDuration = duration ? { ...request, durationSeconds: duration } : request;
      const [at, before] = [now(), get()];
      let refused: string | null = null;
      const result = await change(label, 'apply', linkIds, async (consent) => {
        const r = await api['chaos.apply']({ ...withDuration, ...consent });
        // A window the user declines is their answer, not a fault of the request.
        refused = r.ok || r.error.code === 'unfiltered-window' ? null : r.error.message;
        return r;
      });
      if (!result) return refused;
      notify('success', describeApply(label, result.value, duration));
      scenarios.record(at, () => recordedApply(before, request, duration));
      return null;
    };

    const heal = async (label: string, linkIds: string[], request: HealRequest) => {
      const [at, before] = [now(), get()];
      const result = await change(label, 'heal', linkIds, (consent) =>
        api['chaos.heal']({ ...request, ...consent }),
      );
      if (!result) return;
      notify('success', `${label}: ${plural(result.value.cutIds.length, 'cut')} healed.`);
      scenarios.record(at, () => recordedHeal(before, request));
    };

    const loadPositions = (hostIds: readonly string[]) => {
      if (!storage) return {};
      const dragged: Record<string, Record<string, XY>> = {};
      for (const id of hostIds) {
        try {
          const text = storage.getItem(positionsKey(id));
          if (text) dragged[id] = JSON.parse(text) as Record<string, XY>;
        } catch {
          storage.removeItem(positionsKey(id));
        }
      }
      return dragged;
    };

    const savedTheme = storage?.getItem(THEME_KEY);

    return {
      ...initialState,
      theme: savedTheme === 'light' || savedTheme === 'dark' ? savedTheme : initialState.theme,
      projector: storage?.getItem(PROJECTOR_KEY) === 'on',

      start() {
        const unsubscribe = api.subscribe((event) => {
          const { patch, refetch } = reduceEvent(get(), event, now());
          if (Object.keys(patch).length) set(patch);
          if (event.type === 'hosts.changed')
            set({ dragged: { ...loadPositions(event.hosts.map((h) => h.id)), ...get().dragged } });
          for (const hostId of refetch) void get().refreshInventory(hostId);
        });
        void get().load();
        return unsubscribe;
      },

      async load() {
        const [hosts, presets, activity, runs, segmentGroups] = await Promise.all([
          api['hosts.list']({}),
          api['presets.list']({}),
          api['activity.list']({ limit: 200 }),
          api['scenario.runs']({}),
          api['segments.list']({}),
        ]);
        if (!hosts.ok) return report(hosts.error);
        const at = now();
        set({
          hosts: hosts.value,
          presets: presets.ok ? presets.value : [],
          segmentGroups: segmentGroups?.ok ? segmentGroups.value : [],
          activity: activity.ok ? activity.value : [],
          dragged: loadPositions(hosts.value.map((h) => h.id)),
          // An engine without scenarios answers with an error: no runs to show, nothing to say.
          runs: Object.fromEntries(
            (runs.ok ? (runs.value ?? []) : []).map((r) => [
              r.runId,
              { status: r, receivedAt: at },
            ]),
          ),
        });
        await Promise.all(
          hosts.value
            .filter((h) => h.status.state === 'connected')
            .map((h) => get().refreshInventory(h.id)),
        );
        set({ loaded: true });
      },

      setTransport(transport) {
        set({ transport });
      },

      async refreshInventory(hostId) {
        const result = await api['inventory.get']({ hostId });
        if (result.ok) set((s) => ({ inventories: { ...s.inventories, [hostId]: result.value } }));
        else if (result.error.code !== 'not-connected') report(result.error);
      },

      setTool(tool) {
        set({ tool, knifeMarks: {} });
      },
      holdKnife(knifeHeld) {
        if (get().knifeHeld !== knifeHeld) set({ knifeHeld });
      },
      setOneWay(oneWay) {
        set({ oneWay });
      },
      setScopeKind(scopeKind) {
        set({ scopeKind });
      },
      typePort(text) {
        set({ port: { text, ...readPort(text) } });
      },
      typeDuration(text) {
        set({ duration: { text, ...readDuration(text) } });
      },
      knifePreview(marks, knifeOneWay) {
        // Keep each unchanged mark's object: edges select their own mark, so only the edges
        // whose mark changed re-render on a pointer move (hundreds are marked at scale).
        const before = get().knifeMarks;
        const knifeMarks = Object.fromEntries(
          marks.map((m) => {
            const old = before[m.id];
            return [m.id, old?.direction === m.direction ? old : { direction: m.direction }];
          }),
        );
        const same =
          marks.length === Object.keys(before).length &&
          marks.every((m) => before[m.id] === knifeMarks[m.id]);
        if (same && get().knifeOneWay === knifeOneWay) return;
        set({ knifeMarks, knifeOneWay });
      },
      knifeClear() {
        set({ knifeMarks: {}, knifeOneWay: false });
      },

      async cutMarked(marks, oneWay) {
        set({ knifeMarks: {}, knifeOneWay: false });
        const scope = nextScope(get());
        const problems = [selectPortProblem(get()), selectDurationProblem(get())].filter(
          (p): p is string => p !== null,
        );
        const model = selectGraphModel(get());
        if (!scope.ok || problems.length)
          return refuse('apply', sentence(markedInWords(model, marks)), problems);
        const { cuts, refused } = cutsForMarks(model, marks, oneWay, scope.value);
        if (refused.length)
          notify('info', `Left alone: ${refused.map((r) => r.reason).join('; ')}`);
        if (cuts.length === 0) return;
        const name = guestNames(model);
        const label = sentence(
          cutsInWords(
            cuts.map((c) => ({
              from: name(c.from.guestId),
              to: name(c.to.guestId),
              oneWay: c.direction === 'one-way',
              scope: scopeWords(c.scope),
            })),
          ),
        );
        await apply(
          label,
          marks.map((m) => m.id),
          { cuts },
        );
      },

      cutOutside(label, cut) {
        return apply(label, [], { cuts: [cut] });
      },

      async healLink(linkId) {
        const model = selectGraphModel(get());
        const link = model.links.find((l) => l.id === linkId);
        const [first, ...rest] = link?.cuts.map((c) => c.id) ?? [];
        if (!link || !first) return;
        const name = guestNames(model);
        const label = `Heal ${name(link.a.guestId)} – ${name(link.b.guestId)}`;
        await heal(label, [linkId], { cutIds: [first, ...rest] });
      },

      async healAll() {
        const linkIds = selectGraphModel(get())
          .links.filter((l) => l.cuts.length)
          .map((l) => l.id);
        await heal('Heal all', linkIds, { all: true });
      },

      async healGuest(guestId) {
        const linkIds = selectGraphModel(get())
          .links.filter(
            (l) => l.cuts.length && (l.a.guestId === guestId || l.b.guestId === guestId),
          )
          .map((l) => l.id);
        await heal(`Heal ${guestNames(selectGraphModel(get()))(guestId)}`, linkIds, { guestId });
      },

      async healCut(cutId) {
        const link = selectGraphModel(get()).links.find((l) => l.cuts.some((c) => c.id === cutId));
        await heal('Heal cut', link ? [link.id] : [], { cutIds: [cutId] });
      },

      async repair(hostId) {
        const host = get().hosts.find((h) => h.id === hostId);
        const label = `Repair ${host?.label ?? hostId}`;
        const result = await change(label, 'repair', [], (consent) =>
          api['chaos.repair']({ hostId, ...consent }),
        );
        if (!result) return;
        const { operations, portsTouched } = result.value.plan;
        notify(
          'success',
          operations.length
            ? `${label}: ${plural(operations.length, 'libvirt operation')} on ${plural(portsTouched.length, 'port')}.`
            : `${label}: the host already held what its cuts ask; nothing to do.`,
        );
      },

      answerConsent(id, allow) {
        set((s) => ({ consentPrompts: s.consentPrompts.filter((p) => p.id !== id) }));
        answers.get(id)?.(allow);
        answers.delete(id);
      },

      async undo() {
        const [at, before] = [now(), get()];
        const result = await track('Undo', [], api['chaos.undo']({}));
        if (!result) return;
        const healed = result.value;
        if (healed === null)
          return notify('info', 'Nothing to undo: no apply of this session holds a cut.');
        notify('success', `Undone: ${plural(healed.cutIds.length, 'cut')} healed.`);
        scenarios.record(at, () => recordedHeal(before, { cutIds: healed.cutIds }));
      },

      async partition(choice) {
        const outcome = partitionFor(selectGraphModel(get()), get().selectedGuestIds, choice);
        if ('error' in outcome) return notify('error', outcome.error);
        await apply(`Partition (${choice})`, [], { partition: outcome.request });
      },

      previewPartition(choice) {
        const model = selectGraphModel(get());
        const selected = get().selectedGuestIds;
        const outcome = partitionFor(model, selected, choice);
        if ('error' in outcome) return notify('error', outcome.error);
        const segmentId = model.guests.find((g) => g.id === selected[0])?.segmentId;
        const segment = model.segments.find((s) => s.id === segmentId)?.memberIds ?? [];
        get().previewRequest(`Partition (${choice})`, outcome.request, segment);
      },
      previewRequest(label, request, segment = []) {
        try {
          const sides = sidesOf(partitionGrudge(request, segment), segment);
          set({ partitionPreview: { label, request, sides }, previewSides: sides });
        } catch (e) {
          notify('error', `${label}: ${(e as Error).message}`);
        }
      },
      async applyPreview() {
        const preview = get().partitionPreview;
        if (!preview) return;
        set(NO_PREVIEW);
        await apply(preview.label, [], { partition: preview.request });
      },
      cancelPreview() {
        if (get().partitionPreview) set(NO_PREVIEW);
      },

      async setProtection(guestId, mac, presetId, parameters) {
        const [at, before] = [now(), get()];
        const result = await change(`Protect (${presetId})`, 'protect', [], (consent) =>
          api['protection.set']({ guestId, mac, presetId, parameters, ...consent }),
        );
        if (!result) return false;
        notify('success', `Protection ${presetId} set, live and persistent.`);
        scenarios.record(at, () => recordedProtection(before, guestId, { presetId, parameters }));
        return true;
      },

      async clearProtection(guestId, mac) {
        const [at, before] = [now(), get()];
        const result = await change('Unprotect', 'unprotect', [], (consent) =>
          api['protection.clear']({ guestId, mac, ...consent }),
        );
        if (!result) return false;
        notify('success', 'Protection removed.');
        scenarios.record(at, () => recordedProtection(before, guestId, null));
        return true;
      },

      selectGuests(ids, mode = 'replace') {
        // A preview is of the selection it was made from.
        if (mode === 'replace') {
          set({ selectedGuestIds: [...ids], selectedPort: null, ...NO_PREVIEW });
          return;
        }
        const current = new Set(get().selectedGuestIds);
        for (const id of ids) {
          if (current.has(id)) current.delete(id);
          else current.add(id);
        }
        set({ selectedGuestIds: [...current], selectedPort: null, ...NO_PREVIEW });
      },
      selectPort(selectedPort) {
        if (!selectedPort) return set({ selectedPort: null });
        const inventory = get().inventories[selectedPort.hostId];
        const binding = inventory?.bindings.find((b) => b.portdev === selectedPort.portdev);
        const owner =
          binding?.guestId ??
          inventory?.guests.find((g) =>
            g.interfaces.some((i) => i.portdev === selectedPort.portdev),
          )?.id;
        set({ selectedPort, selectedGuestIds: owner ? [owner] : [] });
      },
      setPanel(panel) {
        set({ panel });
      },
      setInspectorQuery(inspectorQuery) {
        set({ inspectorQuery });
      },
      toggleInspectorClass(value) {
        const classes = get().inspectorClasses;
        set({
          inspectorClasses: classes.includes(value)
            ? classes.filter((c) => c !== value)
            : [...classes, value],
        });
      },
      setTheme(theme) {
        storage?.setItem(THEME_KEY, theme);
        set({ theme });
      },
      setProjector(projector) {
        storage?.setItem(PROJECTOR_KEY, projector ? 'on' : 'off');
        set({ projector });
      },

      async addHost(uri, auth, label) {
        const problem = hostAddressProblem(uri, get().hosts);
        if (problem) {
          refuse('add-host', 'Add host', [problem]);
          return false;
        }
        const result = await track('Add host', [], api['hosts.add']({ uri, auth, label }));
        if (!result) return false;
        const host = result.value;
        set((s) => ({
          hosts: s.hosts.some((h) => h.id === host.id) ? s.hosts : [...s.hosts, host],
        }));
        return true;
      },
      async removeHost(hostId) {
        const result = await track('Remove host', [], api['hosts.remove']({ hostId }));
        if (!result) return;
        storage?.removeItem(positionsKey(hostId));
        set((s) => {
          const { [hostId]: _gone, ...inventories } = s.inventories;
          return { hosts: s.hosts.filter((h) => h.id !== hostId), inventories };
        });
      },
      async connectHost(hostId) {
        await track('Connect', [], api['hosts.connect']({ hostId }));
      },
      async disconnectHost(hostId) {
        await track('Disconnect', [], api['hosts.disconnect']({ hostId }));
      },
      async answerHostKey(promptId, accept) {
        set((s) => ({ hostKeyPrompts: s.hostKeyPrompts.filter((p) => p.promptId !== promptId) }));
        await track('Host key', [], api['hostKey.answer']({ promptId, accept }));
      },
      async answerPassphrase(promptId, passphrase) {
        set((s) => ({
          passphrasePrompts: s.passphrasePrompts.filter((p) => p.promptId !== promptId),
        }));
        await track('Passphrase', [], api['passphrase.answer']({ promptId, passphrase }));
      },
      async exportActivity(format) {
        return (await track('Export', [], api['activity.export']({ format })))?.value ?? null;
      },

      dragNode(hostId, nodeId, position) {
        const forHost = { ...(get().dragged[hostId] ?? {}), [nodeId]: position };
        storage?.setItem(positionsKey(hostId), JSON.stringify(forHost));
        set((s) => ({ dragged: { ...s.dragged, [hostId]: forHost } }));
      },
      resetLayout(hostId) {
        storage?.removeItem(positionsKey(hostId));
        set((s) => {
          const { [hostId]: _gone, ...dragged } = s.dragged;
          return { dragged };
        });
      },
      notify,
      dismissNotice(id) {
        set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
        scheduleExpiry();
      },
      ...scenarios.actions,
      ...createSegmentActions({ api, notify, report }),
    };
  });
  return Object.assign(store, { api });
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Guest names by id, the id itself for a guest no inventory knows. */
function guestNames(model: GraphModel): (id: string) => string {
  const names = new Map<string, string>(model.guests.map((g) => [g.id, g.guest.name]));
  return (id) => names.get(id) ?? id;
}

/** What marked links would cut, before any scope is known: their two guests. */
function markedInWords(model: GraphModel, marks: readonly LinkMark[]): string {
  const name = guestNames(model);
  const cuts: NamedCut[] = marks.flatMap((m) => {
    const link = model.links.find((l) => l.id === m.id);
    if (link)
      return [
        {
          from: name(link.a.guestId),
          to: name(link.b.guestId),
          oneWay: false,
          scope: 'all traffic',
        },
      ];
    const spoke = model.spokes.find((s) => s.id === m.id);
    return spoke
      ? [{ from: name(spoke.guestId), to: 'its segment', oneWay: false, scope: 'all traffic' }]
      : [];
  });
  return cutsInWords(cuts);
}

function describeApply(label: string, result: ApplyResult, duration: number | null): string {
  const ops = plural(result.plan.operations.length, 'libvirt operation');
  const ports = plural(result.plan.portsTouched.length, 'port');
  const timed = duration ? `; heals itself in ${duration} s` : '';
  return `${label}: ${ops} on ${ports}${timed}.`;
}
