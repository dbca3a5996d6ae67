// A scenario file (YAML, or JSON, which is YAML) to a Scenario, or to problems that each name
// the line, column and field at fault. Steps are checked one by one, dispatched on their action
// key, so a bad step gets a message about what it is (a cut missing `to`) rather than a dump of
// every step kind it failed to be.
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node as YamlNode,
} from 'yaml';
import { z } from 'zod';
import {
  CutStep,
  HealStep,
  NemesisStep,
  PartitionStep,
  ProtectStep,
  parallelStepOf,
  repeatStepOf,
  Scenario,
  UnprotectStep,
  WaitStep,
} from './model';
import { pathText, type ScenarioProblem } from './problems';

export { formatProblems, problemAt, ScenarioError, type ScenarioProblem } from './problems';

export type ParsedScenario =
  | { ok: true; scenario: Scenario }
  | { ok: false; problems: ScenarioProblem[] };

type Path = (string | number)[];

function pathOf(text: string): Path {
  return [...text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] as string),
  );
}

/** Where a problem points: the value at fault, the key that is wrong, or the map missing a key. */
type Anchor = 'value' | 'key' | 'parent';
interface Found {
  path: Path;
  message: string;
  anchor: Anchor;
}

const ACTIONS = {
  cut: CutStep,
  partition: PartitionStep,
  heal: HealStep,
  protect: ProtectStep,
  unprotect: UnprotectStep,
  wait: WaitStep,
  nemesis: NemesisStep,
  repeat: repeatStepOf(z.unknown()),
  parallel: parallelStepOf(z.unknown()),
} as const;
type Action = keyof typeof ACTIONS;
const ACTION_NAMES = Object.keys(ACTIONS) as Action[];
const ACTION_LIST = `${ACTION_NAMES.slice(0, -1).join(', ')} or ${ACTION_NAMES.at(-1)}`;

