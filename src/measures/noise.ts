/**
 * "Does SGD's noise follow the curvature?" — the measurement behind the report section of that name.
 *
 * Directions: the top Hessian eigenvectors of the minimum (from the probe's block eigen-solver; λ_i
 * its Ritz values) plus `bulk` random unit directions with the eigenvectors projected out (λ_i = u·Hu,
 * one block HVP). Everything is about the data loss on the probe samples.
 *
 * 1. Gradient noise: c_i = Var_s(u_iᵀ∇ℓ_s) over the probe samples, by one forward tangent pass
 *    (probe/gradient-noise.ts), and the correlations among the directions. Fit log c = a + γ·log λ
 *    with a bootstrap 95 % interval over directions: Mandt et al. 2017 (isotropic noise) predicts
 *    γ = 0, Zhu et al. 2019 / Xie et al. 2021 (C ≈ H/B near a minimum) γ = 1, Zhang, Yang & Tu 2026
 *    1 ≤ γ ≤ 2.
 * 2. Stationary spread (SGD runs): from the minimum, continue the run's own optimiser (η, momentum,
 *    weight decay) on minibatches of the run's batch size B drawn from the same probe samples — so H,
 *    C and the iteration all belong to one loss — for burnIn + steps steps, recording u_iᵀθ_t
 *    (probe/stationary-spread.ts: σ²_i around a linear trend, batch-means error). The iteration's
 *    curvature includes the coupled L2 term: λ'_i = λ_i + wd. The linearised SGD prediction with
 *    minibatch noise c_i·(1 − B/N)/B (sampling without replacement) and heavy-ball momentum β is
 *      σ²_i = η·c'_i·(1 + β) / (λ'_i·(1 − β)·(2(1 + β) − η·λ'_i)),
 *    which is η·c_i/(2B·λ_i) for ηλ ≪ 1, β = 0, B ≪ N (Nesterov or dampening: no prediction). A
 *    direction counts as equilibrated when the window spans ≥ 20 relaxation times (1 − β)/(ηλ'_i) and
 *    its measured effective sample size is at least the number of batches; the slope of log σ² on
 *    log λ' is fitted over those only. Σ ∝ H⁻¹ predicts slope −1, C ∝ H predicts 0 (σ² ∝ λ^{γ−1}).
 * Adam/AdamW runs: c vs λ only. Their update is preconditioned by the running second moments, so the
 * SGD prediction does not apply, and the continuation is not run.
 *
 * The model's parameters are restored after the continuation.
 */
import * as z from 'zod';
import type { Mlp } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import { Tensor } from '../gpu/tensor';
import { resolveOptimizerConfig, type OptimizerConfig } from '../optim/optimizer';
import { gradientNoise } from '../probe/gradient-noise';
import { stationarySpread, type DirectionSpread } from '../probe/stationary-spread';
import { prepareMinibatchSteps } from '../train/minibatch-steps';
import { Rng } from '../util/rng';
import { blockSizeOf, type Measure } from './measure';
import { NOISE_CHART, noiseChartSpec, noiseSection, noiseSummary } from './noise-report';
import { logLogSlope, type SlopeFit } from '../util/bootstrap';
import { across, must, nonNegInt, posInt, strict } from '../util/zod-fields';

const settings = {
  noise: strict({
    directions: nonNegInt().default(5).describe('Top eigenvectors used (at most probe.topK are available); 0 turns the whole measurement off.'),
    bulk: nonNegInt().default(5).describe('Random unit directions in the bulk (eigenvectors projected out).'),
    steps: nonNegInt().default(400).describe('Recorded SGD steps of the continuation (0: gradient noise only).'),
    burnIn: nonNegInt().default(50).describe('Steps of the continuation before recording starts.'),
    recordEvery: posInt().default(2).describe('Steps between recorded weights.'),
    batches: z.int(must('an integer ≥ 2')).min(2, must('an integer ≥ 2')).default(20).describe("Batch means for the spread's error."),
  }).check(across((n, fail) => {
    if (n.directions === 0) return;
    if (n.directions + n.bulk < 3) {
      fail([], `needs at least 3 directions for a slope (directions ${n.directions} + bulk ${n.bulk}); set directions to 0 to turn it off`);
    }
    const records = Math.floor(n.steps / n.recordEvery);
    if (n.steps > 0 && records < 2 * n.batches) {
      fail(['steps'], `(${n.steps}) recorded every ${n.recordEvery} gives ${records} records, but ${n.batches} batch means need at least ` +
        `${2 * n.batches}; raise steps to ${2 * n.batches * n.recordEvery}, lower recordEvery or batches, or set steps to 0 for gradient noise only`);
    }
  })).prefault({}).describe("Gradient noise and the weights' stationary spread along eigen- and bulk directions (src/measures/noise.ts)."),
};

