import { defineConfig } from 'vitest/config';

// Three projects: `unit` is pure and parallel; `lab` drives the real lab (libvirtd, guests,
// sshd) and runs one file at a time inside the lab's network namespace; `hosts` does the same on
// the lab of two libvirt hosts (`lab up --hosts 2`), after the others pass (see scripts/test.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{shared,electron,renderer,lab,scripts}/**/*.test.{ts,tsx}'],
          exclude: ['**/*.lab.test.ts', '**/*.hosts.test.ts', '**/node_modules/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'lab',
          include: ['**/*.lab.test.ts', 'e2e/**/*.e2e.test.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
          globalSetup: ['lab/test-global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // The lab's state reaches the engine by polls (bindings every 3 s): a 1 s default
          // poll would race them on a busy 2-core runner.
          expect: { poll: { timeout: 10_000 } },
        },
      },
      {
        test: {
          name: 'hosts',
          include: ['**/*.hosts.test.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
          globalSetup: ['lab/hosts-global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
