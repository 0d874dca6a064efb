/**
 * Every sharpness measure of a trained minimum, in one place for the Node study, the CLI's probe
 * command and the browser demo (browser-safe: no Node imports): λmax and its eigenvector, top-k
 * and λmin, Hutchinson trace, SLQ density, per-layer λmax, perturbation sharpness, the invariant
 * measures (invariant.ts: adaptive sharpness, relative flatness) when settings.invariant is given,
 * and optionally a 1D slice along the unit top eigenvector. `stage` is awaited between measures
 * (progress lines, and a chance for a page to paint).
 *
 * By default the curvature probes run on the block pass (k directions per pass over the data):
 * λmax and the top-k by block subspace iteration, the trace by deflated Hutchinson (the top-k
 * eigenpairs exactly, probes on the rest, k per pass, until its interval is narrow enough), the
 * density from densityRuns SLQ runs advanced together, and every layer's λmax in one block whose
 * rows are restricted to their layers. λmin comes from its own solver (restarted Lanczos aimed at
 * the negative end, probe/lowest.ts) with a certified residual on both paths — never from the
 * density's Ritz values. `blockSize: 1` selects the single-vector path (power iteration, Lanczos of
 * densitySteps steps for the top-k, plain Hutchinson), which the tests use as the reference (the
 * config's probe.blockSize is at least 2). Each stochastic estimate carries a 95 %
 * bootstrap-t interval over its probes, and `solvers` names the method behind each number.
 *
 * Beside the Hessian's, the Gauss–Newton matrix's λmax and trace (sharpness.ggn) come from the same
 * block solvers with the same budgets on the Gauss–Newton block operator, on both paths (a block of
 * max(blockSize, topK) directions, since the block solvers need one): the part of the curvature
 * the model's linearisation sees, without the gradient-weighted second-order terms.
 */
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import { hessianOperator } from '../probe/operator';
import { topEigenvalue } from '../probe/power';
import { lanczosEigen, spectralDensityBlock, spectralDensityGpu } from '../probe/lanczos';
import { hutchinsonTrace } from '../probe/hutchinson';
import { deflatedTrace, type DeflatedTrace } from '../probe/deflated-trace';
import { lowestEigenpairs } from '../probe/lowest';
import { probeBounds } from '../util/bootstrap';
import { perLayerSharpness, perLayerSharpnessBlock, type LayerSharpness } from '../probe/layer';
import { ggnBlockOperator, hessianBlockOperator, type BlockOperator } from '../probe/block-operator';
import { blockEigen, type BlockEigenResult } from '../probe/block-eigen';
import { perturbationSharpness } from '../probe/perturbation';
import { slice1d } from '../probe/slices';
import { invariantSharpness } from './invariant';
import type { StudyConfig } from './config';
import { BLOCK_SIZE } from './config-schema';
import type { GaussNewtonSharpness, RunResult, Sharpness, Solvers } from './results';

