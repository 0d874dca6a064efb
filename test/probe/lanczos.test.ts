/**
 * Lanczos, its Ritz pairs and SLQ on the real adapter: against operators with a known spectrum,
 * against the float64 dense Hessian of a tiny MLP, and through identities that hold exactly in
 * exact arithmetic (an orthonormal basis with VᵀHV = T; Gauss quadrature reproducing the start
 * vector's moments vᵀHᵖv).
 */
import { describe, expect, it } from 'vitest';
import { lanczos, spectralDensityBlock } from '../../src/probe/lanczos';
import { lanczosEigen, spectralDensityGpu } from '../support/lanczos';
import { blockOf } from '../../src/probe/block-operator';
import { hessianOperator } from '../support/operator';
import { randomVector } from '../../src/probe/vector-ops';
import { refHessian, symmetricEigenvalues } from '../../src/autograd/reference';
import { LimitError } from '../../src/gpu/errors';
import { Rng } from '../../src/util/rng';
import { expectClose, relDiff } from '../support/compare';
import { useGpu } from '../support/gpu';
import { makeProblem } from '../support/nets';
import { freshSeed } from '../support/random';
import { alignment, hostResidual, knownSpectrum, spread } from './spectra';

const gpu = useGpu();
const seed = freshSeed();
/** Well-separated outliers above a bulk, and an isolated most-negative eigenvalue. */
const SPECTRUM = [10, 8, 6.5, 5, 4, ...spread(114, -1, 2), -2];
const NORM = 10;

/** x ← M·x for a dense row-major P×P matrix, in float64. */
function apply(m: ArrayLike<number>, x: Float64Array): Float64Array {
  const P = x.length;
  const y = new Float64Array(P);
  for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) y[i] += m[i * P + j] * x[j];
  return y;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, ai, i) => s + ai * b[i], 0);

/** vᵀHᵖv for p = 1..count with v = z/‖z‖. */
function moments(h: ArrayLike<number>, z: ArrayLike<number>, count: number): number[] {
  const norm = Math.sqrt(dot(z, z));
  const v = Float64Array.from(z, (x) => x / norm);
  const out: number[] = [];
  let hv: Float64Array = v;
  for (let p = 1; p <= count; p++) {
    hv = apply(h, hv);
    out.push(dot(v, hv));
  }
  return out;
}

