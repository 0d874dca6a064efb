/** The registry's measures (measureMinimum): the default block size against the block solvers on one direction (blockSize 1, topK 1) and the float64 Hessian of a tiny net. */
import { describe, expect, it } from 'vitest';
import { measureMinimum } from '../../src/measures/probe-run';
import type { ProbeSettings } from '../../src/measures/measure';
import { refGgn, refHessian, symmetricEigenvalues } from '../../src/autograd/reference';
import { relDiff } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed } from '../support/random';
import { makeProblem } from '../support/nets';

const gpu = useGpu();
const seed = freshSeed();

describe(`measureMinimum: blockSize 16 vs blockSize 1 (seed ${seed})`, () => {
  it('gives the same λmax, trace and per-layer λmax with one direction per pass as with sixteen', async () => {
    const g = gpu();
    const { model, data, batch, ref, params } = await makeProblem(g, [8, 10, 6, 4], 'tanh', 40, seed);
    const exact = symmetricEigenvalues(refHessian(params, batch, ref), model.layout.size);
    const settings: ProbeSettings = {
      chunkSize: 16, tol: 1e-5, maxIter: 400, topK: 3, traceSamples: 20, traceTarget: 0.02, traceMaxSamples: 64,
      densitySteps: 40, densityRuns: 8, lambdaMin: { pairs: 2, steps: 40, cycles: 4 },
      perturbation: { rho: 0.05, samples: 3 }, slice: { from: -0.5, to: 0.5, steps: 3 },
    };
    const run = { seed, training: { batchSize: 0, twoOverEta: null } };
    const block = await measureMinimum(model, data, settings, run);
    const single = await measureMinimum(model, data, { ...settings, blockSize: 1, topK: 1 }, run);
    const b = block.sharpness!;
    const s = single.sharpness!;
    const topVector = block.eigenpairs!.vectors.slice(0, model.layout.size);
    const what = `block λ ${b.lambdaMax} (${b.lambdaIterations} passes), single ${s.lambdaMax}, exact ${exact[0]}`;
    expect(b.lambdaConverged, what).toBe(true);
    expect(relDiff(b.lambdaMax, exact[0]), what).toBeLessThan(1e-4);
    for (let i = 0; i < 3; i++) expect(Math.abs(b.topK[i] - exact[i]), `θ${i} ${b.topK[i]} vs ${exact[i]}`).toBeLessThan(1e-3 * exact[0]);
    // Both traces' intervals (top-3 deflated at k = 16, top-1 at k = 1) hold the exact trace
    // (widened ×2: one seeded draw of a 95 % interval).
    const trace = exact.reduce((x, y) => x + y, 0);
    for (const t of [b, s]) expect(Math.abs(t.trace - trace), `${t.trace} [${t.traceInterval.low}, ${t.traceInterval.high}] vs ${trace}`).toBeLessThanOrEqual(t.traceInterval.high - t.traceInterval.low);
    expect(b.traceDeflated).toBe(3);
    expect(s.traceDeflated).toBe(1);
    expect(b.traceProbes).toBeGreaterThanOrEqual(20);
    // λmin from its own solver on both paths, converged, with the exact value within reach of its residual.
    const lambdaMin = exact[exact.length - 1];
    for (const t of [b, s]) {
      expect(t.lambdaMinConverged, `λmin ${t.lambdaMin} ± ${t.lambdaMinResidual} vs ${lambdaMin}`).toBe(true);
      expect(Math.abs(t.lambdaMin - lambdaMin)).toBeLessThanOrEqual(1e-3 * exact[0]);
    }
    expect(b.densityRuns).toBe(8);
    expect(b.solvers.topK).toMatch(/block subspace iteration/);
    expect(s.solvers.lambdaMax).toMatch(/block subspace iteration \(1 directions per pass/);
    expect(s.topK).toEqual([s.lambdaMax]);
    expect(b.topKConverged).toEqual([true, true, true]);
    b.perLayer.forEach((l, i) => {
      expect(l.params).toBe(s.perLayer[i].params);
      if (l.converged && s.perLayer[i].converged) expect(relDiff(l.lambdaMax, s.perLayer[i].lambdaMax), `layer ${i}`).toBeLessThan(1e-3);
    });
    // The Gauss–Newton λmax and trace on both paths, against the float64 dense Jᵀ·H_out·J.
    const gn = symmetricEigenvalues(refGgn(params, batch, ref), model.layout.size);
    const gnTrace = gn.reduce((x, y) => x + y, 0);
    for (const t of [b.ggn!, s.ggn!]) {
      expect(t.lambdaConverged, `Gauss–Newton λmax ${t.lambdaMax} vs ${gn[0]}`).toBe(true);
      expect(relDiff(t.lambdaMax, gn[0]), `Gauss–Newton λmax ${t.lambdaMax} vs ${gn[0]}`).toBeLessThan(1e-4);
      expect(Math.abs(t.trace - gnTrace), `${t.trace} [${t.traceInterval.low}, ${t.traceInterval.high}] vs ${gnTrace}`).toBeLessThanOrEqual(t.traceInterval.high - t.traceInterval.low);
      expect(t.traceDeflated).toBe(t === b.ggn ? 3 : 1);
    }
    expect(b.ggn!.solvers.lambdaMax).toMatch(/16 directions per pass/);
    expect(s.ggn!.solvers.lambdaMax).toMatch(/1 directions per pass/);
    expect(topVector).toHaveLength(model.layout.size);
    expect(Math.hypot(...topVector)).toBeCloseTo(1, 4);
    expect(b.perturbationMean).toBe(s.perturbationMean);
    expect(block.slice!.loss[1]).toBe(single.slice!.loss[1]);
    model.destroy();
    data.destroy();
  });
});