/** The `probe.noise` settings (their schema: `settings` above). */
export interface NoiseSettings {
  directions: number;
  bulk: number;
  steps: number;
  burnIn: number;
  recordEvery: number;
  batches: number;
}

export interface NoiseDirection {
  kind: 'eigen' | 'bulk';
  /** u·Hu of the data loss. */
  lambda: number;
  /** Var_s(uᵀ∇ℓ_s) over the probe samples. */
  c: number;
  /** uᵀ∇L, the mean derivative. */
  gradient: number;
  spread: (DirectionSpread & {
    /** λ + wd: the curvature the continuation sees. */
    lambdaRegularised: number;
    equilibrated: boolean;
    /** The linearised SGD prediction (header), and its ηλ ≪ 1 limit η·c'/(2λ'(1 − β)). */
    predicted: number | null;
    predictedSmallStep: number | null;
    /** variance / predicted. */
    ratio: number | null;
  }) | null;
}

export interface NoiseResult {
  samples: number;
  batchSize: number;
  /** The continuation's optimiser kind, 'none' when none was given. */
  optimizer: string;
  lr: number | null;
  momentum: number;
  weightDecay: number;
  directions: NoiseDirection[];
  /** m × m correlation matrix of the per-sample derivatives (row-major). */
  correlation: number[];
  /** log c vs log λ over every direction. */
  noiseSlope: SlopeFit;
  /**
   * The same over the eigen-directions alone: the bulk sits decades below them, so the slope over
   * all directions is mostly the contrast of the two groups; this one is the shape within the top.
   */
  noiseSlopeTop: SlopeFit;
  /** log σ² vs log λ' over the equilibrated directions; null without a continuation or with < 3 of them. */
  spreadSlope: SlopeFit | null;
  /** Median of σ²/predicted over the equilibrated directions. */
  medianRatio: number | null;
  continuation: { steps: number; burnIn: number; recordEvery: number; batches: number; stepsRun: number } | null;
  /** Why the spread was not measured or fitted, when it was not: a reason and its numbers (spreadNote words them); absent in older results, which stored `note`. */
  spreadSkipped?: SpreadSkip | null;
  /** The same as a sentence, as results written before spreadSkipped stored it (rendered as stored); never written now. */
  note?: string | null;
  /** Near-degenerate eigenpairs passed over for the directions (Eigenpairs.resolved); absent in older results. */
  unresolvedSkipped?: number;
  seconds: number;
}

/**
 * Why a run has no stationary spread (or no slope of it): no optimiser (an imported model), an
 * adaptive one (NoiseResult.optimizer names it), the continuation off, a batch larger than the probe
 * set, a step size at which not even the sharpest direction settles in the window, or too few
 * directions settled for a slope.
 */
export type SpreadSkip =
  | { reason: 'no-optimizer' }
  | { reason: 'adaptive-optimizer' }
  | { reason: 'continuation-off' }
  | { reason: 'batch-exceeds-probe'; probeSamples: number }
  | { reason: 'too-slow'; sharpest: number; steps: number; needed: number }
  | { reason: 'few-equilibrated'; equilibrated: number; directions: number; steps: number };

export interface NoiseRun {
  /** The run's optimiser; without one (an imported model given no --lr) only the gradient noise is measured. */
  optimizer?: OptimizerConfig;
  batchSize: number;
  seed: number;
  chunkSize?: number;
}

