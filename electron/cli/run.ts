// `kvm-chaos run [FILE]` and `kvm-chaos run --nemesis NAME`: a scenario on the host (or on every
// host of several -c, their guests named together), on the run's clock, with a report as it goes. Ctrl-C, SIGTERM and --max-duration stop the run, which
// first lets the call in flight finish (or roll itself back) and then heals exactly what the
// run made; the host keeps every cut it had before. A killed run's cuts carry its id and an
// expiry on the host: `kvm-chaos heal --run ID`, or any instance that keeps promises, heals them.
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import {
  ChaosApiError,
  NemesisName,
  RunId,
  type RunStatus,
  type ScenarioSource,
  unwrap,
} from '../../shared/api';
import { planText, scenarioHostList } from '../../shared/scenario';
import { durationMs } from '../../shared/scenario/duration';
import { DURATION_PATTERN } from '../../shared/scenario/model';
import { junitXml, type ReportRecord, reportLine } from '../../shared/scenario/report';
import { createEngine } from '../engine';
import { ScenarioRun } from '../engine/scenario/run';
import { newRunId } from '../engine/scenario/runs';
import type { Engine } from '../engine/types';
import { DEFAULT_TIMEOUT_SECONDS, Deadline } from './deadline';
import { Exit, ExitWith } from './exit-codes';
import type { GlobalOptions, Session } from './main';
import { checkedTarget, decimalArg, UsageError } from './options';
import { eventLine, statusLine, summaryText } from './run-progress';
import { cliProfiles } from './segments';

export interface RunCommandDeps {
  globals(): GlobalOptions;
  /** True when -c was not given (nor KVM_CHAOS_CONNECT): the file's host is used then. */
  connectIsDefault(): boolean;
  connect(api: Engine, o: GlobalOptions, deadline: Deadline): Promise<Session>;
  closeEngine(api: Engine): Promise<void>;
}

export interface RunOptions {
  nemesis?: string;
  guests?: string[];
  interval?: number;
  jitter?: number;
  duration?: number;
  rounds?: number;
  seed?: number;
  plan?: boolean;
  maxDuration?: number;
  report?: string;
  junit?: string;
  runId?: string;
  allowUnfilteredWindow?: boolean;
}

/** Seconds as a number ("90", "2.5") or a duration ("1m30s", "500ms"), up to a week. */
export function secondsArg(what: string, positive = true) {
  return (text: string): number => {
    const t = text.trim();
    const s = /^\d+(\.\d+)?$/.test(t)
      ? Number(t)
      : DURATION_PATTERN.test(t)
        ? durationMs(t) / 1000
        : Number.NaN;
    if (!(s >= 0 && s <= 7 * 86_400) || (positive && s === 0))
      throw new InvalidArgumentError(
        `'${text}' is not valid: ${what} is ${positive ? 'more than 0 ' : ''}seconds (90, 2.5) or a duration (1m30s, 500ms), up to a week`,
      );
    return s;
  };
}

/** What to run: a file's text, or a nemesis with its settings. */
export function sourceOf(file: string | undefined, o: RunOptions): ScenarioSource {
  const nemesisOnly = ['guests', 'interval', 'jitter', 'duration', 'rounds'] as const;
  if (file !== undefined && o.nemesis !== undefined)
    throw new UsageError('give a scenario FILE or --nemesis NAME, not both');
  if (file === undefined) {
    if (o.nemesis === undefined) throw new UsageError('give a scenario FILE or --nemesis NAME');
    const name = NemesisName.safeParse(o.nemesis);
    if (!name.success)
      throw new UsageError(
        `unknown nemesis '${o.nemesis}': one of ${NemesisName.options.join(', ')}`,
      );
    return {
      kind: 'nemesis',
      nemesis: name.data,
      ...(o.guests ? { guests: o.guests } : {}),
      ...(o.interval !== undefined ? { intervalSeconds: o.interval } : {}),
      ...(o.jitter !== undefined ? { jitterSeconds: o.jitter } : {}),
      ...(o.duration !== undefined ? { durationSeconds: o.duration } : {}),
      ...(o.rounds !== undefined ? { rounds: o.rounds } : {}),
    };
  }
  const stray = nemesisOnly.filter((k) => o[k] !== undefined);
  if (stray.length)
    throw new UsageError(
      `${stray.map((k) => `--${k}`).join(', ')} go${stray.length === 1 ? 'es' : ''} with --nemesis; a file says them in its steps`,
    );
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  return { kind: 'file', text, filename: file };
}

