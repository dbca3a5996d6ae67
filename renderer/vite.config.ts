import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer: built once into renderer/dist, served by `kvm-chaos serve` and loaded by the
// Electron window. Relative asset URLs so both file:// and http:// find them.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // The renderer imports the contract from ../shared.
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
  },
});
