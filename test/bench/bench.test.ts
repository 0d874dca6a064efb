import { tangentProductsFor } from '../../src/gpu/ops/matmul';
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs, runBench, shuffledDigits } from '../../src/bench/run';
import { useGpu } from '../support/gpu';
import { loadMnistPackage } from '../../src/data/node-files';
import { passCost } from '../../src/autograd/cost';
import type { PassProfile } from '../../src/bench/profile';

// The kernels test's tile sweep saves its winners to the user tile table, which every later run on
// the machine consults first: point it at a scratch file (read lazily, at this file's first matmul).
process.env.HESSIAN_GPU_TILES = join(mkdtempSync(join(tmpdir(), 'hessian-bench-')), 'matmul-tiles.json');

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

const KEYS = /^(medianMs|minMs|maxMs|gflops|gbps|ratio|samplesPerSecond|seconds|msPerHvp|hvps|ms|oursMs|theirsMs|oursGpuMs)$/;

/**
 * One short run per suite, each its own test so a slow machine is measured per suite, with generous
 * limits: these check that the suites complete and report finite positive numbers, not speed. The
 * peers suite has its own file (test/bench/peers.test.ts).
 */
describe('benchmarks (a short run of each suite: completes, numbers finite and positive)', { timeout: 600_000 }, () => {
  const suite = async (argv: string[]) => {
    const lines: string[] = [];
    const env = { digits: shuffledDigits(await loadMnistPackage()), cpu: { cores: 2, ghz: 2, measured: false }, peers: false };
    const results = await runBench(gpu(), parseBenchArgs(argv), env, (s) => lines.push(s));
    expectPositiveNumbers(results, 'results', KEYS);
    return { results, text: lines.join('\n') };
  };

  it('kernels (with the tile sweep)', async () => {
    const { results, text } = await suite(['kernels', '--repeats', '1', '--large', '64', '--tune']);
    expect(Object.keys(results).sort()).toEqual(['kernels', 'matmulTuning']);
    expect(text).toMatch(/\| matmul \| forward NT 128×256×784 \|/);
  });

  for (const name of ['hvp', 'train', 'probe'] as const) {
    it(name, async () => {
      const { results } = await suite([name, '--samples', '128', '--repeats', '1', '--tol', '1e-2']);
      expect(Object.keys(results)).toEqual([name]);
    });
  }

  it('profile (every dispatch named and timed, shares sum to 1, the GEMMs\' FLOPs those of the cost model)', async () => {
    const env = { digits: shuffledDigits(await loadMnistPackage()), cpu: { cores: 2, ghz: 2, measured: false }, peers: false };
    const lines: string[] = [];
    const results = await runBench(gpu(), parseBenchArgs(['profile', '--samples', '33', '--repeats', '1']), env, (s) => lines.push(s));
    if (!gpu().adapter.timestampQuery) {
      expect(lines.join('\n')).toMatch(/profile: skipped/);
      return;
    }
    const rows = results.profile as PassProfile[];
    const form = await tangentProductsFor(gpu());
    expect(rows.map((r) => `${r.widths.join('-')} ${r.pass}`)).toEqual(
      ['784-64-10', '784-256-256-10'].flatMap((w) => [`${w} gradient`, `${w} hvp`, `${w} block`]));
    for (const r of rows) {
      expect(r.dispatches.length).toBeGreaterThan(0);
      for (const d of r.dispatches) {
        expect(d.kernel).toMatch(/^\w+\.wgsl:\w+$/);
        expect(Number.isFinite(d.medianMs) && d.medianMs >= 0, `${d.kernel} ${d.medianMs}`).toBe(true);
      }
      expect(r.dispatches.reduce((a, d) => a + d.share, 0)).toBeCloseTo(1, 6);
      for (const t of [r.dispatchMs, r.spanMs, r.wallMs, r.passMs]) expect(Number.isFinite(t) && t > 0).toBe(true);
      // The block pass has no closed-form count; the single passes' GEMMs must add up to the cost model's.
      if (r.pass !== 'block') expect(r.dualFlops + r.plainFlops).toBe(passCost(r.widths, 33, r.pass).flops);
      // Dual GEMMs only in the single HVP's backward, where the adapter keeps them (matmul-tiles.json); the block pass batches its tangents into plain GEMMs.
      expect(r.dualFlops > 0).toBe(r.pass === 'hvp' && form === 'dual');
    }
    expect(lines.join('\n')).toMatch(/\| 784-256-256-10 block k=16 \|/);
  });

  it('rejects an unknown suite', () => {
    expect(() => parseBenchArgs(['nope'])).toThrow(/unknown benchmark suite 'nope'/);
  });
});