/** Every key the format knows, for "did you mean". */
const KNOWN_KEYS = [
  ...new Set([
    ...Object.keys(Scenario.shape),
    ...Object.values(ACTIONS).flatMap((s) => Object.keys(s.shape)),
    ...Object.keys(CutStep.shape.cut.shape),
  ]),
];

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(
        (row[j] as number) + 1,
        (next[j - 1] as number) + 1,
        (row[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    row = next;
  }
  return row[b.length] as number;
}

function unknownKey(key: string): string {
  const [near] = KNOWN_KEYS.map((k) => [k, editDistance(k, key)] as const)
    .filter(([, d]) => d <= 2)
    .sort((a, b) => a[1] - b[1])
    .map(([k]) => k);
  return near ? `unknown key (did you mean ${near}?)` : 'unknown key';
}

function describeValue(v: unknown): string {
  if (v === null) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

/** zod's issues in plain words; messages the model gives itself take precedence over these. */
function plainWords(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'missing';
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, not ${describeValue(iss.input)}`;
    case 'invalid_value':
      return `expected ${iss.values.map((v) => String(v)).join(', ')}; not ${describeValue(iss.input)}`;
    case 'too_small': {
      const min = Number(iss.minimum);
      if (iss.origin === 'array') return `needs at least ${min} ${min === 1 ? 'item' : 'items'}`;
      if (iss.origin === 'string') return 'must not be empty';
      return iss.inclusive ? `must be at least ${min}` : `must be more than ${min}`;
    }
    case 'too_big': {
      const max = Number(iss.maximum);
      if (iss.origin === 'array') return `takes at most ${max} ${max === 1 ? 'item' : 'items'}`;
      if (iss.origin === 'string') return `is longer than ${max} characters`;
      return `must be at most ${max}`;
    }
    case 'invalid_union': {
      if (iss.input === undefined) return 'missing';
      // Reached only when no branch got past the value's type: say what each branch wanted.
      const wanted = iss.errors.flatMap((branch) =>
        branch.flatMap((b) =>
          b.path.length > 0
            ? []
            : b.code === 'invalid_type'
              ? [EXPECTED[b.expected] ?? b.expected]
              : b.code === 'invalid_value'
                ? b.values.map((v) => String(v))
                : [],
        ),
      );
      return `expected ${[...new Set(wanted)].join(' or ')}, not ${describeValue(iss.input)}`;
    }
    default:
      return undefined;
  }
}

function issuesToFound(issues: readonly z.core.$ZodIssue[], prefix: Path): Found[] {
  return issues.flatMap((iss): Found[] => {
    const path = [...prefix, ...(iss.path as Path)];
    if (iss.code === 'unrecognized_keys')
      return iss.keys.map((k) => ({ path: [...path, k], message: unknownKey(k), anchor: 'key' }));
    if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      // The branch that got past the value's type is the one the author meant.
      const meant = iss.errors.find((branch) =>
        branch.some(
          (b) => b.path.length > 0 || (b.code !== 'invalid_type' && b.code !== 'invalid_value'),
        ),
      );
      if (meant) return issuesToFound(meant, path);
    }
    if (iss.message === 'missing') return [{ path, message: 'missing', anchor: 'parent' }];
    return [{ path, message: iss.message, anchor: 'value' }];
  });
}

function check(schema: z.ZodType, value: unknown, path: Path): Found[] {
  const result = schema.safeParse(value, { error: plainWords, reportInput: true });
  return result.success ? [] : issuesToFound(result.error.issues, path);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkSteps(steps: unknown, path: Path): Found[] {
  return Array.isArray(steps) ? steps.flatMap((s, i) => checkStep(s, [...path, i])) : [];
}

function checkStep(step: unknown, path: Path): Found[] {
  if (!isRecord(step))
    return [
      { path, message: `a step is a mapping with one action: ${ACTION_LIST}`, anchor: 'value' },
    ];
  const keys = Object.keys(step);
  const actions = keys.filter((k): k is Action => k in ACTIONS);
  if (actions.length === 0) {
    const unknown = keys.filter((k) => !KNOWN_KEYS.includes(k));
    const why = `a step has one action: ${ACTION_LIST}`;
    if (unknown.length > 0)
      return unknown.map((k) => ({
        path: [...path, k],
        message: `${unknownKey(k)}; ${why}`,
        anchor: 'key',
      }));
    return [{ path, message: `no action; ${why}`, anchor: 'value' }];
  }
  if (actions.length > 1)
    return [
      {
        path: [...path, actions[1] as string],
        message: `a step has one action, this one has ${actions.join(' and ')}: split it in two steps`,
        anchor: 'key',
      },
    ];
  const action = actions[0] as Action;
  const found = check(ACTIONS[action], step, path);
  if (found.length > 0) return found;
  if (action === 'repeat') return checkSteps(step.steps, [...path, 'steps']);
  if (action === 'parallel')
    return (step.parallel as unknown[]).flatMap((branch, b) =>
      checkSteps(branch, [...path, 'parallel', b]),
    );
  return checkMeaning(action, step, path);
}

/** What the schema cannot say: fields that only make sense together. */
function checkMeaning(action: Action, step: Record<string, unknown>, path: Path): Found[] {
  const at = (field: Path, message: string): Found[] => [
    { path: [...path, ...field], message, anchor: 'value' },
  ];
  switch (action) {
    case 'heal':
      return step.duration === undefined
        ? []
        : at(['duration'], 'a heal is not undone, so it takes no duration');
    case 'cut': {
      const cut = step.cut as z.infer<typeof CutStep>['cut'];
      return cut.port !== undefined && cut.scope !== 'tcp' && cut.scope !== 'udp'
        ? at(['cut', 'port'], 'a port goes with scope tcp or udp')
        : [];
    }
    case 'partition':
      if (step.partition === 'groups')
        return step.groups === undefined
          ? at(['partition'], 'partition groups needs groups: a list of lists of selectors')
          : step.guests !== undefined
            ? at(['guests'], 'partition groups takes groups, not guests')
            : [];
      return step.groups === undefined
        ? []
        : at(['groups'], `groups go with partition groups, not ${String(step.partition)}`);
    default:
      return [];
  }
}

function foundInScenario(value: unknown): Found[] {
  if (!isRecord(value))
    return [{ path: [], message: 'a scenario is a mapping with name and steps', anchor: 'value' }];
  const top = Scenario.extend({ steps: z.array(z.unknown()).min(1) });
  const found = check(top, value, []);
  return [...found, ...checkSteps(value.steps, ['steps'])];
}

// ---- positions --------------------------------------------------------------------------------

function keyOf(node: unknown): string | undefined {
  return isScalar(node) ? String(node.value) : undefined;
}

/** The node at a path, and the key node it hangs from, as far as the document goes. */
function walk(doc: Document, path: Path): { node: YamlNode | null; key: YamlNode | null } {
  let node = (doc.contents as YamlNode | null) ?? null;
  let key: YamlNode | null = null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyOf(p.key) === String(seg));
      if (!pair) break;
      key = (pair.key as YamlNode | null) ?? null;
      node = (pair.value as YamlNode | null) ?? null;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg] as YamlNode;
      key = null;
    } else break;
  }
  return { node, key };
}

function offsetOf(doc: Document, path: Path, anchor: Anchor): number {
  const target = anchor === 'parent' ? path.slice(0, -1) : path;
  const { node, key } = walk(doc, target);
  const chosen = anchor === 'value' ? (node ?? key) : (key ?? node);
  return chosen?.range?.[0] ?? 0;
}

function positionIn(lineCounter: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(line, 1), column: Math.max(col, 1) };
}

export interface LocatedScenario {
  parsed: ParsedScenario;
  /** Where a field is in the file ("steps[2].partition"), for problems found later. */
  locate(problem: ScenarioProblem): ScenarioProblem;
}

/** parseScenario, keeping the document so problems found while planning get their position. */
export function parseLocated(text: string): LocatedScenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locate = (p: ScenarioProblem): ScenarioProblem =>
    p.line > 0 ? p : { ...p, ...positionIn(lineCounter, offsetOf(doc, pathOf(p.path), 'value')) };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({
      ...positionIn(lineCounter, e.pos[0]),
      path: '',
      message: e.message,
    }));
    return { parsed: { ok: false, problems }, locate };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { parsed: { ok: false, problems: [{ line: 1, column: 1, path: '', message }] }, locate };
  }
  const refuse = (found: Found[]): LocatedScenario => {
    const problems = found.map((f) => ({
      ...positionIn(lineCounter, offsetOf(doc, f.path, f.anchor)),
      path: pathText(f.path),
      message: f.message,
    }));
    return { parsed: { ok: false, problems }, locate };
  };
  const found = foundInScenario(value);
  if (found.length > 0) return refuse(found);
  // The step-by-step checks above cover the schema; this parse types the result.
  const whole = Scenario.safeParse(value, { error: plainWords, reportInput: true });
  if (!whole.success) return refuse(issuesToFound(whole.error.issues, []));
  return { parsed: { ok: true, scenario: whole.data }, locate };
}

/** A scenario file's text to a Scenario, or every problem with its line and field. */
export function parseScenario(text: string, _filename?: string): ParsedScenario {
  return parseLocated(text).parsed;
}
