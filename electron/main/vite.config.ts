import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The Electron main process -> out/main/index.js (ESM). Dependencies stay in node_modules
// (electron-builder packs the production ones); only our own TypeScript is bundled.

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};
const external = [
  'electron',
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  ...Object.keys(pkg.dependencies),
].map((name) => new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(/.*)?$`));

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  define: { __KVM_CHAOS_VERSION__: JSON.stringify(pkg.version) },
  build: {
    ssr: 'electron/main/index.ts',
    outDir: 'out/main',
    emptyOutDir: true,
    target: 'node22',
    minify: false,
    sourcemap: true,
    rollupOptions: {
      external,
      output: { format: 'es', entryFileNames: 'index.js' },
    },
  },
});
