import type {
  ApiError,
  HostId,
  NemesisName,
  RunStatus,
  ScenarioPlan,
  ScenarioSource,
} from '../../../shared/api';
import type { RecordedAction } from '../../../shared/scenario/record';

// The Scenarios panel's part of the UI state: the file or nemesis being edited, its plan, the
// runs the engine reported, and a recording under way. Runs are replaced by each scenario.run
// event; the panel ticks their clocks locally between events.

export type ScenarioFile = { filename: string; text: string };

/** The nemesis picker as typed; read into a ScenarioSource only when planning. */
export type NemesisForm = {
  nemesis: NemesisName;
  /** Names or patterns, separated by spaces or commas; empty: every running guest. */
  guests: string;
  interval: string;
  jitter: string;
  limit: 'rounds' | 'duration';
  rounds: string;
  duration: string;
};

/** A problem the engine found in the file, where it is (line 0 when it names no place). */
export type FileProblem = { line: number; column: number; path: string; message: string };

export type PlanView =
  | { state: 'none' }
  | { state: 'planning' }
  /** hosts: those it was planned over (a plan is fresh while the hosts and source are the same). */
  | { state: 'planned'; plan: ScenarioPlan; source: ScenarioSource; hosts: readonly HostId[] }
  | { state: 'refused'; error: ApiError; problems: FileProblem[] };

/** A run as last reported, and when (the local clock ticks on from there while it runs). */
export type RunView = { status: RunStatus; receivedAt: number };

export type Recording =
  | { state: 'off' }
  | { state: 'on'; startedAt: number; actions: RecordedAction[] };

export type ScenarioState = {
  scenarioTab: ScenarioSource['kind'];
  scenarioFile: ScenarioFile;
  nemesisForm: NemesisForm;
  /** Overrides the file's seed; empty: the file's, else one drawn by the engine. */
  scenarioSeed: string;
  /** The one host plans and runs are made on; null: every connected host together. */
  scenarioHostId: HostId | null;
  scenarioPlan: PlanView;
  runs: Record<string, RunView>;
  /** The run the panel follows: the newest one started here, or the one picked. */
  currentRunId: string | null;
  recording: Recording;
};

export const EXAMPLE_SCENARIO = `# A scenario: steps run one after another; see shared/scenario/README.md.
name: split-brain
steps:
  - name: isolate the first node for 20 s
    partition: isolate
    guests: [lab-node1]
    duration: 20s
  - wait: 5s
  - cut: { from: lab-node2, to: lab-node3 }
    duration: 10s
`;

export const initialScenarioState: ScenarioState = {
  scenarioTab: 'file',
  scenarioFile: { filename: 'split-brain.yaml', text: EXAMPLE_SCENARIO },
  nemesisForm: {
    nemesis: 'random-halves',
    guests: '',
    interval: '10',
    jitter: '0',
    limit: 'rounds',
    rounds: '5',
    duration: '60',
  },
  scenarioSeed: '',
  scenarioHostId: null,
  scenarioPlan: { state: 'none' },
  runs: {},
  currentRunId: null,
  recording: { state: 'off' },
};
