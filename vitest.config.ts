import { defineConfig } from 'vitest/config';
import { PACKAGE_ENTRIES } from './vite.config.ts';

export default defineConfig({
  // The demo's modules import the package entries (vite.config.ts).
  resolve: { alias: PACKAGE_ENTRIES },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/compile-totals.ts'],
    // Every GPU test shares the machine's two cores with a software Vulkan driver:
    // one file at a time keeps the adapter from being oversubscribed.
    fileParallelism: false,
    // Limits catch hangs, not slowness: a loaded 2-core machine can run a GPU test several times
    // slower than a quiet one, so they sit far above any quiet-machine duration.
    testTimeout: 600_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-artifacts/vitest.json' },
    hookTimeout: 600_000,
  },
});
