/**
 * Perturbation sharpness: how much the loss rises when θ is pushed a given relative distance.
 * Where λmax measures curvature at θ, this measures the loss over a finite neighbourhood, which is
 * what the flat-minima arguments are about and what stays meaningful for ReLU nets whose Hessian
 * misses the kinks.
 *
 * Definitions, with ρ a relative size (dimensionless, default 0.05):
 *
 * - Random (average-case and sampled worst-case). Sample s draws u_s ~ N(0, I) and, with filterWise
 *   (the default), filter-normalises it (directions.ts), so the perturbation ρ·d_s moves each
 *   neuron's incoming weights by ρ·‖that row of θ‖ and leaves biases alone: magnitude-aware, and
 *   blind to the rescalings of layers that ReLU nets can undergo without changing their function.
 *   Without filterWise, d_s = ‖θ‖·u_s/‖u_s‖ over every parameter. The increases
 *   ΔL_s = L(θ + ρ·d_s) − L(θ) give meanIncrease (Neyshabur et al. 2017's "expected sharpness"),
 *   stdIncrease (sample std, n − 1; NaN — null in JSON — for one sample) and maxIncrease.
 *   maxIncrease is a Monte Carlo lower bound of Keskar et al. 2017's ε-sharpness, which maximises
 *   L over a box around θ (by L-BFGS-B) and reports 100·(max − L(θ))/(1 + L(θ)); random directions
 *   rarely find the worst case in high dimension, which is why the ascent variant exists.
 *
 * - Adaptive (adaptiveEta given): d_s = (|θ| + η)⊙u_s·√P/‖u_s‖ over all P parameters (directions.ts,
 *   elementwiseScale), so ρ·d_s moves each entry by ~ρ of its own size: the average case of Kwon et
 *   al. 2021's adaptive sharpness (Andriushchenko et al. 2023's form). It replaces filterWise, and
 *   does not combine with worstCase (whose ball is Euclidean): the adaptive worst case is
 *   adaptiveSharpness's projected ascent (adaptive.ts).
 *
 * - Antithetic (antithetic: true): each sample also evaluates θ − ρ·d_s and counts the mean of the two
 *   increases. u and −u are equally likely, so the mean estimates the same expectation, but the
 *   first-order term ρ·∇L·d_s cancels exactly: where ∇L ≠ 0 (a minimum trained for finitely many
 *   steps) it otherwise dominates each sample's increase with a zero-mean, large-variance part.
 *
 * - Ascent (worstCase: true). One step of Foret et al. 2021's SAM inner maximisation,
 *   ε = ρ·‖θ‖·g/‖g‖ with g = ∇L(θ), the first-order worst case over the ball ‖ε‖ ≤ ρ‖θ‖; SAM's ρ
 *   is absolute, scaling it by ‖θ‖ makes it comparable with the random samples above.
 *   ascentIncrease = L(θ + ε) − L(θ), 0 at a stationary point (ε = 0, as SAM's g/(‖g‖ + 0) gives).
 *
 * L is the model's loss under the given EvalOptions (the data loss unless includeRegulariser), and
 * every increase is measured with the same float32 arithmetic as model.loss, so ρ = 0 gives
 * exactly 0. All perturbed points are evaluated in batches, several per pass (lossAtPoints).
 */
import type { EvalOptions, Mlp } from '../autograd/mlp';
import type { ParamLayout } from '../autograd/layout';
import type { PassPlan } from '../autograd/pass';
import type { GpuDataset } from '../data/gpu-dataset';
import { Rng } from '../util/rng';
import { mean, std } from '../util/stats';
import { elementwiseScale, filterNormalise, norm, normalise, randomDirection } from './directions';
import { lossAtPoints } from './slices';

export interface PerturbationOptions extends EvalOptions {
  /** Perturbation size relative to the weights (default 0.05). */
  rho?: number;
  /** Random directions to draw (default 20). */
  samples?: number;
  seed?: number;
  /** Filter-normalise the random directions (default true); otherwise scale them to ‖θ‖. */
  filterWise?: boolean;
  /** Also take the SAM-like gradient-ascent step (one extra gradient pass). */
  worstCase?: boolean;
  /** Scale the random directions elementwise by |θ| + adaptiveEta instead (adaptive sharpness). */
  adaptiveEta?: number;
  /** Evaluate ±ρ·d_s and count their mean increase per sample (default false). */
  antithetic?: boolean;
}

export interface PerturbationResult {
  baseLoss: number;
  rho: number;
  samples: number;
  seed: number;
  filterWise: boolean;
  /** The η of the elementwise scaling |θ| + η, when the directions were adaptive. */
  adaptiveEta?: number;
  /** Present when each sample was the mean over ±ρ·d_s. */
  antithetic?: true;
  /** L(θ + ρ·d_s) − L(θ) (antithetic: the mean over ±ρ·d_s), in sample order. */
  increases: number[];
  meanIncrease: number;
  stdIncrease: number;
  maxIncrease: number;
  /** L(θ + ε) − L(θ) for the ascent step, when worstCase was asked for. */
  ascentIncrease?: number;
}

