import { describe, expect, it } from 'vitest';
import { parseBenchArgs, runBench, shuffledDigits } from '../../bench/run';
import { useGpu } from '../support/gpu';
import { loadMnistPackage } from '../../src/data/node-files';

const gpu = useGpu();

/** Every number a benchmark reports about speed must be a finite positive number (speed itself is not tested). */
function expectPositiveNumbers(value: unknown, path: string, keys: RegExp): void {
  if (Array.isArray(value)) value.forEach((v, i) => expectPositiveNumbers(v, `${path}[${i}]`, keys));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'number' && keys.test(k)) {
        expect(Number.isFinite(v) && v > 0, `${path}.${k} = ${v}`).toBe(true);
      } else expectPositiveNumbers(v, `${path}.${k}`, keys);
    }
  }
}

describe('benchmarks (a short run: completes, numbers finite and positive)', () => {
  it('runs every suite on tiny sizes', async () => {
    const args = parseBenchArgs(['all', '--samples', '256', '--repeats', '1', '--large', '64', '--tol', '1e-2', '--tune']);
    const lines: string[] = [];
    const env = { digits: shuffledDigits(await loadMnistPackage()), cpu: { cores: 2, ghz: 2, measured: false }, peers: true };
    const results = await runBench(gpu(), args, env, (s) => lines.push(s));
    expect(Object.keys(results).sort()).toEqual(['hvp', 'kernels', 'matmulTuning', 'peers', 'probe', 'train']);
    expectPositiveNumbers(results, 'results', /^(medianMs|minMs|maxMs|gflops|gbps|ratio|samplesPerSecond|seconds|msPerHvp|hvps|ms|oursMs|theirsMs|oursGpuMs)$/);
    expect(lines.join('\n')).toMatch(/\| matmul \| forward NT 128×256×784 \|/);
    expect(() => parseBenchArgs(['nope'])).toThrow(/unknown benchmark suite 'nope'/);
  });
});
