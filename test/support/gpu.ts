/**
 * One real WebGPU device per test file (software Vulkan in CI). No mocks: every test runs the
 * engine's kernels on whatever adapter acquireDevice() picks.
 */
import { afterAll, beforeAll } from 'vitest';
import { acquireDevice } from '../../src/gpu/device';
import type { Gpu } from '../../src/gpu/context';

export function useGpu(): () => Gpu {
  let gpu: Gpu | undefined;
  beforeAll(async () => {
    gpu = await acquireDevice({ log: () => {} });
  });
  afterAll(() => {
    gpu?.destroy();
  });
  return () => {
    if (!gpu) throw new Error('GPU not acquired yet');
    return gpu;
  };
}
