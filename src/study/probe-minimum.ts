/**
 * Every sharpness measure of a trained minimum, in one place for the Node study, the CLI's probe
 * command and the browser demo (browser-safe: no Node imports): λmax and its eigenvector, top-k
 * and λmin, Hutchinson trace, SLQ density, per-layer λmax, perturbation sharpness, the invariant
 * measures (invariant.ts: adaptive sharpness, relative flatness) when settings.invariant is given,
 * and optionally a 1D slice along the unit top eigenvector. `stage` is awaited between measures
 * (progress lines, and a chance for a page to paint).
 *
 * By default the curvature probes run on the block pass (k directions per pass over the data):
 * λmax and the top-k by block subspace iteration, the trace with k probes per pass, and every
 * layer's λmax in one block whose rows are restricted to their layers. λmin is then the smallest
 * Ritz value of the density's Lanczos run (densitySteps steps, a Krylov space at least as large as
 * the single path's lanczosSteps in the default config). `blockSize: 1` selects the single-vector
 * path (power iteration, Lanczos, one probe per pass), which the tests use as the reference.
 */
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import { hessianOperator } from '../probe/operator';
import { topEigenvalue } from '../probe/power';
import { lanczosEigen, spectralDensityGpu } from '../probe/lanczos';
import { hutchinsonTrace } from '../probe/hutchinson';
import { perLayerSharpness, perLayerSharpnessBlock, type LayerSharpness } from '../probe/layer';
import { hessianBlockOperator } from '../probe/block-operator';
import { blockEigen } from '../probe/block-eigen';
import { blockHutchinsonTrace } from '../probe/hutchinson';
import { perturbationSharpness } from '../probe/perturbation';
import { slice1d } from '../probe/slices';
import { invariantSharpness } from './invariant';
import type { StudyConfig } from './config';
import type { RunResult, Sharpness } from './results';

export type ProbeSettings = Pick<StudyConfig['probe'],
  'chunkSize' | 'tol' | 'maxIter' | 'topK' | 'lanczosSteps' | 'traceSamples' | 'densitySteps' | 'perturbation'> & {
  slice?: StudyConfig['probe']['slice'];
  /** The invariant measures (adaptive sharpness, relative flatness); skipped when absent. */
  invariant?: StudyConfig['probe']['invariant'];
  /** Directions per block pass (default BLOCK_SIZE); 1 runs the single-vector solvers. */
  blockSize?: number;
};

/**
 * Directions per block pass: above the ~10 outlier eigenvalues of a 10-class problem's Hessian, so
 * subspace iteration's rate (λ_{k+1}/λ₁)² is small, and 2k within the Gram product's 64 rows.
 */
export const BLOCK_SIZE = 16;

export interface MinimumProbe {
  sharpness: Sharpness;
  density: NonNullable<RunResult['density']>;
  /** Loss along θ + α·v₁ (‖v₁‖ = 1), when settings.slice was given. */
  slice: RunResult['slice'];
  /** The top eigenvector, copied to the host (unit norm). */
  topVector: Float32Array;
  /** The top-k eigenpairs the solver returned vectors for (topK rows on the block path, λmax's alone on the single path). */
  eigenpairs: { values: number[]; vectors: Float32Array };
  hvps: number;
}

export async function probeMinimum(
  model: Mlp, data: GpuDataset, p: ProbeSettings, run: { seed: number; twoOverEta: number | null },
  stage: (text: string) => void | Promise<void> = () => {},
): Promise<MinimumProbe> {
  const blockSize = p.blockSize ?? BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`probe blockSize must be a positive integer, got ${blockSize}`);
  if (blockSize > 1 && p.topK > blockSize) throw new Error(`probe topK (${p.topK}) must be at most the block size (${blockSize})`);
  const curvature = blockSize > 1 ? await blockCurvature(model, data, p, run.seed, blockSize, stage) : await singleCurvature(model, data, p, run.seed, stage);
  const { seed } = run;
  const chunkSize = p.chunkSize;
  let slice: MinimumProbe['slice'] = null;
  if (p.slice) {
    await stage('1D slice along the top eigenvector');
    const s = await slice1d(model, data, curvature.topVector, { alphas: p.slice, chunkSize });
    slice = { alphas: s.alphas, loss: s.loss };
  }
  await stage('perturbation sharpness');
  const perturbation = await perturbationSharpness(model, data, { ...p.perturbation, seed, chunkSize });
  const invariant = p.invariant ? await invariantSharpness(model, data, p.invariant, seed, chunkSize, stage) : {};
  const { lambda, layers, topK, lambdaMin, trace, density, topVector } = curvature;
  return {
    sharpness: {
      lambdaMax: lambda.value, lambdaConverged: lambda.converged, lambdaResidual: lambda.residual,
      lambdaIterations: lambda.iterations, lambdaHvps: lambda.hvps,
      topK, lambdaMin, trace: trace.trace, traceStdError: trace.standardError, twoOverEta: run.twoOverEta,
      perLayer: layers.map((l) => ({ layer: l.layer, params: l.params, lambdaMax: l.lambdaMax, converged: l.converged })),
      perturbationMean: perturbation.meanIncrease,
      perturbationMax: perturbation.maxIncrease,
      ...invariant,
    },
    density: { grid: density.grid, density: density.density }, slice, topVector, eigenpairs: curvature.eigenpairs, hvps: curvature.hvps,
  };
}

