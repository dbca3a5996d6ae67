// `npm run schema`: writes schema/scenario.schema.json, the JSON Schema of scenario files that
// editors use (yaml-language-server, VS Code), from the one definition in shared/scenario/model.ts.
// scripts/scenario-schema.test.ts fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Scenario } from '../shared/scenario/model';

export const SCHEMA_PATH = fileURLToPath(
  new URL('../schema/scenario.schema.json', import.meta.url),
);

export function scenarioSchemaText(): string {
  const schema = z.toJSONSchema(Scenario, { io: 'input' });
  const generated = {
    $comment:
      'Generated from shared/scenario/model.ts by scripts/scenario-schema.ts (npm run schema); do not edit.',
    title: 'kvm-chaos scenario',
    ...schema,
  };
  return `${JSON.stringify(generated, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_PATH, scenarioSchemaText());
  console.log(`wrote ${SCHEMA_PATH}`);
}
