// What is wrong with a field, said beside it; and the props that disable an action fed by
// fields, with the reason in its title and its aria-describedby pointing at the fields' words.

export const PORT_PROBLEM_ID = 'port-problem';
export const DURATION_PROBLEM_ID = 'duration-problem';

/** `quiet`: what the field still needs before anything was typed, said without alarm. */
export function FieldProblem({
  id,
  problem,
  testId = id,
  quiet = false,
}: {
  id: string;
  problem: string | null;
  testId?: string;
  quiet?: boolean;
}) {
  if (problem === null) return null;
  return (
    <span
      id={id}
      className={quiet ? 'field-problem field-problem--quiet' : 'field-problem'}
      role={quiet ? undefined : 'alert'}
      data-testid={testId}
    >
      {problem}
    </span>
  );
}

/** An action blocked by the fields whose problems are given (null: that field is fine). */
export function blockedBy(
  title: string,
  problems: readonly { id: string; problem: string | null }[],
): { disabled: boolean; title: string; 'aria-describedby'?: string } {
  const wrong = problems.filter((p) => p.problem !== null);
  if (wrong.length === 0) return { disabled: false, title };
  return {
    disabled: true,
    title: `${title}. Not now: ${wrong.map((p) => p.problem).join('; ')}`,
    'aria-describedby': wrong.map((p) => p.id).join(' '),
  };
}
