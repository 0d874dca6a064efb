/**
 * The smallest eigenpairs of a symmetric operator — λmin, the most negative curvature at a
 * minimum — by Lanczos aimed at the negative end, with explicit restarts and certified residuals.
 *
 * Why Lanczos and not subspace iteration on σI − A: at a trained minimum λmin sits at the edge of a
 * bulk of near-zero eigenvalues, with |λmin| ≪ λmax. Subspace iteration on σI − A (σ ≈ λmax) converges
 * at the rate (σ − λ_{k+1})/(σ − λmin), within a percent of 1 there; a Krylov space converges at the
 * extreme ends like a Chebyshev polynomial, with the square root of that gap, which is what makes the
 * bottom of the spectrum reachable at all in a few dozen products.
 *
 * Each cycle runs `steps` Lanczos steps (full reorthogonalisation, lanczos.ts) from the previous
 * cycle's `want` lowest Ritz vectors summed (cycle 0: a seeded random vector), so each cycle's Krylov
 * space contains the last cycle's best directions. Ritz values are upper bounds (θ_min ≥ λmin by
 * interlacing), so every cycle can only move θ_min down. At the end of each cycle the residuals
 * ‖Ay − θy‖ of the unit Ritz vectors are formed explicitly (one product each, reduced in float64 on the
 * host), not from the tridiagonal's β·s estimate, which float32 rounding makes optimistic; some
 * eigenvalue lies within the residual of θ. A pair is converged when its residual is ≤ tol·scale
 * (scale: λmax when given, else the largest |Ritz value|, as ARPACK's tolerance is relative to ‖A‖);
 * the iteration stops when all `want` pairs are, or after `cycles`.
 *
 * Near-degenerate pairs: when the gap from θ_i to its neighbouring Ritz value is below θ_i's residual,
 * the pair is not resolved from its neighbour (the vector may mix both eigenvectors); `resolved` says so.
 */
import { Rng } from '../util/rng';
import { checkDims } from '../gpu/ops/operand';
import { requireOneRow, type BlockOperator } from './block-operator';
import { explicitResidual, lanczos, ritz, ritzVectors } from './lanczos';
import { randomVector } from './vector-ops';

export interface LowestOptions {
  /** Smallest eigenpairs wanted (default 2). */
  want?: number;
  /** Lanczos steps per cycle (default 40). */
  steps?: number;
  /** Restarted cycles at most (default 3). */
  cycles?: number;
  /** A pair is converged when its residual is ≤ tol·scale (default 1e-3). */
  tol?: number;
  /** The operator's scale for tol (e.g. λmax); default the largest |Ritz value| seen. */
  scale?: number;
  seed?: number;
}

export interface LowestEigenpairs {
  /** The smallest Ritz values, ascending (values[0] is λmin's estimate: an upper bound on λmin). */
  values: number[];
  /** ‖Ay − θy‖ of each unit Ritz vector, formed explicitly. */
  residuals: number[];
  converged: boolean[];
  /** The gap to the neighbouring Ritz value exceeds the residual (the pair is told apart from its neighbour). */
  resolved: boolean[];
  /** The scale tol was relative to. */
  scale: number;
  cycles: number;
  /** θ_min after each cycle. */
  history: number[];
  hvps: number;
}

export async function lowestEigenpairs(op: BlockOperator, options: LowestOptions = {}): Promise<LowestEigenpairs> {
  const { want = 2, steps = 40, cycles = 3, tol = 1e-3, seed = 0 } = options;
  checkDims('lowestEigenpairs', { want, steps, cycles });
  requireOneRow(op, 'lowestEigenpairs');
  if (!(tol > 0 && Number.isFinite(tol))) throw new Error(`lowestEigenpairs: tol must be a finite number > 0, got ${tol}`);
  if (want > Math.min(steps, op.size)) throw new Error(`lowestEigenpairs: ${want} pairs wanted from ${Math.min(steps, op.size)}-step Krylov spaces; raise steps`);
  const n = op.size;
  let start: ArrayLike<number> = randomVector(new Rng(seed), n, 'normal');
  const history: number[] = [];
  let hvps = 0;
  for (let cycle = 1; ; cycle++) {
    const run = await lanczos(op, { steps, start });
    hvps += run.hvps;
    try {
      const m = run.steps;
      const { values, vectors } = ritz(run);
      const count = Math.min(want, m);
      // Ascending: column m − 1 is the smallest Ritz value.
      const columns = Array.from({ length: count }, (_, i) => m - 1 - i);
      const theta = columns.map((c) => values[c]);
      const ys = await ritzVectors(op.gpu, run, vectors, columns);
      const host: Float32Array[] = [];
      const residuals: number[] = [];
      try {
        for (let i = 0; i < count; i++) {
          const { y, residual } = await explicitResidual(op, ys[i], theta[i]);
          host.push(y);
          residuals.push(residual);
        }
      } finally {
        for (const y of ys) y.destroy();
      }
      hvps += count;
      history.push(theta[0]);
      const scale = options.scale ?? Math.max(Math.abs(values[0]), Math.abs(values[m - 1]));
      const converged = residuals.map((r) => r <= tol * Math.abs(scale));
      const resolved = columns.map((c, i) => {
        const gap = Math.min(c > 0 ? values[c - 1] - values[c] : Infinity, c < m - 1 ? values[c] - values[c + 1] : Infinity);
        return gap > residuals[i];
      });
      if (converged.every(Boolean) || cycle >= cycles || run.invariant) {
        return { values: theta, residuals, converged, resolved, scale, cycles: cycle, history, hvps };
      }
      const next = new Float64Array(n);
      for (const y of host) for (let j = 0; j < n; j++) next[j] += y[j];
      start = next;
    } finally {
      run.basis.destroy();
    }
  }
}
