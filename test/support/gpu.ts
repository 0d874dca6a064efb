/**
 * One real WebGPU device per test file (software Vulkan in CI). No mocks: every test runs the
 * engine's kernels on whatever adapter acquireDevice() picks.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { acquireDevice } from '../../src/gpu/device';
import type { Gpu } from '../../src/gpu/context';

export function useGpu(): () => Gpu {
  let gpu: Gpu | undefined;
  beforeAll(async () => {
    gpu = await acquireDevice({ log: () => {} });
  });
  afterAll(({}, suite) => {
    if (gpu) recordCompileCost(gpu, suite.file.name);
    gpu?.destroy();
  });
  return () => {
    if (!gpu) throw new Error('GPU not acquired yet');
    return gpu;
  };
}

/**
 * Each file's pipeline compiles, one JSON line per file in test-artifacts/compiles.jsonl (the
 * suite's first-run cost; test/support/compile-totals.ts prints the total).
 */
function recordCompileCost(gpu: Gpu, file: string): void {
  mkdirSync('test-artifacts', { recursive: true });
  appendFileSync('test-artifacts/compiles.jsonl', JSON.stringify({ file, ...gpu.compileCost() }) + '\n');
}