describe(`Lanczos (seed ${seed})`, () => {
  it('builds an orthonormal basis with VᵀHV = T', async () => {
    const op = await knownSpectrum(gpu(), SPECTRUM, seed);
    const P = op.size;
    const m = 30;
    const run = await lanczos(op, { steps: m, seed: seed + 1 });
    expect(run).toMatchObject({ steps: m, invariant: false, hvps: m });
    const V = await run.basis.read();
    const rows = Array.from({ length: m }, (_, i) => Float64Array.from(V.subarray(i * P, (i + 1) * P)));
    const hv = rows.map((r) => apply(op.dense, r));
    const gram: number[] = [];
    const projected: number[] = [];
    const tri: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        gram.push(dot(rows[i], rows[j]) - (i === j ? 1 : 0));
        projected.push(dot(rows[i], hv[j]));
        tri.push(i === j ? run.alpha[i] : Math.abs(i - j) === 1 ? run.beta[Math.min(i, j)] : 0);
      }
    }
    expectClose(gram, new Array(m * m).fill(0), { atol: 1e-6, rtol: 0 }, 'VVᵀ − I');
    expectClose(projected, tri, { atol: 1e-6 * NORM, rtol: 0 }, 'VᵀHV vs T');
    run.basis.destroy();
    op.destroy();
  });

  it('top-k and smallest match the known spectrum to 1e-4, with Ritz vectors and residual bounds', async () => {
    const op = await knownSpectrum(gpu(), SPECTRUM, seed + 2);
    const r = await lanczosEigen(op, { k: 5, steps: 40, seed, vectors: true });
    expect(r.steps).toBe(40);
    expect(r.converged).toEqual([true, true, true, true, true]);
    expect(r.smallestConverged).toBe(true);
    expectClose(r.values, SPECTRUM.slice(0, 5), { atol: 0, rtol: 1e-4 }, 'top-5');
    expect(relDiff(r.smallest, -2)).toBeLessThan(1e-4);
    // Float32 products put a floor of ~1e-7·‖H‖ under how closely a Ritz value can be checked.
    r.values.forEach((v, j) => expect(Math.abs(v - SPECTRUM[j])).toBeLessThanOrEqual(r.residuals[j] + 1e-6 * NORM));
    expect(r.vectors).toHaveLength(5);
    for (const [j, y] of r.vectors!.entries()) {
      const host = await y.read();
      expect(Math.hypot(...host)).toBeCloseTo(1, 5);
      expect(alignment(op, host, j), `Ritz vector ${j}`).toBeGreaterThan(1 - 1e-5);
      expect(hostResidual(op, host).residual * Math.abs(r.values[j])).toBeLessThan(r.residuals[j] + 1e-5 * NORM);
      y.destroy();
    }
    op.destroy();
  });

  it('too few steps: Ritz residuals flag the values that have not converged', async () => {
    const op = await knownSpectrum(gpu(), SPECTRUM, seed + 3);
    const r = await lanczosEigen(op, { k: 5, steps: 6, seed });
    expect(r.steps).toBe(6);
    expect(r.converged.includes(false)).toBe(true);
    r.values.forEach((v, j) => {
      const nearest = Math.min(...SPECTRUM.map((l) => Math.abs(l - v)));
      expect(nearest, `θ${j} = ${v} lies within its residual ${r.residuals[j]}`).toBeLessThanOrEqual(r.residuals[j] + 1e-6 * NORM);
      expect(r.converged[j]).toBe(r.residuals[j] <= 1e-4 * Math.max(Math.abs(r.values[0]), Math.abs(r.smallest)));
    });
    op.destroy();
  });

  it('stops at an invariant subspace: 4 distinct eigenvalues give 4 steps and exact Ritz values', async () => {
    const distinct = [3, 1, -0.5, -2];
    const op = await knownSpectrum(gpu(), distinct.flatMap((l) => new Array(20).fill(l)), seed + 4);
    const r = await lanczosEigen(op, { k: 3, steps: 12, seed });
    expect(r.invariant).toBe(true);
    expect(r.steps).toBe(4);
    expectClose([...r.values, r.smallest], [3, 1, -0.5, -2], { atol: 1e-5, rtol: 1e-5 }, 'Ritz values');
    expect(Math.max(...r.residuals, r.smallestResidual)).toBeLessThan(1e-5);
    expect(r.converged).toEqual([true, true, true]);
    op.destroy();
  });

  it('refuses a basis larger than a storage binding, naming the largest step count that fits', async () => {
    const op = await knownSpectrum(gpu(), [1, 2], seed);
    const limit = Math.min(op.gpu.limits.maxStorageBufferBindingSize, op.gpu.limits.maxBufferSize);
    const size = Math.ceil(limit / 16) + 1;
    const huge = { ...op, size };
    await expect(lanczos(huge, { steps: 4 })).rejects.toThrow(LimitError);
    await expect(lanczos(huge, { steps: 4 })).rejects.toThrow(`use at most ${Math.floor(limit / (4 * size))} steps`);
    op.destroy();
  });

  it('tiny MLP: top-5 and smallest match the float64 dense Hessian to 1e-4', async () => {
    const g = gpu();
    for (const act of ['tanh', 'relu'] as const) {
      const { model, data, batch, ref, params } = await makeProblem(g, [6, 12, 8, 3], act, 30, seed + 5);
      const P = model.layout.size;
      const eig = symmetricEigenvalues(refHessian(params, batch, ref), P);
      const op = await hessianOperator(model, data);
      const r = await lanczosEigen(op, { k: 5, steps: 80, seed });
      const scale = Math.max(Math.abs(eig[0]), Math.abs(eig[P - 1]));
      expect(r.converged, act).toEqual([true, true, true, true, true]);
      expectClose(r.values, eig.slice(0, 5), { atol: 1e-6 * scale, rtol: 1e-4 }, `${act} top-5`);
      expect(Math.abs(r.smallest - eig[P - 1]), `${act} smallest ${r.smallest} vs ${eig[P - 1]}`)
        .toBeLessThanOrEqual(1e-4 * Math.abs(eig[P - 1]) + 1e-6 * scale);
      op.destroy();
      model.destroy();
      data.destroy();
    }
  });

  it('SLQ: each run reproduces its Rademacher vector\'s moments vᵀHᵖv; the density integrates to 1', async () => {
    const op = await knownSpectrum(gpu(), SPECTRUM, seed + 6);
    const runs = 2;
    const steps = 20;
    const r = await spectralDensityGpu(op, { runs, steps, seed, gridPoints: 4096 });
    expect(r.runs).toHaveLength(runs);
    expect(r.hvps).toBe(runs * steps);
    const rng = new Rng(seed);
    for (const [i, run] of r.runs.entries()) {
      const want = moments(op.dense, randomVector(rng, op.size, 'rademacher'), 4);
      const got = [1, 2, 3, 4].map((p) => run.values.reduce((s, t, k) => s + run.weights[k] * t ** p, 0));
      expect(run.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      got.forEach((m, p) => expect(Math.abs(m - want[p]), `run ${i}, moment ${p + 1}`).toBeLessThan(1e-5 * NORM ** (p + 1)));
    }
    const dx = r.grid[1] - r.grid[0];
    expect(r.density.reduce((a, b) => a + b, 0) * dx).toBeCloseTo(1, 6);
    expect(r.grid).toHaveLength(4096);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    op.destroy();
  });

  it('SLQ runs advanced together on a block operator equal the runs done one by one', async () => {
    const op = await knownSpectrum(gpu(), SPECTRUM, seed + 11);
    const block = blockOf(op, 4);
    const together = await spectralDensityBlock(block, { runs: 3, steps: 20, seed });
    const alone = await spectralDensityGpu(op, { runs: 3, steps: 20, seed });
    expect(together.runs).toHaveLength(3);
    expect(together.hvps).toBe(20 * 4);
    together.runs.forEach((run, r) => {
      expectClose(run.values, alone.runs[r].values, { atol: 1e-4 * NORM, rtol: 1e-4 }, `run ${r} Ritz values`);
      expectClose(run.weights, alone.runs[r].weights, { atol: 1e-4, rtol: 1e-3 }, `run ${r} weights`);
    });
    expectClose(together.density, alone.density, { atol: 1e-3 * Math.max(...alone.density), rtol: 1e-2 }, 'density');
    await expect(spectralDensityBlock(block, { runs: 5 })).rejects.toThrow(/5 runs exceed the block of 4/);
    block.destroy();
    op.destroy();
  });
});
