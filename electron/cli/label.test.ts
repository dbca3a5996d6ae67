import { describe, expect, it } from 'vitest';
import { labelPairs, labelsText } from './label';

describe('label words', () => {
  it('reads key=value, keeping any further = in the value', () => {
    expect(labelPairs(['role=db', 'url=a=b', 'empty='])).toEqual({
      role: 'db',
      url: 'a=b',
      empty: '',
    });
  });

  it('refuses a word without a key, and a key given twice', () => {
    expect(() => labelPairs(['role'])).toThrow("a label is key=value, not 'role'");
    expect(() => labelPairs(['=db'])).toThrow('key=value');
    expect(() => labelPairs(['a=1', 'a=2'])).toThrow("label 'a' is given twice");
  });

  it('prints labels sorted, or says there are none', () => {
    expect(labelsText('g', { zone: 'a', role: 'db' })).toBe('role=db\nzone=a');
    expect(labelsText('g', {})).toBe('g has no labels');
  });
});