/** Where the report's lines go as they happen: a file written line by line, or stdout. */
function reportSink(path: string | undefined): { write(r: ReportRecord): void; close(): void } {
  if (path === undefined) return { write() {}, close() {} };
  if (path === '-') return { write: (r) => void process.stdout.write(reportLine(r)), close() {} };
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (e) {
    throw new UsageError(`cannot write --report ${path}: ${(e as NodeJS.ErrnoException).code}`);
  }
  // Synchronous: a line is on disk before the run goes on, so a killed run leaves its report.
  return { write: (r) => void writeSync(fd, reportLine(r)), close: () => closeSync(fd) };
}

export function registerRun(p: Command, deps: RunCommandDeps): void {
  p.command('run')
    .description(
      'run a scenario file (or a nemesis) on the host, or on every -c host (guest@host where names clash): steps on a timeline; Ctrl-C, SIGTERM or --max-duration heal exactly what the run made on every host',
    )
    .argument('[file]', 'the scenario, YAML or JSON (see shared/scenario/README.md)')
    .option('--nemesis <name>', `instead of a file: ${NemesisName.options.join(', ')}`)
    .option('--guests <selectors...>', "the nemesis's guests: names, patterns, label:key=value")
    .option(
      '--interval <seconds>',
      'nemesis: how long each fault holds, and the quiet after it (default 10)',
      secondsArg('--interval'),
    )
    .option(
      '--jitter <seconds>',
      'nemesis: each hold and quiet varies by up to this much',
      secondsArg('--jitter', false),
    )
    .option(
      '--duration <seconds>',
      'nemesis: as many faults as begin within this long',
      secondsArg('--duration'),
    )
    .option(
      '--rounds <n>',
      'nemesis: this many faults (default 5)',
      decimalArg('--rounds', 1, 10_000),
    )
    .option(
      '--seed <n>',
      'draw every random choice from this seed (printed with the plan)',
      decimalArg('--seed', 0, 2 ** 32 - 1),
    )
    .option(
      '--plan',
      'print the plan in full (every step, when, on which guests) and change nothing',
    )
    .option(
      '--max-duration <seconds>',
      'stop (healing what the run made) after this long',
      secondsArg('--max-duration'),
    )
    .option('--report <file>', "write the report as JSON lines, one per event ('-': stdout)")
    .option('--junit <file>', 'write JUnit XML at the end: one testcase per planned step')
    .option('--run-id <id>', 'the run id kept with its cuts (default run-<time>-<hex>)')
    .option(
      '--allow-unfiltered-window',
      "go ahead when a step must replace someone else's binding (that port has no rule for about a second)",
    )
    .action((file: string | undefined, o: RunOptions) => runCommand(deps, file, o));
}

