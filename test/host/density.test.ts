/**
 * SLQ spectral density: normalisation, peak placement and mass for known spectra,
 * and the quadrature weights checked end to end through a host-side Lanczos run,
 * where Gauss quadrature must reproduce the moments vᵀHʲv exactly for j < 2m.
 */
import { describe, expect, it } from 'vitest';
import { ritzWeights, spectralDensity, type SpectralDensity } from '../../src/probe/density';
import { tridiagonalEigen } from '../../src/probe/tridiagonal';
import { Rng } from '../../src/util/rng';
import { expectClose, relDiff } from '../support/compare';

function integral(d: SpectralDensity, from = -Infinity, to = Infinity): number {
  const dx = d.grid[1] - d.grid[0];
  let sum = 0;
  d.grid.forEach((x, i) => {
    if (x >= from && x <= to) sum += d.density[i] * dx;
  });
  return sum;
}

function localMaxima(d: SpectralDensity): number[] {
  const peaks: number[] = [];
  for (let i = 1; i < d.density.length - 1; i++) {
    if (d.density[i] > d.density[i - 1] && d.density[i] >= d.density[i + 1]) peaks.push(d.grid[i]);
  }
  return peaks;
}

/** Lanczos with full reorthogonalisation on diag(lambda), starting from unit v. */
function lanczos(lambda: Float64Array, v: Float64Array, m: number): { alpha: Float64Array; beta: Float64Array } {
  const n = lambda.length;
  const basis: Float64Array[] = [v];
  const alpha = new Float64Array(m);
  const beta = new Float64Array(m - 1);
  for (let j = 0; j < m; j++) {
    const q = basis[j];
    const w = q.map((qi, i) => lambda[i] * qi);
    alpha[j] = w.reduce((s, wi, i) => s + wi * q[i], 0);
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const c = w.reduce((s, wi, i) => s + wi * b[i], 0);
        for (let i = 0; i < n; i++) w[i] -= c * b[i];
      }
    }
    if (j === m - 1) break;
    beta[j] = Math.hypot(...w);
    basis.push(w.map((wi) => wi / beta[j]));
  }
  return { alpha, beta };
}

describe('ritzWeights', () => {
  it('squares the first row of the eigenvector matrix', () => {
    expect(Array.from(ritzWeights([0.6, -0.8, 0.8, 0.6], 2))).toEqual([0.36, 0.64].map((w) => expect.closeTo(w, 15)));
  });

  it('sums to 1 for an orthogonal eigenvector matrix', () => {
    const rng = new Rng(5);
    const m = 40;
    const { vectors } = tridiagonalEigen(
      Float64Array.from({ length: m }, () => rng.normal()),
      Float64Array.from({ length: m - 1 }, () => rng.normal()),
    );
    const w = ritzWeights(vectors, m);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 13);
  });

  it('rejects a matrix of the wrong size', () => {
    expect(() => ritzWeights(new Float64Array(6), 3)).toThrow(/expected an 3×3 matrix \(9 entries\), got 6/);
  });

  it('gives weights v_i² and Ritz values λ_i when Lanczos runs to completion', () => {
    const rng = new Rng(17);
    const n = 20;
    const lambda = Float64Array.from({ length: n }, (_, i) => -2 + 0.3 * i + 0.1 * rng.uniform());
    const v = Float64Array.from({ length: n }, () => rng.normal());
    const norm = Math.hypot(...v);
    v.forEach((vi, i) => (v[i] = vi / norm));
    const { alpha, beta } = lanczos(lambda, v, n);
    const { values, vectors } = tridiagonalEigen(alpha, beta);
    const order = Array.from(lambda.keys()).sort((a, b) => lambda[b] - lambda[a]);
    expectClose(values, order.map((i) => lambda[i]), { atol: 1e-12, rtol: 1e-12 }, 'Ritz values');
    expectClose(ritzWeights(vectors, n), order.map((i) => v[i] ** 2), { atol: 1e-12, rtol: 0 }, 'weights');
  });

  it('makes an m-point Gauss quadrature: Σ τ²θʲ = vᵀHʲv for j < 2m', () => {
    const rng = new Rng(23);
    const n = 200;
    const m = 6;
    const lambda = Float64Array.from({ length: n }, () => rng.uniform());
    const v = Float64Array.from({ length: n }, () => rng.sign() / Math.sqrt(n));
    const { alpha, beta } = lanczos(lambda, v, m);
    const { values, vectors } = tridiagonalEigen(alpha, beta);
    const w = ritzWeights(vectors, m);
    for (let j = 0; j < 2 * m; j++) {
      const exact = lambda.reduce((s, l, i) => s + v[i] * v[i] * l ** j, 0);
      const quad = values.reduce((s, t, k) => s + w[k] * t ** j, 0);
      expect(relDiff(quad, exact), `moment ${j}: ${quad} vs ${exact}`).toBeLessThan(1e-11);
    }
  });
});