export type ProbeSettings = Pick<StudyConfig['probe'],
  'chunkSize' | 'tol' | 'maxIter' | 'topK' | 'traceSamples' | 'traceTarget' | 'traceMaxSamples' | 'densitySteps' |
  'densityRuns' | 'lambdaMin' | 'perturbation'> & {
  slice?: StudyConfig['probe']['slice'];
  /** The invariant measures (adaptive sharpness, relative flatness); skipped when absent. */
  invariant?: StudyConfig['probe']['invariant'];
  /** Directions per block pass (default BLOCK_SIZE, the config's probe.blockSize); 1 runs the single-vector solvers (the tests' reference). */
  blockSize?: number;
};

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
  model: Mlp, data: GpuDataset, p: ProbeSettings, run: { seed: number; twoOverEta: number | null; weightDecay?: number },
  stage: (text: string) => void | Promise<void> = () => {},
): Promise<MinimumProbe> {
  const blockSize = p.blockSize ?? BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`probe blockSize must be a positive integer, got ${blockSize}`);
  if (blockSize > 1 && p.topK > blockSize) throw new Error(`probe topK (${p.topK}) must be at most the block size (${blockSize})`);
  const curvature = blockSize > 1 ? await blockCurvature(model, data, p, run.seed, blockSize, stage) : await singleCurvature(model, data, p, run.seed, stage);
  const ggn = await gaussNewtonCurvature(model, data, p, run.seed, Math.max(blockSize, p.topK), stage);
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
  const invariant = p.invariant ? await invariantSharpness(model, data, p.invariant, seed, chunkSize, stage, run.weightDecay) : {};
  const { lambda, layers, topK, lowest, trace, density, topVector, solvers } = curvature;
  return {
    sharpness: {
      lambdaMax: lambda.value, lambdaConverged: lambda.converged, lambdaResidual: lambda.residual,
      lambdaIterations: lambda.iterations, lambdaHvps: lambda.hvps,
      topK: topK.values, topKResiduals: topK.residuals, topKConverged: topK.converged, topKResolved: resolvedPairs(topK.values, topK.residuals),
      lambdaMin: lowest.values[0], lambdaMinResidual: lowest.residuals[0], lambdaMinConverged: lowest.converged[0], lambdaMinResolved: lowest.resolved[0],
      trace: trace.trace, traceInterval: { low: trace.low, high: trace.high }, traceProbes: trace.samples, traceDeflated: trace.rank, traceStop: trace.stop,
      densityRuns: density.runs.length, twoOverEta: run.twoOverEta,
      perLayer: layers.map((l) => ({ layer: l.layer, params: l.params, lambdaMax: l.lambdaMax, converged: l.converged })),
      perturbationMean: perturbation.meanIncrease,
      perturbationInterval: probeBounds(perturbation.increases),
      perturbationMax: perturbation.maxIncrease,
      ...invariant,
      ggn,
      solvers,
    },
    density: { grid: density.grid, density: density.density }, slice, topVector, eigenpairs: curvature.eigenpairs, hvps: curvature.hvps,
  };
}

/** Whether each pair's gap to its nearest neighbour (values sorted) exceeds its residual. */
export function resolvedPairs(values: readonly number[], residuals: readonly number[]): boolean[] {
  return values.map((v, i) => Math.min(i > 0 ? Math.abs(values[i - 1] - v) : Infinity, i + 1 < values.length ? Math.abs(v - values[i + 1]) : Infinity) > residuals[i]);
}

/** The curvature measures, from either path. */
interface Curvature {
  lambda: { value: number; converged: boolean; residual: number; iterations: number; hvps: number };
  topK: { values: number[]; residuals: number[]; converged: boolean[] };
  lowest: { values: number[]; residuals: number[]; converged: boolean[]; resolved: boolean[] };
  trace: { trace: number; low: number; high: number; samples: number; rank: number; stop: Sharpness['traceStop'] };
  density: { grid: number[]; density: number[]; runs: unknown[] };
  layers: Omit<LayerSharpness, 'residual'>[];
  topVector: Float32Array;
  eigenpairs: MinimumProbe['eigenpairs'];
  solvers: Solvers;
  hvps: number;
}

async function blockCurvature(
  model: Mlp, data: GpuDataset, p: ProbeSettings, seed: number, k: number, stage: (text: string) => void | Promise<void>,
): Promise<Curvature> {
  const chunkSize = p.chunkSize;
  const P = model.layout.size;
  const op = await hessianBlockOperator(model, data, k, { chunkSize });
  let hvps = 0;
  let partial: Omit<Curvature, 'layers' | 'hvps' | 'lowest' | 'density' | 'solvers'>;
  try {
    const { eig, vectors, trace } = await topAndTrace(op, p, seed, stage);
    const [top] = eig.groups;
    const topVector = vectors.slice(0, P);
    hvps += eig.hvps + trace.hvps;
    partial = {
      lambda: { value: top.values[0], converged: top.converged[0], residual: top.residuals[0] / Math.abs(top.values[0]), iterations: eig.iterations, hvps: eig.hvps },
      topK: { values: top.values, residuals: top.residuals, converged: top.converged }, trace, topVector,
      eigenpairs: { values: top.values, vectors },
    };
  } finally {
    op.destroy();
  }
  await stage(`spectral density (stochastic Lanczos quadrature, ${p.densityRuns} runs in block passes)`);
  const density = await blockDensity(model, data, p, seed);
  hvps += density.hvps;
  const lowest = await lowestCurvature(model, data, p, partial.lambda.value, seed, stage);
  hvps += lowest.hvps;
  await stage("per-layer λmax (every layer's Hessian block in one block subspace iteration)");
  const layers = await perLayerSharpnessBlock(model, data, k, { tol: p.tol, maxIter: p.maxIter, seed, chunkSize });
  // The layers share one block iteration: its passes count once.
  hvps += layers[0].hvps;
  const solvers: Solvers = {
    lambdaMax: blockEigenLabel(k, partial.lambda.iterations),
    topK: 'block subspace iteration (Ritz vectors of the λmax solve)',
    lambdaMin: lowestLabel(p, lowest.cycles),
    trace: deflatedLabel(p, partial.trace),
    density: `stochastic Lanczos quadrature (${p.densityRuns} runs × ${p.densitySteps} steps, in block passes)`,
  };
  return { ...partial, lowest, density, layers, solvers, hvps };
}