/** The probe's top eigenpairs (k × P vectors, row i for values[i]). */
export interface Eigenpairs {
  values: number[];
  vectors: Float32Array;
  /**
   * Whether each pair's gap to its neighbours exceeds its residual (lambda-max.ts resolvedPairs): a
   * near-degenerate pair's vector may be any mix of the two eigenvectors, so directional measures
   * (the noise c_i and spread σ²_i along it) skip it. Absent: every pair counts as resolved.
   */
  resolved?: boolean[];
}

export async function measureNoise(
  model: Mlp, data: GpuDataset, s: NoiseSettings, run: NoiseRun, eigen: Eigenpairs,
  stage: (text: string) => void | Promise<void> = () => {}, signal?: AbortSignal,
): Promise<NoiseResult> {
  const t0 = performance.now();
  const P = model.layout.size;
  // The first s.directions pairs that are told apart from their neighbours, in the solver's order.
  const usable = eigen.values.map((_, i) => i).filter((i) => eigen.resolved?.[i] !== false).slice(0, s.directions);
  const unresolved = (usable.length ? usable.at(-1)! + 1 : 0) - usable.length;
  const top = usable.length;
  if (top < 1) throw new Error('noise: no resolved eigenvectors to measure along (probe.noise.directions is 0, or the probe found none told apart from its neighbours)');
  const opt = run.optimizer ? resolveOptimizerConfig(run.optimizer) : null;
  const eigenRows = usable.map((i) => unit(eigen.vectors.subarray(i * P, (i + 1) * P)));
  const bulkRows = bulkDirections(eigenRows, s.bulk, P, run.seed);
  const rows = [...eigenRows, ...bulkRows];
  const m = rows.length;
  const U = Tensor.create(model.gpu, [m, P], { label: 'noise:directions' });
  try {
    const flat = new Float32Array(m * P);
    rows.forEach((r, i) => flat.set(r, i * P));
    U.write(flat);
    const lambda = usable.map((i) => eigen.values[i]);
    if (bulkRows.length > 0) {
      await stage(`curvature along ${bulkRows.length} bulk directions (one block HVP)`);
      lambda.push(...await rayleighQuotients(model, data, flat.subarray(top * P), bulkRows.length, run.chunkSize));
    }
    await stage(`gradient noise along ${m} directions (per-sample forward tangents)`);
    const noise = await gradientNoise(model, data, U, m, run.chunkSize);
    const correlation = noise.covariance.map((v, k) => v / Math.sqrt(noise.variance[Math.floor(k / m)] * noise.variance[k % m]));
    const directions: NoiseDirection[] = rows.map((_, i) => ({
      kind: i < top ? 'eigen' : 'bulk', lambda: lambda[i], c: noise.variance[i], gradient: noise.mean[i], spread: null,
    }));
    const noiseSlope = logLogSlope(directions.map((d) => [d.lambda, d.c]), run.seed);
    const noiseSlopeTop = logLogSlope(directions.filter((d) => d.kind === 'eigen').map((d) => [d.lambda, d.c]), run.seed);
    let spreadSkipped: SpreadSkip | null = null;
    let continuation: NoiseResult['continuation'] = null;
    if (!opt) {
      spreadSkipped = { reason: 'no-optimizer' };
    } else if (opt.kind !== 'sgd') {
      spreadSkipped = { reason: 'adaptive-optimizer' };
    } else if (s.steps === 0) {
      spreadSkipped = { reason: 'continuation-off' };
    } else if (run.batchSize > data.count) {
      spreadSkipped = { reason: 'batch-exceeds-probe', probeSamples: data.count };
    } else if (Math.floor(s.steps / s.recordEvery) * s.recordEvery < settleSteps(opt, Math.max(...lambda))) {
      // Not even the sharpest direction would settle in the window: the steps would buy no σ² at all.
      spreadSkipped = { reason: 'too-slow', sharpest: Math.max(...lambda), steps: s.steps, needed: Math.ceil(settleSteps(opt, Math.max(...lambda))) };
    } else {
      await stage(`stationary spread: ${s.burnIn} + ${s.steps} SGD steps from the minimum`);
      const saved = await model.getParams();
      const steps = await prepareMinibatchSteps(model, data, { optimizer: opt, batchSize: run.batchSize, seed: run.seed });
      try {
        const r = await stationarySpread(model.gpu, {
          params: model.params, directions: U, m, step: (e, t) => steps.step(e, t),
          burnIn: s.burnIn, steps: s.steps, recordEvery: s.recordEvery, batches: s.batches, signal,
        });
        continuation = { steps: s.steps, burnIn: s.burnIn, recordEvery: s.recordEvery, batches: r.batches, stepsRun: r.stepsRun };
        const window = r.records * s.recordEvery;
        r.directions.forEach((d, i) => {
          directions[i].spread = { ...d, ...sgdPrediction(directions[i].c, directions[i].lambda, opt, run.batchSize, data.count, d, window, r.batches) };
        });
      } finally {
        steps.destroy();
        model.setParams(saved);
      }
    }
    const settled = directions.filter((d) => d.spread?.equilibrated);
    let spreadSlope: SlopeFit | null = null;
    let medianRatio: number | null = null;
    if (continuation) {
      if (settled.length >= 3) {
        spreadSlope = logLogSlope(settled.map((d) => [d.spread!.lambdaRegularised, d.spread!.variance]), run.seed);
      } else {
        spreadSkipped = { reason: 'few-equilibrated', equilibrated: settled.length, directions: m, steps: s.steps };
      }
      const ratios = settled.map((d) => d.spread!.ratio).filter((x): x is number => x !== null).sort((a, b) => a - b);
      if (ratios.length > 0) medianRatio = ratios[Math.floor((ratios.length - 1) / 2)] / 2 + ratios[Math.ceil((ratios.length - 1) / 2)] / 2;
    }
    return {
      samples: noise.samples, batchSize: run.batchSize, optimizer: opt?.kind ?? 'none', lr: opt?.lr ?? null, momentum: opt?.kind === 'sgd' ? opt.momentum : 0,
      weightDecay: opt?.weightDecay ?? 0, directions, correlation, noiseSlope, noiseSlopeTop, spreadSlope, medianRatio, continuation, spreadSkipped,
      unresolvedSkipped: unresolved, seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    U.destroy();
  }
}

type SgdConfig = Extract<ReturnType<typeof resolveOptimizerConfig>, { kind: 'sgd' }>;

/** Steps a direction of curvature λ needs to count as equilibrated: 20 relaxation times (1 − β)/(ηλ'), λ' = λ + wd. */
function settleSteps(o: SgdConfig, lambda: number): number {
  const lambdaRegularised = lambda + o.weightDecay;
  return lambdaRegularised > 0 ? (20 * (1 - o.momentum)) / (o.lr * lambdaRegularised) : Infinity;
}

/** The linearised SGD prediction for one direction and whether the window let it equilibrate (see the header). */
function sgdPrediction(
  c: number, lambda: number, o: SgdConfig, B: number, N: number,
  d: DirectionSpread, window: number, batches: number,
): Omit<NonNullable<NoiseDirection['spread']>, keyof DirectionSpread> {
  const lambdaRegularised = lambda + o.weightDecay;
  const beta = o.momentum;
  const eta = o.lr;
  const equilibrated = window >= settleSteps(o, lambda) && d.effectiveSamples >= batches;
  const cMinibatch = (c * (1 - B / N)) / B;
  const applies = !o.nesterov && o.dampening === 0 && lambdaRegularised > 0 && eta * lambdaRegularised < 2 * (1 + beta);
  const predicted = applies ? (eta * cMinibatch * (1 + beta)) / (lambdaRegularised * (1 - beta) * (2 * (1 + beta) - eta * lambdaRegularised)) : null;
  const predictedSmallStep = applies ? (eta * cMinibatch) / (2 * lambdaRegularised * (1 - beta)) : null;
  return { lambdaRegularised, equilibrated, predicted, predictedSmallStep, ratio: predicted ? d.variance / predicted : null };
}

/** `count` Gaussian directions, orthogonalised against `against` and each other (float64), unit norm. */
function bulkDirections(against: Float32Array[], count: number, P: number, seed: number): Float32Array[] {
  const rng = new Rng(seed + 0x6e6f6973);
  const basis: Float64Array[] = against.map((r) => Float64Array.from(r));
  const out: Float32Array[] = [];
  for (let j = 0; j < count; j++) {
    const v = Float64Array.from({ length: P }, () => rng.normal());
    for (const q of basis) {
      let d = 0;
      for (let i = 0; i < P; i++) d += v[i] * q[i];
      for (let i = 0; i < P; i++) v[i] -= d * q[i];
    }
    const u = unit(v);
    basis.push(Float64Array.from(u));
    out.push(u);
  }
  return out;
}

function unit(v: ArrayLike<number>): Float32Array {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i] * v[i];
  const n = Math.sqrt(sq);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`noise: a direction has norm ${n}`);
  return Float32Array.from(v, (x) => x / n);
}

