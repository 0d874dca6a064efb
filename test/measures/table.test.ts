/**
 * The rows both `probe` commands print and the imported report tabulates: every number names its
 * solver and convergence, stochastic estimates carry their interval, |λmin|/λmax is given, and
 * near-degenerate pairs (gap below residual) are flagged.
 */
import { describe, expect, it } from 'vitest';
import { sharpnessLines } from '../../src/measures/registry';
import { resolvedPairs } from '../../src/measures/lambda-max';
import type { Sharpness } from '../../src/study/results';

const sharpness: Sharpness = {
  lambdaMax: 4, lambdaConverged: true, lambdaResidual: 1e-4, lambdaIterations: 4, lambdaHvps: 64,
  topK: [4, 3.3, 3.2999], topKResiduals: [1e-3, 1e-3, 1e-3], topKConverged: [true, true, false], topKResolved: resolvedPairs([4, 3.3, 3.2999], [1e-3, 1e-3, 1e-3]),
  perLayer: [{ layer: 0, params: 50240, lambdaMax: 3.9, converged: true }],
  lambdaMin: -0.02, lambdaMinResidual: 1.4e-3, lambdaMinConverged: false, lambdaMinResolved: true,
  trace: 28.4, traceInterval: { low: 27.8, high: 29.3 }, traceProbes: 64, traceDeflated: 3, traceStop: 'budget', densityRuns: 8,
  perturbationMean: 0.01, perturbationInterval: { low: NaN, high: NaN }, perturbationMax: 0.02,
  adaptiveAverage: 1e-3, adaptiveAverageInterval: { low: 8e-4, high: 1.3e-3 }, adaptiveWorst: 5e-3, relativeFlatness: 30, relativeFlatnessInterval: { low: 20, high: 45 },
  relativeFlatnessNormalized: 2.5, relativeFlatnessNormalizedInterval: { low: 2.1, high: 3.2 }, relativeFlatnessDecay: 0.01,
  ggn: {
    lambdaMax: 3.5, lambdaConverged: true, lambdaResidual: 2e-4, lambdaIterations: 5, trace: 25.1, traceInterval: { low: 24.6, high: 25.7 },
    traceProbes: 48, traceDeflated: 3, traceStop: 'target', products: 128,
    solvers: { lambdaMax: 'block subspace iteration (16 directions per pass, 5 passes)', trace: 'deflated Hutchinson (GN)' },
  },
  solvers: { lambdaMax: 'block subspace iteration (16 directions per pass, 4 passes)', topK: 'block subspace iteration (Ritz vectors)', lambdaMin: 'restarted Lanczos at the negative end', trace: 'deflated Hutchinson', density: 'stochastic Lanczos quadrature (8 runs)' },
  twoOverEta: null,
};

describe('sharpness rows', () => {
  it('name the solver and convergence of each number and the interval of each estimate', () => {
    const text = sharpnessLines(sharpness).join('\n');
    expect(text).toMatch(/^λmax: 4\.00000 \(converged.*block subspace iteration/m);
    expect(text).toMatch(/^top-3: .*2 of 3 converged.*pairs 2, 3 not resolved/m);
    expect(text).toMatch(/^λmin: -0\.02000 ± 1\.40e-3 \(NOT converged; \|λmin\|\/λmax 0\.00500; restarted Lanczos/m);
    expect(text).toMatch(/^trace \(95 % interval\): 28\.40 \[27\.80, 29\.30\] \(deflated Hutchinson\)/m);
    expect(text).toMatch(/^Gauss–Newton λmax: 3\.50000 \(converged, relative residual 2\.00e-4; block subspace iteration \(16 directions per pass, 5 passes\)\)$/m);
    expect(text).toMatch(/^λmax − Gauss–Newton λmax: 0\.5000 \(12\.5 % of λmax\)$/m);
    expect(text).toMatch(/^Gauss–Newton trace \(95 % interval\): 25\.10 \[24\.60, 25\.70\] \(deflated Hutchinson \(GN\)\)$/m);
    expect(sharpnessLines({ ...sharpness, ggn: undefined }).join('\n')).not.toMatch(/Gauss–Newton/);
    expect(text).toMatch(/^spectral density: stochastic Lanczos quadrature \(8 runs\)/m);
    expect(text).toMatch(/^perturbation sharpness.*0\.01000 \[interval undefined\]/m);
    expect(text).toMatch(/^adaptive sharpness, average \(95 % interval\): 0\.001000 \[0\.0008000, 0\.001300\]/m);
    expect(text).toMatch(/^relative flatness κ, last layer.*30\.00 \[20\.00, 45\.00\]/m);
    expect(text).toMatch(/^relative flatness κ, authors' protocol: features at unit std, \+ 2α‖w̃_s‖² with α = 0\.01 \(95 % interval\): 2\.500 \[2\.100, 3\.200\]$/m);
    const noDecay = sharpnessLines({ ...sharpness, relativeFlatnessDecay: 0 }).join('\n');
    expect(noDecay).toMatch(/^relative flatness κ, authors' protocol: features at unit std \(95 % interval\): 2\.500/m);
    expect(sharpnessLines({ ...sharpness, relativeFlatnessNormalized: undefined }).join('\n')).not.toMatch(/authors' protocol/);
    expect(text).toMatch(/^λmax of layer 1's block \(50240 parameters\): 3\.900 \(converged\)/m);
  });

  it('flag a pair as unresolved exactly when its gap to a neighbour is below its residual', () => {
    expect(resolvedPairs([5, 4, 3], [0.1, 0.1, 0.1])).toEqual([true, true, true]);
    expect(resolvedPairs([5, 4.05, 4], [0.01, 0.1, 0.01])).toEqual([true, false, true]);
    expect(resolvedPairs([2], [1])).toEqual([true]);
  });
});
