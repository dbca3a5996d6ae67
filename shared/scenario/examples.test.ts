import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { labInventory } from '../api/fixtures';
import { planFromSource } from './compile';
import { parseScenario } from './parse';

const dir = new URL('../../examples/scenarios/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('examples/scenarios', () => {
  it('has examples', () => expect(files.length).toBeGreaterThanOrEqual(2));

  it.each(files)('%s parses, points editors at the schema, and plans on the lab', (file) => {
    const text = readFileSync(new URL(file, dir), 'utf8');
    expect(text.split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../../schema/scenario.schema.json',
    );
    const parsed = parseScenario(text, file);
    expect(parsed).toMatchObject({ ok: true });
    const plan = planFromSource({ kind: 'file', text, filename: file }, labInventory(3));
    expect(plan.steps.length).toBeGreaterThan(0);
  });
});