describe('spectralDensity', () => {
  const known = { values: Float64Array.of(-1, 0.5, 3), weights: Float64Array.of(0.2, 0.3, 0.5) };

  it('integrates to 1 and puts each weight in a peak at its Ritz value', () => {
    const d = spectralDensity([known]);
    expect(d.grid.length).toBe(2048);
    expect(integral(d)).toBeCloseTo(1, 12);
    const dx = d.grid[1] - d.grid[0];
    const peaks = localMaxima(d);
    expect(peaks.length).toBe(3);
    peaks.forEach((p, k) => expect(Math.abs(p - known.values[k])).toBeLessThanOrEqual(dx / 2 + 1e-12));
    known.values.forEach((l, k) => {
      expect(integral(d, l - 8 * d.sigma, l + 8 * d.sigma)).toBeCloseTo(known.weights[k], 9);
    });
    expect(d.grid[0]).toBeLessThan(-1);
    expect(d.grid[d.grid.length - 1]).toBeGreaterThan(3);
  });

  it('uses the Ghorbani kernel width √1e-5·span/2 by default', () => {
    const d = spectralDensity([known]);
    expect(d.sigma).toBeCloseTo((Math.sqrt(1e-5) * 4) / 2, 15);
    // The peak height of an isolated Gaussian of mass w is w/(σ√2π).
    const top = Math.max(...d.density);
    expect(relDiff(top, 0.5 / (d.sigma * Math.sqrt(2 * Math.PI)))).toBeLessThan(0.02);
  });

  it('asks for more grid points, or a wider kernel, when sigma is below the grid spacing', () => {
    expect(() => spectralDensity([known], { gridPoints: 64 })).toThrow(/below the grid spacing .*use gridPoints ≥ \d+ or a larger sigma/);
    const d = spectralDensity([known], { gridPoints: 64, sigma: 0.08 });
    expect(d.grid[1] - d.grid[0]).toBeLessThanOrEqual(0.08);
    expect(integral(d, 2, 4)).toBeCloseTo(0.5, 6);
  });

  it('keeps at least 5σ of margin so edge peaks keep their mass', () => {
    const d = spectralDensity([known], { sigma: 0.2, padding: 0 });
    expect(d.grid[0]).toBeCloseTo(-1 - 1, 12);
    expect(d.grid[d.grid.length - 1]).toBeCloseTo(3 + 1, 12);
    expect(integral(d, 1.5, Infinity)).toBeCloseTo(0.5, 6);
  });

  it('averages runs with equal weight', () => {
    const runs = [
      { values: [1], weights: [1] },
      { values: [2, 5], weights: [0.5, 0.5] },
    ];
    const d = spectralDensity(runs, { sigma: 0.05 });
    // The outer peaks sit 5σ from the grid edges, so up to ~3e-7 of their mass is cut and renormalised.
    expect(integral(d, 0.5, 1.5)).toBeCloseTo(0.5, 6);
    expect(integral(d, 1.5, 2.5)).toBeCloseTo(0.25, 6);
    expect(integral(d, 4.5, 5.5)).toBeCloseTo(0.25, 6);
  });

  it('is invariant to rescaling the spectrum', () => {
    const base = spectralDensity([known]);
    const scale = 1e6;
    const scaled = spectralDensity([{ values: known.values.map((v) => v * scale), weights: known.weights }]);
    expectClose(scaled.grid, base.grid.map((x) => x * scale), { atol: 1e-9, rtol: 1e-12 }, 'grid');
    expectClose(scaled.density, base.density.map((y) => y / scale), { atol: 1e-300, rtol: 1e-9 }, 'density');
  });

  it('centres a grid on a single Ritz value', () => {
    const d = spectralDensity([{ values: [4], weights: [1] }], { gridPoints: 501 });
    expect(d.grid[250]).toBeCloseTo(4, 12);
    expect(localMaxima(d)).toEqual([d.grid[250]]);
    expect(integral(d)).toBeCloseTo(1, 12);
  });

  it('renormalises when the weights do not sum to 1', () => {
    const d = spectralDensity([{ values: [0, 1], weights: [0.1, 0.3] }], { sigma: 0.01 });
    expect(integral(d)).toBeCloseTo(1, 12);
    expect(integral(d, 0.5, 2)).toBeCloseTo(0.75, 9);
  });

  it('rejects bad runs and options with clear messages', () => {
    expect(() => spectralDensity([])).toThrow(/at least one SLQ run/);
    expect(() => spectralDensity([{ values: [1, 2], weights: [1] }])).toThrow(/run 0 has 2 values and 1 weights/);
    expect(() => spectralDensity([known, { values: [], weights: [] }])).toThrow(/run 1 has 0 values/);
    expect(() => spectralDensity([{ values: [1, NaN], weights: [0.5, 0.5] }])).toThrow(/run 0, entry 1/);
    expect(() => spectralDensity([{ values: [1, 2], weights: [1.5, -0.5] }])).toThrow(/weights finite and ≥ 0/);
    expect(() => spectralDensity([{ values: [1, 2], weights: [0, 0] }])).toThrow(/all weights are zero/);
    expect(() => spectralDensity([known], { gridPoints: 1 })).toThrow(/gridPoints must be an integer ≥ 2/);
    expect(() => spectralDensity([known], { padding: -0.1 })).toThrow(/padding must be/);
    expect(() => spectralDensity([known], { sigma: 1e-4 })).toThrow(/sigma 0.0001 is below the grid spacing/);
    expect(() => spectralDensity([known], { sigma: NaN })).toThrow(/sigma must be a finite number > 0/);
    expect(() => spectralDensity([known], { sigma: -1 })).toThrow(/sigma must be a finite number > 0/);
  });
});