async function runCommand(deps: RunCommandDeps, file: string | undefined, o: RunOptions) {
  const g = deps.globals();
  const source = sourceOf(file, o);
  if (o.runId !== undefined && !RunId.safeParse(o.runId).success)
    throw new UsageError(
      `--run-id '${o.runId}': ${RunId.safeParse(o.runId).error?.issues[0]?.message}`,
    );
  // Without -c, the file's hosts (all of them: their guests together), else the local socket.
  const fileHosts =
    source.kind === 'file' && deps.connectIsDefault() ? scenarioHostList(source.text) : [];
  const globals = {
    ...g,
    ...(fileHosts.length > 0 ? { connect: fileHosts[0] as string, targets: fileHosts } : {}),
    quietOperations: true,
  };
  const targets = globals.targets ?? [globals.connect];
  const deadline = new Deadline(
    globals.timeout ?? DEFAULT_TIMEOUT_SECONDS.change,
    targets.map(checkedTarget).join(', '),
  );
  // --plan only reads; a run keeps promises, like any instance that waits on cuts it made.
  const api = await createEngine({
    profiles: cliProfiles(),
    knownHostsPath: globals.knownHosts,
    face: 'cli',
    keepPromises: !o.plan,
  });
  try {
    const s = await deps.connect(api, globals, deadline);
    const planned = await deadline.step(
      s.hosts.length > 1 ? "the plan (the hosts' inventories)" : "the plan (the host's inventory)",
      api['scenario.plan']({
        hostId: s.host.id,
        ...(s.hosts.length > 1 ? { hostIds: s.hosts.map((h) => h.id) } : {}),
        source,
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
      }),
    );
    if (!planned.ok && planned.error.code === 'invalid-request') {
      // Every problem, one per line as file:line:col path: message; nothing was changed.
      process.stderr.write(`${planned.error.message.trimEnd()}\n`);
      throw new ExitWith(Exit.usage);
    }
    const plan = unwrap(planned);
    if (o.plan) {
      process.stdout.write(`${g.json ? JSON.stringify(plan, null, 2) : planText(plan)}\n`);
      return;
    }
    await execute(api, plan, o, g.json ?? false);
  } finally {
    await deps.closeEngine(api);
  }
}

async function execute(
  api: Engine,
  plan: Parameters<typeof planText>[0],
  o: RunOptions,
  json: boolean,
): Promise<void> {
  const report = reportSink(o.report);
  // Progress goes to stderr; stdout carries the report when it is '-'.
  const tty = process.stderr.isTTY === true;
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const records: ReportRecord[] = [];
  let last: { status: RunStatus; at: number } | null = null;
  let drawn = false;
  const clearStatus = () => {
    if (drawn) process.stderr.write('\r\x1b[K');
    drawn = false;
  };
  const drawStatus = () => {
    if (!tty || !last || last.status.state === 'done') return;
    const running = last.status.state === 'running';
    const clock = last.status.clockMs + (running ? performance.now() - last.at : 0);
    process.stderr.write(
      `\r\x1b[K${statusLine(last.status, clock, (process.stderr.columns || 100) - 1)}`,
    );
    drawn = true;
  };
  const run = new ScenarioRun(
    {
      api,
      author: api.author,
      emit: (status) => {
        const was = last?.status.state;
        last = { status, at: performance.now() };
        if (status.state === 'stopping' && was !== 'stopping') {
          clearStatus();
          say('stopping: healing what the run made (the call in flight finishes first)');
        }
        drawStatus();
      },
      record: (r) => {
        records.push(r);
        report.write(r);
        const line = eventLine(r, plan);
        if (line !== null) {
          clearStatus();
          say(line);
          drawStatus();
        }
      },
    },
    {
      runId: o.runId ?? newRunId(),
      plan,
      maxDurationSeconds: o.maxDuration,
      allowUnfilteredWindow: o.allowUnfilteredWindow,
    },
  );
  const ticker = tty ? setInterval(drawStatus, 250) : undefined;
  let signal: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signal) {
      clearStatus();
      say(
        `still healing what run ${run.runId} made; waiting for it (kill -9 leaves its cuts to expire, or: kvm-chaos heal --run ${run.runId})`,
      );
      return;
    }
    signal = sig;
    run.stop(`interrupted (${sig})`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let status: RunStatus;
  try {
    status = await run.finished;
  } finally {
    clearInterval(ticker);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    clearStatus();
    report.close();
  }
  if (o.junit !== undefined) writeFileSync(o.junit, junitXml([records]));
  const end = records.findLast((r) => r.type === 'run.end');
  const summary = summaryText(status, run.healedCuts, end?.left ?? []);
  // stdout carries the report when it is '-'; else the summary (or, with --json, the status).
  if (o.report === '-') say(summary);
  else process.stdout.write(`${json ? JSON.stringify(status, null, 2) : summary}\n`);
  if (status.state === 'failed' && status.error) throw new ChaosApiError(status.error);
  if (signal) throw new ExitWith(signal === 'SIGINT' ? Exit.interrupted : Exit.terminated);
  if (run.endedBy === 'healed-elsewhere') throw new ExitWith(Exit.failed);
}
