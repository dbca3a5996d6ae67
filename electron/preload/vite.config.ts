import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The preload -> out/preload/index.cjs: one CommonJS file, because a sandboxed preload can
// require nothing but 'electron'. Everything else it uses is bundled (and is tiny: it imports
// types only, plus shared/api/bridge.ts).

const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: 'electron/preload/index.ts',
    outDir: 'out/preload',
    emptyOutDir: true,
    target: 'chrome140',
    minify: false,
    sourcemap: 'inline',
    rollupOptions: {
      external: ['electron'],
      output: { format: 'cjs', entryFileNames: 'index.cjs' },
    },
  },
  ssr: { noExternal: true },
});
