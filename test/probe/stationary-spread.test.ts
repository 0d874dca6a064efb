/**
 * The stationary-spread estimator (the code the study runs) on a noisy quadratic with known answer:
 * SGD on ½θᵀHθ with gradient noise ξ of covariance C = Q diag(c) Qᵀ, H = Q diag(λ) Qᵀ, run on the
 * GPU (the engine's matmul and SGD kernels). Along eigenvector q_i the iteration is the AR(1)
 * x' = (1 − ηλ_i)x − ηξ_i, whose stationary variance is exactly η·c_i / (λ_i·(2 − ηλ_i)).
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/gpu/tensor';
import { prepareMatmul } from '../../src/gpu/ops/matmul';
import { releaseDispatches } from '../../src/gpu/context';
import { Optimizer } from '../../src/optim/optimizer';
import { checkSpreadOptions, stationarySpread } from '../../src/probe/stationary-spread';
import { Rng } from '../../src/util/rng';
import { useGpu } from '../support/gpu';
import { freshSeed } from '../support/random';

const gpu = useGpu();
const seed = freshSeed();

/** A random P × P orthogonal matrix (rows orthonormal), by Gram–Schmidt in float64. */
function orthogonal(P: number, rng: Rng): Float64Array[] {
  const rows: Float64Array[] = [];
  while (rows.length < P) {
    const v = Float64Array.from({ length: P }, () => rng.normal());
    for (const q of rows) {
      const d = v.reduce((s, x, i) => s + x * q[i], 0);
      for (let i = 0; i < P; i++) v[i] -= d * q[i];
    }
    const n = Math.hypot(...v);
    rows.push(v.map((x) => x / n));
  }
  return rows;
}

describe(`stationary spread on a noisy quadratic (seed ${seed})`, () => {
  it('recovers η·c/(λ(2 − ηλ)) within its batch-means error, which is wider than the i.i.d. one for slow directions', async () => {
    const g = gpu();
    const rng = new Rng(seed);
    const lambda = [8, 0.5, 4, 1, 2, 0.7];
    const c = [1, 0.8, 0.3, 0.5, 2, 1.5];
    const P = lambda.length;
    const eta = 0.1;
    const burnIn = 300;
    const steps = 9000;
    const recordEvery = 3;
    const Q = orthogonal(P, rng);
    const H = new Float32Array(P * P);
    for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) H[a * P + b] = Q.reduce((s, q, i) => s + lambda[i] * q[a] * q[b], 0);
    const total = burnIn + steps;
    const noise = new Float32Array(total * P);
    for (let t = 0; t < total; t++) {
      const z = c.map((ci) => Math.sqrt(ci) * rng.normal());
      for (let a = 0; a < P; a++) noise[t * P + a] = Q.reduce((s, q, i) => s + z[i] * q[a], 0);
    }
    const params = Tensor.create(g, [P], { label: 'theta', fill: 0 });
    const grad = Tensor.create(g, [P], { label: 'grad', fill: 0 });
    const hess = Tensor.create(g, [P, P], { label: 'H', data: H });
    const xi = Tensor.create(g, [total * P], { label: 'noise', data: noise });
    const U = Tensor.create(g, [P, P], { label: 'U', data: Float32Array.from(Q.flatMap((q) => [...q])) });
    // grad = ξ_t + H·θ, then the engine's SGD step θ ← θ − η·grad.
    const hTheta = await prepareMatmul(g, { m: P, n: 1, k: P, a: { buffer: hess }, b: { buffer: params }, out: { buffer: grad }, epilogue: { kind: 'store', accumulate: true } });
    const sgd = await Optimizer.create(g, { kind: 'sgd', lr: eta }, params, grad);
    const result = await stationarySpread(g, {
      params, directions: U, m: P, burnIn, steps, recordEvery, batches: 20,
      step: (encoder, t) => {
        encoder.copyBufferToBuffer(xi.buffer, t * P * 4, grad.buffer, 0, P * 4);
        g.encode(encoder, [hTheta]);
        sgd.encodeStep(encoder);
      },
    });
    expect(result.records).toBe(steps / recordEvery);
    expect(result.stepsRun).toBe(total);
    const R = result.records;
    for (let i = 0; i < P; i++) {
      const exact = (eta * c[i]) / (lambda[i] * (2 - eta * lambda[i]));
      const d = result.directions[i];
      const z = (d.variance - exact) / d.stdError;
      // Fixed seed. Calibration measured on 400 host replications of the slowest direction's AR(1):
      // sd(z) = 1.15, mean z = −0.26 (the trend fit removes ~1 % of the variance), |z| > 4.5 in < 0.5 %.
      expect(Math.abs(z), `direction ${i} (λ ${lambda[i]}): σ² ${d.variance} vs exact ${exact} ± ${d.stdError}`).toBeLessThan(4.5);
      // The error bar is informative, not a blanket.
      expect(d.stdError / exact, `direction ${i}: relative error`).toBeLessThan(0.25);
      // The AR(1) correlation time of x is about (2 − ηλ)/(2ηλ)·2 steps; the estimate is within a factor 2 for the slow ones.
      if (eta * lambda[i] < 0.2) {
        const tau = (2 - eta * lambda[i]) / (eta * lambda[i]);
        expect(d.autocorrelationSteps / tau).toBeGreaterThan(0.4);
        expect(d.autocorrelationSteps / tau).toBeLessThan(2.5);
      }
      // The slowest direction (x² correlated over ~6.5 records): the i.i.d. formula σ²·√(2/R) would
      // claim an error about √6.5 ≈ 2.5 times too small; batch means does not.
      if (eta * lambda[i] <= 0.05) expect(d.stdError).toBeGreaterThan(1.5 * d.variance * Math.sqrt(2 / R));
    }
    releaseDispatches([hTheta]);
    sgd.destroy();
    for (const t of [params, grad, hess, xi, U]) t.destroy();
  });

  it('rejects a window too short for its batch means, naming the fix', () => {
    expect(() => checkSpreadOptions({ burnIn: 0, steps: 30, recordEvery: 2, batches: 10 })).toThrow(/15 records.*at least 20.*raise steps or lower recordEvery/);
    expect(() => checkSpreadOptions({ burnIn: -1, steps: 30, recordEvery: 2, batches: 5 })).toThrow(/burnIn must be a non-negative integer/);
  });
});
