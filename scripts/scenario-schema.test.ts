import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_PATH, scenarioSchemaText } from './scenario-schema';

describe('schema/scenario.schema.json', () => {
  it('is what shared/scenario/model.ts generates (run `npm run schema` after changing the model)', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(scenarioSchemaText());
  });
});
