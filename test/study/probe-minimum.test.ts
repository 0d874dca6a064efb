/** The probe suite's block path (default) against its single-vector path and the float64 Hessian of a tiny net. */
import { describe, expect, it } from 'vitest';
import { probeMinimum, type ProbeSettings } from '../../src/study/probe-minimum';
import { refHessian, symmetricEigenvalues } from '../../src/autograd/reference';
import { relDiff } from '../support/compare';
import { useGpu } from '../support/gpu';
import { freshSeed } from '../support/random';
import { makeProblem } from '../support/nets';

const gpu = useGpu();
const seed = freshSeed();

describe(`probeMinimum: block path vs single path (seed ${seed})`, () => {
  it('gives the same λmax, top-k, trace and per-layer λmax as the single-vector solvers', async () => {
    const g = gpu();
    const { model, data, batch, ref, params } = await makeProblem(g, [8, 10, 6, 4], 'tanh', 40, seed);
    const exact = symmetricEigenvalues(refHessian(params, batch, ref), model.layout.size);
    const settings: ProbeSettings = {
      chunkSize: 16, tol: 1e-5, maxIter: 400, topK: 3, lanczosSteps: 40, traceSamples: 20, densitySteps: 40,
      perturbation: { rho: 0.05, samples: 3 }, slice: { from: -0.5, to: 0.5, steps: 3 },
    };
    const run = { seed, twoOverEta: null };
    const block = await probeMinimum(model, data, settings, run);
    const single = await probeMinimum(model, data, { ...settings, blockSize: 1 }, run);
    const b = block.sharpness;
    const s = single.sharpness;
    const what = `block λ ${b.lambdaMax} (${b.lambdaIterations} passes), single ${s.lambdaMax}, exact ${exact[0]}`;
    expect(b.lambdaConverged, what).toBe(true);
    expect(relDiff(b.lambdaMax, exact[0]), what).toBeLessThan(1e-4);
    for (let i = 0; i < 3; i++) expect(Math.abs(b.topK[i] - exact[i]), `θ${i} ${b.topK[i]} vs ${exact[i]}`).toBeLessThan(1e-3 * exact[0]);
    // The same Rademacher probes on both paths: the estimates agree to float32 rounding.
    expect(relDiff(b.trace, s.trace)).toBeLessThan(1e-4);
    expect(b.lambdaMin).toBeGreaterThanOrEqual(exact[exact.length - 1] - 1e-4 * exact[0]);
    b.perLayer.forEach((l, i) => {
      expect(l.params).toBe(s.perLayer[i].params);
      if (l.converged && s.perLayer[i].converged) expect(relDiff(l.lambdaMax, s.perLayer[i].lambdaMax), `layer ${i}`).toBeLessThan(1e-3);
    });
    expect(block.topVector).toHaveLength(model.layout.size);
    expect(Math.hypot(...block.topVector)).toBeCloseTo(1, 4);
    expect(b.perturbationMean).toBe(s.perturbationMean);
    expect(block.slice!.loss[1]).toBe(single.slice!.loss[1]);
    model.destroy();
    data.destroy();
  });
});
