// What is wrong with a scenario, each problem at its place in the file.

export interface ScenarioProblem {
  /** 1-based; 0 when the problem has no place in a file (a nemesis from the command line). */
  line: number;
  column: number;
  /** The field at fault, as `steps[1].cut.to`; "" for the file as a whole. */
  path: string;
  message: string;
}

/** A scenario that cannot be planned, with every problem found. */
export class ScenarioError extends Error {
  readonly problems: readonly ScenarioProblem[];
  constructor(problems: readonly ScenarioProblem[], filename?: string) {
    super(formatProblems(problems, filename));
    this.name = 'ScenarioError';
    this.problems = problems;
  }
}

/** A problem outside any file position, for checks made on a parsed scenario. */
export function problemAt(path: string, message: string): ScenarioProblem {
  return { line: 0, column: 0, path, message };
}

/** One line per problem, as compilers print them: "raft.yaml:4:7 steps[1].cut.to: missing". */
export function formatProblems(problems: readonly ScenarioProblem[], filename?: string): string {
  return problems
    .map((p) => {
      const where = [filename, p.line > 0 ? `${p.line}:${p.column}` : undefined]
        .filter(Boolean)
        .join(':');
      const what = p.path ? `${p.path}: ${p.message}` : p.message;
      return where ? `${where} ${what}` : what;
    })
    .join('\n');
}

export function pathText(path: readonly (string | number)[]): string {
  return path
    .map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
}
