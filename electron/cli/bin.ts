#!/usr/bin/env node
// The `kvm-chaos` command (package.json bin).
import { main } from './main';

main().then(
  (code) => {
    process.exitCode = code;
    // A host that stopped answering may still hold a socket open: never linger past the answer.
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (e: unknown) => {
    process.stderr.write(
      `kvm-chaos: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exitCode = 1;
  },
);
