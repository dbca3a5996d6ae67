// Global setup of the `hosts` test project: everything the `lab` project asks, on a lab of at
// least two libvirt hosts (`npm run lab -- up --hosts 2`; scripts/test.ts brings it up).
import { existsSync } from 'node:fs';
import { paths } from './config';
import { readLabState } from './lab';
import labSetup from './test-global-setup';

export default async function setup(): Promise<void> {
  await labSetup();
  const hosts = existsSync(paths.labJson) ? ((await readLabState()).hosts?.length ?? 1) : 0;
  if (hosts < 2)
    throw new Error(
      `the hosts suites need a lab of at least two libvirt hosts (this one has ${hosts}): run 'npm run lab -- up --hosts 2'`,
    );
}
