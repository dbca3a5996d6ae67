#!/usr/bin/env node
// The `kvm-chaos` command: runs the bundle of electron/cli/bin.ts (dist/cli/kvm-chaos.cjs, built
// by `npm install`/`npm ci` and `npm run build`). After TypeScript is edited the bundle is older
// than its sources: it is rebuilt first (esbuild, well under a second), never run stale.
import { buildCli, runCli, staleReason } from '../scripts/cli-bundle.mjs';

const stale = staleReason();
if (stale) {
  process.stderr.write(`kvm-chaos: rebuilding dist/cli/kvm-chaos.cjs (${stale})\n`);
  await buildCli();
}
runCli();
