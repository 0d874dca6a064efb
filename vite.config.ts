/**
 * The demo site (demo/), built to dist/ with a relative base so it works from any static host or
 * sub-folder. The engine's shaders are found by `new URL('../../shaders/x.wgsl', import.meta.url)`;
 * Vite emits them as files next to the bundle rather than inlining them as data: URLs, so they stay
 * readable and cacheable. demo/public/data/ (written by scripts/build-demo-data.ts) is copied as is.
 * The demo imports the library by its package entries ('hessian-gpu', 'hessian-gpu/study',
 * 'hessian-gpu/bench'), as an app that installed it would; here they resolve to the sources
 * (tsconfig.json's paths say the same to the type checker).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The package entries, by exact name, to their source files (also used by vitest.config.ts for the demo's tests). */
export const PACKAGE_ENTRIES = [
  { find: /^hessian-gpu$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  { find: /^hessian-gpu\/(study|bench)$/, replacement: fileURLToPath(new URL('./src/$1.ts', import.meta.url)) },
];

export default defineConfig({
  root: fileURLToPath(new URL('./demo', import.meta.url)),
  base: './',
  resolve: { alias: PACKAGE_ENTRIES },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: (file) => (file.endsWith('.wgsl') ? false : undefined),
    chunkSizeWarningLimit: 2000,
    // Two pages: the demo and the benchmark page.
    rollupOptions: {
      input: {
        demo: fileURLToPath(new URL('./demo/index.html', import.meta.url)),
        bench: fileURLToPath(new URL('./demo/bench.html', import.meta.url)),
      },
    },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
