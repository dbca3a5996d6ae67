import { describe, expect, it } from 'vitest';
import { blockedBy } from './FieldProblem';

describe('an action blocked by fields', () => {
  it('is enabled with its own title while every field is fine', () => {
    expect(blockedBy('Isolate', [{ id: 'duration-problem', problem: null }])).toEqual({
      disabled: false,
      title: 'Isolate',
    });
  });

  it('is disabled, says why in its title, and points at each wrong field', () => {
    expect(
      blockedBy('Knife', [
        { id: 'port-problem', problem: "'abc' is not a port" },
        { id: 'duration-problem', problem: "'-5' is not a duration" },
      ]),
    ).toEqual({
      disabled: true,
      title: "Knife. Not now: 'abc' is not a port; '-5' is not a duration",
      'aria-describedby': 'port-problem duration-problem',
    });
  });
});
