import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every GPU test shares the machine's two cores with a software Vulkan driver:
    // one file at a time keeps the adapter from being oversubscribed.
    fileParallelism: false,
    testTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-artifacts/vitest.json' },
    hookTimeout: 120_000,
  },
});
