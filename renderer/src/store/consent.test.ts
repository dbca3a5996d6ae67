import { describe, expect, it } from 'vitest';
import { labBinding, labInventory } from '../../../shared/api/fixtures';
import { portsNamedIn } from './consent';

describe('ports named in a refusal', () => {
  it('takes the known ports the message names, as whole words, in the order said', () => {
    const inventory = labInventory(11, { bindings: [labBinding(2)] });
    const message =
      'vnet10 and vnet1 would have no rules for about a second (vnet1.5 is not a port)';
    expect(portsNamedIn(message, { lab: inventory })).toEqual(['vnet10', 'vnet1']);
    expect(portsNamedIn('vnet99 is not known', { lab: inventory })).toEqual([]);
    expect(portsNamedIn('vnet1', {})).toEqual([]);
  });
});