export async function perturbationSharpness(model: Mlp, data: GpuDataset, options: PerturbationOptions = {}): Promise<PerturbationResult> {
  const { rho = 0.05, samples = 20, seed = 0, filterWise: filterOption = true, worstCase = false, adaptiveEta, antithetic = false, ...evalOptions } = options;
  const filterWise = adaptiveEta === undefined && filterOption;
  if (!Number.isFinite(rho) || rho < 0) throw new Error(`perturbationSharpness: rho must be a finite number ≥ 0, got ${rho}`);
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`perturbationSharpness: samples must be a positive integer, got ${samples}`);
  if (adaptiveEta !== undefined) {
    if (!(adaptiveEta >= 0 && Number.isFinite(adaptiveEta))) throw new Error(`perturbationSharpness: adaptiveEta must be a finite number ≥ 0, got ${adaptiveEta}`);
    if (worstCase) throw new Error('perturbationSharpness: worstCase is the Euclidean SAM step; for the adaptive worst case use adaptiveSharpness (probe/adaptive.ts)');
  }
  const params = await model.getParams();
  const baseLoss = (await model.loss(data, evalOptions)).loss;
  const ascent = worstCase ? ascentDirection(await gradientAt(model, data, evalOptions), params) : undefined;

  // Every perturbed point θ + ρ·d_s (and the ascent point) in batches of points per pass.
  const directions = [...perturbationDirections(params, model.layout, { seed, samples, filterWise, adaptiveEta }), ...(ascent ? [ascent] : [])];
  const point = (s: number, c: number) => directions.map((_, t) => (s === t ? c : 0));
  const coefs = directions.map((_, s) => point(s, rho));
  // Antithetic: the mirrored points θ − ρ·d_s after all the others.
  if (antithetic) coefs.push(...Array.from({ length: samples }, (_, s) => point(s, -rho)));
  const losses = (await lossAtPoints(model, data, directions, coefs, evalOptions)).map((l) => l.loss - baseLoss);
  const mirrored = losses.slice(directions.length);
  const increases = losses.slice(0, samples).map((up, s) => (antithetic ? (up + mirrored[s]) / 2 : up));
  const result: PerturbationResult = {
    baseLoss, rho, samples, seed, filterWise, increases,
    meanIncrease: mean(increases), stdIncrease: std(increases), maxIncrease: Math.max(...increases),
  };
  if (ascent) result.ascentIncrease = losses[samples];
  if (adaptiveEta !== undefined) result.adaptiveEta = adaptiveEta;
  if (antithetic) result.antithetic = true;
  return result;
}

/**
 * The random directions d_s, before the factor ρ, in the order perturbationSharpness uses them.
 * Each sample's seed comes from one stream seeded by `seed`, so nearby seeds share no samples.
 */
export function* perturbationDirections(
  params: ArrayLike<number>, layout: ParamLayout, o: { seed: number; samples: number; filterWise: boolean; adaptiveEta?: number },
): Generator<Float32Array> {
  const seeds = new Rng(o.seed);
  const thetaNorm = o.filterWise || o.adaptiveEta !== undefined ? 0 : norm(params);
  for (let s = 0; s < o.samples; s++) {
    const u = randomDirection(layout, seeds.nextU32());
    if (o.adaptiveEta !== undefined) yield elementwiseScale(u, params, o.adaptiveEta);
    else yield o.filterWise ? filterNormalise(u, params, layout) : normalise(u, thetaNorm);
  }
}

/** ‖θ‖·g/‖g‖ — the ascent step before the factor ρ — or zeros where the gradient vanishes. */
export function ascentDirection(gradient: ArrayLike<number>, params: ArrayLike<number>): Float32Array {
  return norm(gradient) === 0 ? new Float32Array(gradient.length) : normalise(gradient, norm(params));
}

/** ∇L(θ) on the host. A one-off pass of its own, so the model's plan cache keeps nothing for a buffer freed here. */
async function gradientAt(model: Mlp, data: GpuDataset, options: EvalOptions): Promise<Float32Array> {
  const { gpu } = model;
  const g = model.vector('perturbation:gradient');
  let plan: PassPlan | undefined;
  try {
    plan = await model.preparePass({ kind: 'gradient', data, gradient: g, ...options });
    gpu.submit((encoder) => plan!.encode(encoder));
    return (await g.read()) as Float32Array;
  } finally {
    plan?.destroy();
    g.destroy();
  }
}
