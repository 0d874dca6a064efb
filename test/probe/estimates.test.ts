/**
 * The probe suite's estimators against the float64 dense Hessian of tiny relu, tanh and gelu nets:
 * λmin by the negative-end solver (value, explicit residual, converged flag), the deflated trace
 * (its exact part, its interval against the exact trace, probes used), and the multi-run density's
 * first moment against the trace. Coverage over many draws is test/host/coverage.test.ts's job; here
 * one seeded draw is checked against exact values with the interval's own width as the yardstick.
 */
import { describe, expect, it } from 'vitest';
import { lowestEigenpairs } from '../../src/probe/lowest';
import { deflatedTrace } from '../../src/probe/deflated-trace';
import { hessianOperator } from '../support/operator';
import { hessianBlockOperator } from '../../src/probe/block-operator';
import { blockEigen } from '../../src/probe/block-eigen';
import { spectralDensityBlock } from '../../src/probe/lanczos';
import { refHessian, symmetricEigenvalues } from '../../src/autograd/reference';
import { probeBounds } from '../../src/util/bootstrap';
import { useGpu } from '../support/gpu';
import { freshSeed } from '../support/random';
import { makeProblem } from '../support/nets';

const gpu = useGpu();
const seed = freshSeed();

describe(`estimators vs dense float64 Hessians (seed ${seed})`, () => {
  for (const act of ['relu', 'tanh', 'gelu'] as const) {
    it(`${act}: λmin by restarted Lanczos at the negative end, with an honest residual`, async () => {
      const g = gpu();
      const { model, data, batch, ref, params } = await makeProblem(g, [6, 12, 8, 3], act, 30, seed);
      const exact = symmetricEigenvalues(refHessian(params, batch, ref), model.layout.size);
      const lambdaMax = exact[0];
      const lambdaMin = exact[exact.length - 1];
      const op = await hessianOperator(model, data, { chunkSize: 11 });
      const r = await lowestEigenpairs(op, { want: 2, steps: 40, cycles: 4, tol: 1e-4, scale: lambdaMax, seed });
      const what = `θ ${r.values.join(', ')} vs λmin ${lambdaMin} (λmax ${lambdaMax}), residuals ${r.residuals.join(', ')}, ${r.cycles} cycles`;
      expect(r.converged[0], what).toBe(true);
      expect(Math.abs(r.values[0] - lambdaMin), what).toBeLessThanOrEqual(1e-3 * lambdaMax);
      // Ritz values are upper bounds (up to float32 rounding), and some eigenvalue lies within the residual.
      expect(r.values[0], what).toBeGreaterThanOrEqual(lambdaMin - 1e-5 * lambdaMax);
      r.values.forEach((theta, i) => {
        const nearest = Math.min(...Array.from(exact, (e) => Math.abs(e - theta)));
        expect(nearest, what).toBeLessThanOrEqual(r.residuals[i] + 1e-5 * lambdaMax);
      });
      expect(r.values[1]).toBeGreaterThanOrEqual(r.values[0]);
      expect(r.history).toHaveLength(r.cycles);
      op.destroy();
      model.destroy();
      data.destroy();
    });
  }

  it('λmin: too few steps are reported unconverged, still an upper bound', async () => {
    const g = gpu();
    const { model, data, batch, ref, params } = await makeProblem(g, [8, 16, 4], 'tanh', 40, seed + 1);
    const exact = symmetricEigenvalues(refHessian(params, batch, ref), model.layout.size);
    const op = await hessianOperator(model, data, { chunkSize: 16 });
    const short = await lowestEigenpairs(op, { want: 1, steps: 3, cycles: 1, tol: 1e-8, scale: exact[0], seed });
    expect(short.converged[0]).toBe(false);
    expect(short.residuals[0]).toBeGreaterThan(0);
    expect(short.values[0]).toBeGreaterThanOrEqual(exact[exact.length - 1] - 1e-5 * exact[0]);
    op.destroy();
    model.destroy();
    data.destroy();
  });

  for (const act of ['relu', 'gelu'] as const) {
    it(`${act}: the deflated trace — exact part, interval against the exact trace, density moment against it`, async () => {
      const g = gpu();
      const { model, data, batch, ref, params } = await makeProblem(g, [10, 12, 5], act, 50, seed + 2);
      const P = model.layout.size;
      const H = refHessian(params, batch, ref);
      const exact = symmetricEigenvalues(H, P);
      const trace = exact.reduce((a, b) => a + b, 0);
      const op = await hessianBlockOperator(model, data, 16, { chunkSize: 17 });
      const eig = await blockEigen(op, { want: 4, tol: 1e-5, maxIter: 300, seed, vectors: true });
      const v = await eig.vectors!.read(0, 4 * P);
      eig.vectors!.destroy();
      const Q = [0, 1, 2, 3].map((i) => v.subarray(i * P, (i + 1) * P));
      const r = await deflatedTrace(op, Q, { target: 0.02, minSamples: 16, maxSamples: 96, seed });
      const what = `trace ${r.trace} [${r.low}, ${r.high}] vs exact ${trace}; ${r.samples} probes (${r.stop}), exact part ${r.deflatedPart}`;
      // The exact part: Σ qᵢᵀHqᵢ, which for converged Ritz vectors is the sum of the top eigenvalues.
      expect(Math.abs(r.deflatedPart - (exact[0] + exact[1] + exact[2] + exact[3])), what).toBeLessThan(1e-3 * exact[0]);
      expect(r.rank).toBe(4);
      expect(r.low, what).toBeLessThanOrEqual(r.trace);
      expect(r.high, what).toBeGreaterThanOrEqual(r.trace);
      // One seeded draw: the exact trace within the interval widened ×2 (a 95 % interval misses 1 in 20 draws).
      const half = (r.high - r.low) / 2;
      expect(Math.abs(r.trace - trace), what).toBeLessThanOrEqual(2 * half);
      expect(r.samples).toBeGreaterThanOrEqual(16);
      expect(r.samples).toBeLessThanOrEqual(96);
      if (r.stop === 'target') expect(half / Math.abs(r.trace), what).toBeLessThanOrEqual(0.02);
      expect(r.hvps % 16).toBe(0);

      // Density: 8 SLQ runs in block passes. Gauss quadrature reproduces each run's first moment
      // exactly (Σ τ²θ = v̂ᵀHv̂), so P·mean is an 8-probe Hutchinson estimate of the trace: it must agree
      // with the deflated trace within the two estimates' intervals.
      const op8 = await hessianBlockOperator(model, data, 8, { chunkSize: 17 });
      const slq = await spectralDensityBlock(op8, { runs: 8, steps: 30, seed });
      const moments = slq.runs.map((run) => P * run.values.reduce((s, x, i) => s + x * run.weights[i], 0));
      const densityTrace = moments.reduce((a, b) => a + b, 0) / moments.length;
      const own = probeBounds(moments);
      const gap = `density mean × P ${densityTrace} [${own.low}, ${own.high}] vs trace ${r.trace} [${r.low}, ${r.high}] (exact ${trace})`;
      expect(slq.runs).toHaveLength(8);
      expect(Math.abs(densityTrace - r.trace), gap).toBeLessThanOrEqual(half + (own.high - own.low) / 2);
      // And the grid density's mean (Gaussian smoothing is symmetric) agrees with the runs' moments.
      const dx = slq.grid[1] - slq.grid[0];
      const gridMean = slq.density.reduce((s, d, i) => s + d * slq.grid[i] * dx, 0);
      expect(Math.abs(P * gridMean - densityTrace), gap).toBeLessThan(1e-3 * Math.abs(exact[0]) * P);
      op8.destroy();
      op.destroy();
      model.destroy();
      data.destroy();
    });
  }
});
