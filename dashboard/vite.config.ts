import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard's build: `npm run build:dashboard` (also run by `npm ci` through `prepare`) writes
 * static files to `dashboard/dist`, which the collector serves at `/`. `npx vite --config
 * dashboard/vite.config.ts` serves the sources with hot reload, the API proxied to a collector on
 * 4318 (or `AGL_SERVER`).
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/v1': process.env.AGL_SERVER ?? 'http://127.0.0.1:4318' } },
});