/** The curvature measures, from either path. */
interface Curvature {
  lambda: { value: number; converged: boolean; residual: number; iterations: number; hvps: number };
  topK: number[];
  lambdaMin: number;
  trace: { trace: number; standardError: number };
  density: { grid: number[]; density: number[] };
  layers: Omit<LayerSharpness, 'residual'>[];
  topVector: Float32Array;
  eigenpairs: MinimumProbe['eigenpairs'];
  hvps: number;
}

async function blockCurvature(
  model: Mlp, data: GpuDataset, p: ProbeSettings, seed: number, k: number, stage: (text: string) => void | Promise<void>,
): Promise<Curvature> {
  const chunkSize = p.chunkSize;
  const P = model.layout.size;
  const op = await hessianBlockOperator(model, data, k, { chunkSize });
  let hvps = 0;
  let partial: Omit<Curvature, 'layers' | 'hvps'>;
  try {
    await stage(`λmax and top-${p.topK} (block subspace iteration, ${k} directions per pass)`);
    const eig = await blockEigen(op, { want: p.topK, tol: p.tol, maxIter: p.maxIter, seed, vectors: true });
    const [top] = eig.groups;
    const vectors = (await eig.vectors!.read(0, p.topK * P)) as Float32Array;
    const topVector = vectors.slice(0, P);
    eig.vectors!.destroy();
    await stage(`trace (Hutchinson, ${k} probes per pass)`);
    const trace = await blockHutchinsonTrace(op, { samples: p.traceSamples, seed });
    await stage('spectral density (stochastic Lanczos quadrature)');
    const slq = await singleDensity(model, data, p, seed);
    hvps += eig.hvps + trace.hvps + slq.hvps;
    partial = {
      lambda: { value: top.values[0], converged: top.converged[0], residual: top.residuals[0] / Math.abs(top.values[0]), iterations: eig.iterations, hvps: eig.hvps },
      topK: top.values, lambdaMin: Math.min(...slq.runs[0].values), trace, density: slq, topVector,
      eigenpairs: { values: top.values, vectors },
    };
  } finally {
    op.destroy();
  }
  await stage("per-layer λmax (every layer's Hessian block in one block subspace iteration)");
  const layers = await perLayerSharpnessBlock(model, data, k, { tol: p.tol, maxIter: p.maxIter, seed, chunkSize });
  // The layers share one block iteration: its passes count once.
  return { ...partial, layers, hvps: hvps + layers[0].hvps };
}

async function singleCurvature(
  model: Mlp, data: GpuDataset, p: ProbeSettings, seed: number, stage: (text: string) => void | Promise<void>,
): Promise<Curvature> {
  const chunkSize = p.chunkSize;
  const op = await hessianOperator(model, data, { chunkSize });
  let partial: Omit<Curvature, 'layers' | 'hvps'>;
  let hvps = 0;
  try {
    await stage('λmax (power iteration)');
    const power = await topEigenvalue(op, { tol: p.tol, maxIter: p.maxIter, seed, vector: true });
    const topVector = (await power.vector.read()) as Float32Array;
    power.vector.destroy();
    await stage(`top-${p.topK} eigenvalues (Lanczos)`);
    const eig = await lanczosEigen(op, { k: p.topK, steps: p.lanczosSteps, seed });
    await stage('trace (Hutchinson)');
    const trace = await hutchinsonTrace(op, { samples: p.traceSamples, seed });
    await stage('spectral density (stochastic Lanczos quadrature)');
    const slq = await spectralDensityGpu(op, { runs: 1, steps: p.densitySteps, seed });
    hvps += power.hvps + eig.hvps + trace.hvps + slq.hvps;
    partial = {
      lambda: { value: power.eigenvalue, converged: power.converged, residual: power.residual, iterations: power.iterations, hvps: power.hvps },
      topK: eig.values, lambdaMin: eig.smallest, trace, density: slq, topVector,
      eigenpairs: { values: [power.eigenvalue], vectors: topVector },
    };
  } finally {
    op.destroy();
  }
  await stage("per-layer λmax (power iteration on each layer's Hessian block)");
  const layers = await perLayerSharpness(model, data, { tol: p.tol, maxIter: p.maxIter, seed, chunkSize });
  return { ...partial, layers, hvps: hvps + layers.reduce((sum, l) => sum + l.hvps, 0) };
}

/** SLQ density on a single-vector operator of its own (one run, densitySteps Lanczos steps). */
async function singleDensity(model: Mlp, data: GpuDataset, p: ProbeSettings, seed: number) {
  const op = await hessianOperator(model, data, { chunkSize: p.chunkSize });
  try {
    return await spectralDensityGpu(op, { runs: 1, steps: p.densitySteps, seed });
  } finally {
    op.destroy();
  }
}
