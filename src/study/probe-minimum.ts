/**
 * Every sharpness measure of a trained minimum, in one place for the Node study, the CLI's probe
 * command and the browser demo (browser-safe: no Node imports): λmax and its eigenvector, top-k
 * and λmin, Hutchinson trace, SLQ density, per-layer λmax, perturbation sharpness, and optionally
 * a 1D slice along the unit top eigenvector. `stage` is awaited between measures (progress lines,
 * and a chance for a page to paint).
 */
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import { hessianOperator } from '../probe/operator';
import { topEigenvalue } from '../probe/power';
import { lanczosEigen, spectralDensityGpu } from '../probe/lanczos';
import { hutchinsonTrace } from '../probe/hutchinson';
import { perLayerSharpness } from '../probe/layer';
import { perturbationSharpness } from '../probe/perturbation';
import { slice1d } from '../probe/slices';
import type { StudyConfig } from './config';
import type { RunResult, Sharpness } from './results';

export type ProbeSettings = Pick<StudyConfig['probe'],
  'chunkSize' | 'tol' | 'maxIter' | 'topK' | 'lanczosSteps' | 'traceSamples' | 'densitySteps' | 'perturbation'> & {
  slice?: StudyConfig['probe']['slice'];
};

export interface MinimumProbe {
  sharpness: Sharpness;
  density: NonNullable<RunResult['density']>;
  /** Loss along θ + α·v₁ (‖v₁‖ = 1), when settings.slice was given. */
  slice: RunResult['slice'];
  /** The top eigenvector, copied to the host (unit norm). */
  topVector: Float32Array;
  hvps: number;
}

export async function probeMinimum(
  model: Mlp, data: GpuDataset, p: ProbeSettings, run: { seed: number; twoOverEta: number | null },
  stage: (text: string) => void | Promise<void> = () => {},
): Promise<MinimumProbe> {
  const { seed } = run;
  const chunkSize = p.chunkSize;
  const op = await hessianOperator(model, data, { chunkSize });
  let hvps = 0;
  let sharpness: Omit<Sharpness, 'perLayer' | 'perturbationMean' | 'perturbationMax'>;
  let density: MinimumProbe['density'];
  let slice: MinimumProbe['slice'] = null;
  let topVector: Float32Array;
  try {
    await stage('λmax (power iteration)');
    const power = await topEigenvalue(op, { tol: p.tol, maxIter: p.maxIter, seed });
    try {
      topVector = (await power.vector.read()) as Float32Array;
      if (p.slice) {
        await stage('1D slice along the top eigenvector');
        const s = await slice1d(model, data, power.vector, { alphas: p.slice, chunkSize });
        slice = { alphas: s.alphas, loss: s.loss };
      }
    } finally {
      power.vector.destroy();
    }
    await stage(`top-${p.topK} eigenvalues (Lanczos)`);
    const eig = await lanczosEigen(op, { k: p.topK, steps: p.lanczosSteps, seed });
    await stage('trace (Hutchinson)');
    const trace = await hutchinsonTrace(op, { samples: p.traceSamples, seed });
    await stage('spectral density (stochastic Lanczos quadrature)');
    const slq = await spectralDensityGpu(op, { runs: 1, steps: p.densitySteps, seed });
    hvps += power.hvps + eig.hvps + trace.hvps + slq.hvps;
    density = { grid: slq.grid, density: slq.density };
    sharpness = {
      lambdaMax: power.eigenvalue, lambdaConverged: power.converged, lambdaResidual: power.residual,
      lambdaIterations: power.iterations, lambdaHvps: power.hvps,
      topK: eig.values, lambdaMin: eig.smallest, trace: trace.trace, traceStdError: trace.standardError,
      twoOverEta: run.twoOverEta,
    };
  } finally {
    op.destroy();
  }
  await stage("per-layer λmax (power iteration on each layer's Hessian block)");
  const layers = await perLayerSharpness(model, data, { tol: p.tol, maxIter: p.maxIter, seed, chunkSize });
  await stage('perturbation sharpness');
  const perturbation = await perturbationSharpness(model, data, { ...p.perturbation, seed, chunkSize });
  return {
    sharpness: {
      ...sharpness,
      perLayer: layers.map((l) => ({ layer: l.layer, params: l.params, lambdaMax: l.lambdaMax, converged: l.converged })),
      perturbationMean: perturbation.meanIncrease,
      perturbationMax: perturbation.maxIncrease,
    },
    density, slice, topVector, hvps: hvps + layers.reduce((sum, l) => sum + l.hvps, 0),
  };
}
