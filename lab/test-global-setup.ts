// Global setup of the `lab` test project: the lab must be up and this process inside its
// namespace. With CI=true a missing lab is a failure; scripts/test.ts only runs this project
// where the lab can exist, so reaching here without one is always an error worth reading.
import { NAMESPACE } from './config';
import { namespaceOf } from './host';
import { status } from './lab';

export default async function setup(): Promise<void> {
  const ns = await namespaceOf(process.pid);
  if (ns !== NAMESPACE)
    throw new Error(
      `lab tests must run inside the lab namespace '${NAMESPACE}' (this process is in '${ns || 'the host namespace'}'): run 'npm test', or 'npm run lab -- exec npx vitest run --project lab'`,
    );
  const s = await status();
  if (!s.up)
    throw new Error("the lab is not up: run 'npm run lab -- up' (see 'npm run lab -- status')");
}
