/**
 * Single-vector Lanczos solvers, the references the block solvers are tested against: the top-k
 * and smallest Ritz pairs of one Lanczos run (lanczosEigen), and SLQ with its runs one after the
 * other (spectralDensityGpu; src's spectralDensityBlock advances them together and draws the same
 * start vectors).
 */
import type { Tensor } from '../../src/gpu/tensor';
import { checkDims } from '../../src/gpu/ops/operand';
import { Rng } from '../../src/util/rng';
import type { BlockOperator } from '../../src/probe/block-operator';
import { lanczos, ritz, ritzVectors, type SlqOptions, type SlqResult } from '../../src/probe/lanczos';
import { ritzWeights, spectralDensity } from '../../src/probe/density';
import { randomVector } from '../../src/probe/vector-ops';

export interface EigenOptions {
  /** Number of top eigenpairs (default 10). */
  k?: number;
  /** Lanczos steps (default max(2k + 10, 30)): extreme eigenvalues converge first, so a margin beyond k suffices. */
  steps?: number;
  seed?: number;
  /** A Ritz pair counts as converged when its residual is ≤ tol·‖A‖, ‖A‖ taken as the largest |Ritz value| (default 1e-4). */
  tol?: number;
  /** Also return the top-k Ritz vectors. */
  vectors?: boolean;
}

export interface EigenResult {
  /** Top Ritz values, largest first (fewer than k only if the Krylov space was smaller). */
  values: number[];
  /**
   * |β_last·s_last,j| = ‖A·y_j − θ_j·y_j‖ for Ritz vector y_j: some eigenvalue of A lies within it of θ_j
   * (down to float32 rounding of the products, ~1e-6·‖A‖).
   */
  residuals: number[];
  converged: boolean[];
  /** The smallest Ritz value (the most negative curvature found), with its residual. */
  smallest: number;
  smallestResidual: number;
  smallestConverged: boolean;
  steps: number;
  invariant: boolean;
  hvps: number;
  /** With `vectors`: unit Ritz vectors of `values`, in the same order, on the GPU; the caller destroys them. */
  vectors?: Tensor[];
}

export async function lanczosEigen(op: BlockOperator, options: EigenOptions = {}): Promise<EigenResult> {
  const { k = 10, seed = 0, tol = 1e-4 } = options;
  checkDims('lanczosEigen', { k });
  const run = await lanczos(op, { steps: options.steps ?? Math.max(2 * k + 10, 30), seed });
  try {
    const m = run.steps;
    const { values, vectors } = ritz(run);
    const scale = Math.max(Math.abs(values[0]), Math.abs(values[m - 1]));
    const residual = (j: number) => Math.abs(run.beta[m - 1] * vectors[(m - 1) * m + j]);
    const count = Math.min(k, m);
    const top = Array.from({ length: count }, (_, j) => j);
    const result: EigenResult = {
      values: top.map((j) => values[j]),
      residuals: top.map(residual),
      converged: top.map((j) => residual(j) <= tol * scale),
      smallest: values[m - 1],
      smallestResidual: residual(m - 1),
      smallestConverged: residual(m - 1) <= tol * scale,
      steps: m,
      invariant: run.invariant,
      hvps: run.hvps,
    };
    if (options.vectors) result.vectors = await ritzVectors(op.gpu, run, vectors, top);
    return result;
  } finally {
    run.basis.destroy();
  }
}

/** Spectral density by stochastic Lanczos quadrature, from Rademacher start vectors. */
export async function spectralDensityGpu(op: BlockOperator, options: SlqOptions = {}): Promise<SlqResult> {
  const { runs = 1, steps = 80, seed = 0, ...densityOptions } = options;
  checkDims('spectralDensityGpu', { runs, steps });
  const rng = new Rng(seed);
  const results: SlqResult['runs'] = [];
  let hvps = 0;
  for (let r = 0; r < runs; r++) {
    const run = await lanczos(op, { steps, start: randomVector(rng, op.size, 'rademacher') });
    run.basis.destroy();
    const { values, vectors } = ritz(run);
    results.push({ values: Array.from(values), weights: Array.from(ritzWeights(vectors, run.steps)) });
    hvps += run.hvps;
  }
  return { ...spectralDensity(results, densityOptions), runs: results, hvps };
}

