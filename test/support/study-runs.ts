/** Constructed study runs (no GPU) for the tests of the statistics and the report's verdicts. */
import type { RunResult, Sharpness } from '../../src/study/results';

/** One run of `configuration` with the given λmax and test accuracy; every other measure follows λmax. */
export function studyRun(configuration: string, seed: number, lambdaMax: number, testAccuracy: number, converged = true): RunResult {
  const sharpness: Sharpness = {
    lambdaMax, lambdaConverged: true, lambdaResidual: 1e-4, lambdaIterations: 10, lambdaHvps: 100, topK: [lambdaMax, lambdaMax / 2],
    topKResiduals: [1e-4, 1e-4], topKConverged: [true, true], topKResolved: [true, true],
    perLayer: [], lambdaMin: -0.1, lambdaMinResidual: 1e-4, lambdaMinConverged: true, lambdaMinResolved: true,
    trace: 10 * lambdaMax, traceInterval: { low: 9 * lambdaMax, high: 11 * lambdaMax }, traceProbes: 16, traceDeflated: 2, traceStop: 'target', densityRuns: 8,
    perturbationMean: lambdaMax / 100, perturbationInterval: { low: lambdaMax / 120, high: lambdaMax / 80 }, perturbationMax: lambdaMax / 50,
    solvers: { lambdaMax: 'block subspace iteration', topK: 'block subspace iteration', lambdaMin: 'restarted Lanczos', trace: 'deflated Hutchinson', density: 'SLQ' },
    twoOverEta: null,
  };
  return {
    configuration, optimizer: `opt ${configuration}`, seed, steps: converged ? 500 : 1240, converged, trainSeconds: 1, seconds: 2, diverged: null,
    train: { loss: converged ? 0.04 : 0.9, accuracy: 1 }, test: { loss: 0.3, accuracy: testAccuracy }, genGap: 1 - testAccuracy,
    sharpness, duringTraining: [], history: [], slice: null, density: null, failure: null,
  };
}
