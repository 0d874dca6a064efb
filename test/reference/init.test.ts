/**
 * initParams is what the CPU and GPU paths both start from, so it must be reproducible bit for bit,
 * follow the layout order, and give the He / Glorot variances the training recipes assume.
 */
import { describe, expect, it } from 'vitest';
import { initParams } from '../../src/autograd/init';
import { paramLayout } from '../../src/autograd/layout';
import { Rng } from '../../src/util/rng';

function weightStats(params: Float32Array, widths: number[], layer: number): { mean: number; variance: number; n: number } {
  const s = paramLayout(widths).layers[layer];
  const n = s.inDim * s.outDim;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const w = params[s.weightOffset + i];
    sum += w;
    sq += w * w;
  }
  const mean = sum / n;
  return { mean, variance: sq / n - mean * mean, n };
}

describe('initParams', () => {
  const widths = [6, 5, 4, 3];

  it('is deterministic per seed and differs across seeds', () => {
    expect(initParams(widths, 'relu', 7)).toEqual(initParams(widths, 'relu', 7));
    expect(initParams(widths, 'relu', 7)).not.toEqual(initParams(widths, 'relu', 8));
  });

  it('draws weights in layout order from one Rng stream', () => {
    const params = initParams(widths, 'relu', 11);
    const rng = new Rng(11);
    const expected = new Float32Array(params.length);
    for (const s of paramLayout(widths).layers) {
      const sigma = Math.sqrt(2 / s.inDim);
      for (let i = 0; i < s.inDim * s.outDim; i++) expected[s.weightOffset + i] = sigma * rng.normal();
    }
    expect(params).toEqual(expected);
  });

  it('zeroes every bias', () => {
    for (const act of ['relu', 'tanh', 'gelu'] as const) {
      const params = initParams(widths, act, 3);
      for (const s of paramLayout(widths).layers) {
        expect(Array.from(params.subarray(s.biasOffset, s.biasOffset + s.outDim))).toEqual(new Array(s.outDim).fill(0));
      }
    }
  });

  it('uses He variance for relu and gelu, Glorot for tanh', () => {
    const big = [1000, 400, 10];
    // With n = 400 000 draws the sample variance's relative standard error is √(2/n) ≈ 0.2%: 3% is generous.
    for (const [act, expected] of [['relu', 2 / 1000], ['gelu', 2 / 1000], ['tanh', 2 / 1400]] as const) {
      const { mean, variance, n } = weightStats(initParams(big, act, 5), big, 0);
      expect(Math.abs(variance / expected - 1)).toBeLessThan(0.03);
      expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(expected / n));
    }
    const gelu = initParams(big, 'gelu', 5);
    const relu = initParams(big, 'relu', 5);
    expect(gelu.every((w, i) => w === relu[i])).toBe(true);
  });

  it('rejects bad widths and activations', () => {
    expect(() => initParams([4], 'relu', 1)).toThrow(/at least an input and an output/);
    expect(() => initParams([4, 0, 2], 'relu', 1)).toThrow(/positive integers/);
    expect(() => initParams([4, 2], 'sigmoid' as never, 1)).toThrow(/unknown activation/);
  });
});