/**
 * λmax and the top-k by block subspace iteration, then the trace with those k pairs deflated, on one
 * block operator: the probe suite and the rescaling check (rescaling.ts) measure the trace alike.
 */
export async function topAndTrace(op: BlockOperator, p: ProbeSettings, seed: number, stage: (text: string) => void | Promise<void> = () => {}): Promise<{ eig: BlockEigenResult; vectors: Float32Array; trace: DeflatedTrace }> {
  const P = op.size;
  await stage(`λmax and top-${p.topK} (block subspace iteration, ${op.k} directions per pass)`);
  const eig = await blockEigen(op, { want: p.topK, tol: p.tol, maxIter: p.maxIter, seed, vectors: true });
  const vectors = (await eig.vectors!.read(0, p.topK * P)) as Float32Array;
  eig.vectors!.destroy();
  await stage(`trace (top-${p.topK} deflated exactly, Hutchinson on the rest until ±${100 * p.traceTarget} %, ≤ ${p.traceMaxSamples} probes)`);
  const Q = Array.from({ length: p.topK }, (_, i) => vectors.subarray(i * P, (i + 1) * P));
  const trace = await deflatedTrace(op, Q, { target: p.traceTarget, minSamples: p.traceSamples, maxSamples: p.traceMaxSamples, seed });
  return { eig, vectors, trace };
}

const blockEigenLabel = (k: number, passes: number) => `block subspace iteration (${k} directions per pass, ${passes} passes)`;
const deflatedLabel = (s: ProbeSettings, t: { rank: number; samples: number; stop: string }) =>
  `deflated Hutchinson (top-${t.rank} exact + ${t.samples} Rademacher probes; ${t.stop === 'target' ? `stopped at ±${100 * s.traceTarget} %` : 'probe budget spent'})`;

/** The Gauss–Newton matrix's λmax and trace: topAndTrace on its block operator, k directions per pass. */
async function gaussNewtonCurvature(
  model: Mlp, data: GpuDataset, p: ProbeSettings, seed: number, k: number, stage: (text: string) => void | Promise<void>,
): Promise<GaussNewtonSharpness> {
  const op = await ggnBlockOperator(model, data, k, { chunkSize: p.chunkSize });
  try {
    const { eig, trace } = await topAndTrace(op, p, seed, (text) => stage(`Gauss–Newton ${text}`));
    const [top] = eig.groups;
    return {
      lambdaMax: top.values[0], lambdaConverged: top.converged[0], lambdaResidual: top.residuals[0] / Math.abs(top.values[0]),
      lambdaIterations: eig.iterations,
      trace: trace.trace, traceInterval: { low: trace.low, high: trace.high }, traceProbes: trace.samples, traceDeflated: trace.rank, traceStop: trace.stop,
      products: eig.hvps + trace.hvps,
      solvers: { lambdaMax: blockEigenLabel(k, eig.iterations), trace: deflatedLabel(p, trace) },
    };
  } finally {
    op.destroy();
  }
}

