// The scenario runs of one engine: plans a source on its hosts' inventories (one host, or
// several whose guests it names together), starts runs, controls them, lists them. A run drives the engine through its public calls only (chaos.apply with the
// run's id, chaos.heal, protection.set/clear), so it is as safe as any single change.
import { randomBytes } from 'node:crypto';
import type {
  ChaosApi,
  ChaosEvent,
  CutAuthor,
  HostId,
  HostInventory,
  Result,
  RunControl,
  RunStatus,
  ScenarioPlan,
  ScenarioPlanRequest,
  ScenarioStartRequest,
  SegmentId,
} from '../../../shared/api';
import { fail, ok } from '../../../shared/api';
import { resolveGroups } from '../../../shared/inventory/segment-groups';
import { planFromSource, ScenarioError } from '../../../shared/scenario';
import type { ReportRecord } from '../../../shared/scenario/report';
import { ScenarioRun } from './run';

export interface ScenarioRunsDeps {
  /** The engine's calls, as any client sees them. */
  api: Omit<ChaosApi, `scenario.${string}`> & { readonly author?: CutAuthor };
  emit(e: ChaosEvent): void;
}

/** `run-20250102-030405-beef`: sortable, and unique enough among one host's runs. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `run-${t}-${randomBytes(2).toString('hex')}`;
}

/** The hosts a request names: hostId first, then hostIds, each once. */
export function planHostIds(req: Pick<ScenarioPlanRequest, 'hostId' | 'hostIds'>): HostId[] {
  return [...new Set([req.hostId, ...(req.hostIds ?? [])])];
}

/**
 * Plans a source on its hosts' inventories as they are now; a bad file is the caller's input.
 * Across hosts, segments are joined as chaos.apply joins them: leases and the user's groups.
 */
export async function planOn(
  api: Pick<ChaosApi, 'inventory.get' | 'segments.list'>,
  req: ScenarioPlanRequest,
): Promise<Result<ScenarioPlan>> {
  const invs: HostInventory[] = [];
  for (const r of await Promise.all(
    planHostIds(req).map((hostId) => api['inventory.get']({ hostId })),
  )) {
    if (!r.ok) return r;
    invs.push(r.value);
  }
  let groups: SegmentId[][] = [];
  if (invs.length > 1) {
    const saved = await api['segments.list']({});
    if (!saved.ok) return saved;
    groups = resolveGroups(saved.value, invs);
  }
  try {
    return ok(planFromSource(req.source, invs, req.seed, groups));
  } catch (e) {
    // Every problem, one a line, as file:line:col path: message.
    if (e instanceof ScenarioError) return fail('invalid-request', e.message);
    throw e;
  }
}

interface Entry {
  run: ScenarioRun;
  report: ReportRecord[];
}

export class ScenarioRuns {
  /** Newest last. Ended runs stay while the engine lives, for the UI's list and their reports. */
  private readonly runs: Entry[] = [];

  constructor(private readonly deps: ScenarioRunsDeps) {}

  plan(req: ScenarioPlanRequest): Promise<Result<ScenarioPlan>> {
    return planOn(this.deps.api, req);
  }

  async start(req: ScenarioStartRequest): Promise<Result<RunStatus>> {
    const planned = await this.plan(req);
    if (!planned.ok) return planned;
    const report: ReportRecord[] = [];
    const run = new ScenarioRun(
      {
        api: this.deps.api,
        author: this.deps.api.author ?? null,
        emit: (status) => this.deps.emit({ type: 'scenario.run', run: status }),
        record: (r) => report.push(r),
      },
      {
        runId: newRunId(),
        plan: planned.value,
        maxDurationSeconds: req.maxDurationSeconds,
        allowUnfilteredWindow: req.allowUnfilteredWindow,
        paused: req.paused,
      },
    );
    this.runs.push({ run, report });
    return ok(run.status());
  }

  control(req: RunControl): Promise<Result<RunStatus>> {
    const entry = this.runs.find((e) => e.run.runId === req.runId);
    if (!entry) return Promise.resolve(fail('not-found', `no run ${req.runId} in this instance`));
    const { run } = entry;
    if (run.ended)
      return Promise.resolve(fail('invalid-request', `run ${req.runId} has ended already`));
    switch (req.action) {
      case 'pause':
        run.pause();
        break;
      case 'resume':
        run.resume();
        break;
      case 'step':
        run.step();
        break;
      case 'stop':
        run.stop('stopped by request');
        break;
    }
    return Promise.resolve(ok(run.status()));
  }

  list(): Promise<Result<RunStatus[]>> {
    return Promise.resolve(ok(this.runs.map((e) => e.run.status()).reverse()));
  }

  /** The report of a run of this engine so far, one record per event. */
  report(runId: string): readonly ReportRecord[] | null {
    return this.runs.find((e) => e.run.runId === runId)?.report ?? null;
  }

  /** Stops every run (healing what each made); the engine calls it on close. */
  async closeAll(): Promise<void> {
    for (const { run } of this.runs) run.stop('the engine is closing');
    await Promise.all(this.runs.map((e) => e.run.finished));
  }
}
