// The scenario runs of one engine: plans a source on a host's inventory, starts runs, controls
// them, lists them. A run drives the engine through its public calls only (chaos.apply with the
// run's id, chaos.heal, protection.set/clear), so it is as safe as any single change.
import type {
  ChaosApi,
  ChaosEvent,
  Result,
  RunControl,
  RunStatus,
  ScenarioPlan,
  ScenarioPlanRequest,
  ScenarioStartRequest,
} from '../../../shared/api';
import { fail } from '../../../shared/api';

export interface ScenarioRunsDeps {
  /** The engine's calls, as any client sees them. */
  api: Omit<ChaosApi, 'subscribe' | `scenario.${string}`>;
  emit(e: ChaosEvent): void;
}

// Placeholder until the runner lands (issue 13): every call says so.
export class ScenarioRuns {
  constructor(private readonly deps: ScenarioRunsDeps) {
    void this.deps;
  }

  plan(_req: ScenarioPlanRequest): Promise<Result<ScenarioPlan>> {
    return Promise.resolve(fail('internal', 'scenarios are not built yet'));
  }

  start(_req: ScenarioStartRequest): Promise<Result<RunStatus>> {
    return Promise.resolve(fail('internal', 'scenarios are not built yet'));
  }

  control(_req: RunControl): Promise<Result<RunStatus>> {
    return Promise.resolve(fail('internal', 'scenarios are not built yet'));
  }

  list(): Promise<Result<RunStatus[]>> {
    return Promise.resolve(fail('internal', 'scenarios are not built yet'));
  }

  /** Stops every run (healing what each made); the engine calls it on close. */
  async closeAll(): Promise<void> {}
}