const lowestLabel = (s: ProbeSettings, cycles: number) =>
  `restarted Lanczos at the negative end (${cycles} of ≤ ${s.lambdaMin.cycles} cycles × ${s.lambdaMin.steps} steps, explicit residuals)`;

/** The SLQ density's runs advanced together, one block pass per Lanczos step. */
async function blockDensity(model: Mlp, data: GpuDataset, p: ProbeSettings, seed: number) {
  const op = await hessianBlockOperator(model, data, p.densityRuns, { chunkSize: p.chunkSize });
  try {
    return await spectralDensityBlock(op, { runs: p.densityRuns, steps: p.densitySteps, seed });
  } finally {
    op.destroy();
  }
}

/** λmin and the next smallest pairs by their own solver, tol relative to λmax. */
async function lowestCurvature(
  model: Mlp, data: GpuDataset, s: ProbeSettings, lambdaMax: number, seed: number, stage: (text: string) => void | Promise<void>,
) {
  await stage(`λmin (restarted Lanczos at the negative end, ≤ ${s.lambdaMin.cycles} × ${s.lambdaMin.steps} steps)`);
  const op = await hessianOperator(model, data, { chunkSize: s.chunkSize });
  try {
    return await lowestEigenpairs(op, { want: s.lambdaMin.pairs, steps: s.lambdaMin.steps, cycles: s.lambdaMin.cycles, tol: s.tol, scale: lambdaMax, seed });
  } finally {
    op.destroy();
  }
}

async function singleCurvature(
  model: Mlp, data: GpuDataset, p: ProbeSettings, seed: number, stage: (text: string) => void | Promise<void>,
): Promise<Curvature> {
  const chunkSize = p.chunkSize;
  const op = await hessianOperator(model, data, { chunkSize });
  let partial: Omit<Curvature, 'layers' | 'hvps' | 'lowest' | 'solvers'>;
  let hvps = 0;
  try {
    await stage('λmax (power iteration)');
    const power = await topEigenvalue(op, { tol: p.tol, maxIter: p.maxIter, seed, vector: true });
    const topVector = (await power.vector.read()) as Float32Array;
    power.vector.destroy();
    await stage(`top-${p.topK} eigenvalues (Lanczos)`);
    const eig = await lanczosEigen(op, { k: p.topK, steps: p.densitySteps, seed, tol: p.tol });
    await stage('trace (Hutchinson)');
    const trace = await hutchinsonTrace(op, { samples: p.traceSamples, seed });
    await stage(`spectral density (stochastic Lanczos quadrature, ${p.densityRuns} runs)`);
    const slq = await spectralDensityGpu(op, { runs: p.densityRuns, steps: p.densitySteps, seed });
    hvps += power.hvps + eig.hvps + trace.hvps + slq.hvps;
    const bounds = probeBounds(trace.estimates);
    partial = {
      lambda: { value: power.eigenvalue, converged: power.converged, residual: power.residual, iterations: power.iterations, hvps: power.hvps },
      topK: { values: eig.values, residuals: eig.residuals, converged: eig.converged },
      trace: { trace: trace.trace, ...bounds, samples: trace.samples, rank: 0, stop: 'fixed' }, density: slq, topVector,
      eigenpairs: { values: [power.eigenvalue], vectors: topVector },
    };
  } finally {
    op.destroy();
  }
  const lowest = await lowestCurvature(model, data, p, partial.lambda.value, seed, stage);
  await stage("per-layer λmax (power iteration on each layer's Hessian block)");
  const layers = await perLayerSharpness(model, data, { tol: p.tol, maxIter: p.maxIter, seed, chunkSize });
  const solvers: Solvers = {
    lambdaMax: `power iteration (${partial.lambda.iterations} iterations)`,
    topK: `Lanczos (${p.densitySteps} steps)`,
    lambdaMin: lowestLabel(p, lowest.cycles),
    trace: `Hutchinson (${p.traceSamples} Rademacher probes)`,
    density: `stochastic Lanczos quadrature (${p.densityRuns} runs × ${p.densitySteps} steps)`,
  };
  return { ...partial, lowest, layers, solvers, hvps: hvps + lowest.hvps + layers.reduce((sum, l) => sum + l.hvps, 0) };
}