/** u_j·(H u_j) for k directions (k × P), one block HVP over the data. */
async function rayleighQuotients(model: Mlp, data: GpuDataset, rows: Float32Array, k: number, chunkSize?: number): Promise<number[]> {
  const P = model.layout.size;
  const V = Tensor.create(model.gpu, [k, P], { label: 'noise:bulk', data: rows });
  const HV = Tensor.create(model.gpu, [k, P], { label: 'noise:bulk-products' });
  try {
    await model.hvpBlock(data, V, HV, { k, chunkSize });
    const hv = await HV.read();
    return Array.from({ length: k }, (_, j) => {
      let s = 0;
      for (let i = 0; i < P; i++) s += rows[j * P + i] * hv[j * P + i];
      return s;
    });
  } finally {
    V.destroy();
    HV.destroy();
  }
}

export const noiseMeasure: Measure<typeof settings> = {
  name: 'noise',
  settings: ['probe.noise', 'probe.chunkSize', 'batchSize', 'configurations[].optimizer'],
  schema: settings,
  writes: ['noise'],
  failure: 'gradient noise and stationary spread',
  // Along the eigenvectors the λmax measure found: none, no measure.
  enabled: ({ settings, eigenpairs }) => !!settings.noise && settings.noise.directions > 0 && eigenpairs !== null,
  // Per-sample directional derivatives and the bulk directions' λ: a block pass each; SGD's continuation after.
  work: (s, training) => [
    { stage: 'gradient noise', pass: { kind: 'block', k: blockSizeOf(s) }, count: 2 },
    ...(training.optimizer && resolveOptimizerConfig(training.optimizer).kind === 'sgd'
      ? [{ stage: 'stationary spread (SGD continuation)', pass: { kind: 'step' } as const, count: s.noise!.steps + s.noise!.burnIn }] : []),
  ],
  run: async (ctx) => {
    await ctx.stage('gradient noise and stationary spread along eigen- and bulk directions');
    const { optimizer, batchSize } = ctx.training;
    const run = { optimizer, batchSize, seed: ctx.seed, chunkSize: ctx.settings.chunkSize };
    return { noise: await measureNoise(ctx.model, ctx.data, ctx.settings.noise!, run, ctx.eigenpairs!, ctx.detail, ctx.signal) };
  },
  // Its own stage, the bulk curvature, the gradient noise, and for an SGD run the continuation (which it may skip).
  stages: (p, t) => 2 + (p.noise!.bulk > 0 ? 1 : 0) + (t.optimizer?.kind === 'sgd' && p.noise!.steps > 0 ? 1 : 0),
  lines: ({ noise }) => (noise ? [noiseSummary(noise)] : []),
  section: ({ noise }) => (noise ? ['## Gradient noise along the curvature', '', ...noiseSummary(noise).split('\n').map((l) => `- ${l}`), ''] : []),
  studySection: { order: 20, render: noiseSection },
  studyChart: { name: NOISE_CHART, spec: (runs) => (runs.some((r) => r.noise) ? noiseChartSpec(runs) : null) },
  summary: ({ noise }) => (noise ? `noise slope γ ${noise.noiseSlope.slope.toFixed(2)} (${noise.seconds.toFixed(1)} s)` : null),
};
