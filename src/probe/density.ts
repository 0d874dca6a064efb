/**
 * Hessian eigenvalue density from stochastic Lanczos quadrature (Ghorbani, Krishnan
 * & Xiao 2019; the PyHessian `density_generate` recipe). Each Lanczos run from a
 * random unit vector v gives Ritz values θ_k and weights τ_k² = (first component of
 * the k-th eigenvector of T)², and Σ_k τ_k² δ(λ − θ_k) is a Gauss quadrature of
 * vᵀ δ(λ − H) v, whose expectation over v is the spectral density. Averaging runs and
 * replacing each δ by a Gaussian gives a smooth density that can be plotted.
 */

export interface SlqRun {
  /** Ritz values θ_k (eigenvalues of the Lanczos tridiagonal). */
  values: ArrayLike<number>;
  /** Quadrature weights τ_k², one per Ritz value; they sum to 1 for a unit start vector. */
  weights: ArrayLike<number>;
}

export interface DensityOptions {
  /** Number of evenly spaced grid points (default 2048). */
  gridPoints?: number;
  /** Standard deviation of the Gaussian kernel, in eigenvalue units (default: see `spectralDensity`). */
  sigma?: number;
  /** Margin on each side of [min θ, max θ] as a fraction of that span (default 0.05); never less than 5σ. */
  padding?: number;
}

export interface SpectralDensity {
  grid: number[];
  /** Density at each grid point, normalised so Σ density·dx = 1. */
  density: number[];
  /** The kernel width actually used, so plots can state their resolution. */
  sigma: number;
}

/**
 * SLQ quadrature weights τ_k² from the row-major m×m eigenvector matrix returned by
 * `tridiagonalEigen`: the squares of its first row.
 */
export function ritzWeights(vectors: ArrayLike<number>, m: number): Float64Array {
  if (vectors.length !== m * m) {
    throw new Error(`ritzWeights: expected an ${m}×${m} matrix (${m * m} entries), got ${vectors.length}`);
  }
  const w = new Float64Array(m);
  for (let k = 0; k < m; k++) w[k] = vectors[k] * vectors[k];
  return w;
}

/**
 * Gaussian-smoothed spectral density averaged over SLQ runs.
 *
 * Default sigma: Ghorbani et al. rescale the spectrum to [−1, 1] and use σ² = 1e-5,
 * i.e. σ = √1e-5 · (span / 2) ≈ 0.0016 × span in eigenvalue units. That is narrow
 * enough that the few outlier eigenvalues typical of trained networks stay visible as
 * separate spikes, yet wide enough to merge the Ritz values of the bulk (which differ
 * between runs) into one smooth curve. PyHessian instead uses σ² = 1e-5·max(1, span)
 * and a fixed 0.01 padding, which do not scale with the spectrum; here everything is
 * relative to the span, so the picture does not change when the loss is rescaled.
 * With the default 2048 points the grid spacing is about σ/3.
 *
 * A sigma below the grid spacing is rejected: a Riemann sum with spacing ≤ σ captures
 * a Gaussian's mass to ~1e-8, but a coarser one lets a spike fall between grid points
 * and vanish, or be inflated by the normalisation.
 *
 * The grid spans all runs' Ritz values (PyHessian averages the runs' extremes, which
 * can cut an outlier seen by only some runs) plus a margin of at least 5σ, so edge
 * peaks keep their full mass. The result is then renormalised numerically, as in
 * PyHessian, which also absorbs weights that do not sum exactly to 1.
 */
export function spectralDensity(runs: readonly SlqRun[], options: DensityOptions = {}): SpectralDensity {
  const { gridPoints = 2048, padding = 0.05 } = options;
  if (!Number.isInteger(gridPoints) || gridPoints < 2) {
    throw new Error(`spectralDensity: gridPoints must be an integer ≥ 2, got ${gridPoints}`);
  }
  if (!(Number.isFinite(padding) && padding >= 0)) {
    throw new Error(`spectralDensity: padding must be a finite number ≥ 0, got ${padding}`);
  }
  const [lo, hi] = validatedSpan(runs);

  // A lone Ritz value (all runs agree, or m = 1) has no span; its own magnitude sets the scale.
  const span = hi > lo ? hi - lo : Math.abs(lo) || 1;
  const sigma = options.sigma ?? Math.sqrt(1e-5) * span / 2;
  if (!(Number.isFinite(sigma) && sigma > 0)) {
    throw new Error(`spectralDensity: sigma must be a finite number > 0, got ${sigma}`);
  }
  const margin = Math.max(padding * span, 5 * sigma);
  const width = hi - lo + 2 * margin;
  const dx = width / (gridPoints - 1);
  if (sigma < dx) {
    throw new Error(`spectralDensity: sigma ${sigma} is below the grid spacing ${dx}, so peaks could fall between ` +
      `grid points; use gridPoints ≥ ${Math.ceil(width / sigma) + 1} or a larger sigma`);
  }

  const grid = Array.from({ length: gridPoints }, (_, i) => lo - margin + i * dx);
  // The 1/(σ√2π) kernel constant and the 1/runs average cancel in the final normalisation.
  const density = grid.map((x) => {
    let sum = 0;
    for (const { values, weights } of runs) {
      for (let k = 0; k < values.length; k++) {
        const u = (x - values[k]) / sigma;
        sum += weights[k] * Math.exp(-0.5 * u * u);
      }
    }
    return sum;
  });
  const mass = density.reduce((a, b) => a + b, 0) * dx;
  if (!(mass > 0)) throw new Error('spectralDensity: all weights are zero, so there is no density to normalise');
  return { grid, density: density.map((v) => v / mass), sigma };
}

/** Checks the runs and returns the smallest and largest Ritz value over all of them. */
function validatedSpan(runs: readonly SlqRun[]): [number, number] {
  if (runs.length === 0) throw new Error('spectralDensity: need at least one SLQ run');
  let lo = Infinity;
  let hi = -Infinity;
  runs.forEach(({ values, weights }, r) => {
    if (values.length === 0 || values.length !== weights.length) {
      throw new Error(`spectralDensity: run ${r} has ${values.length} values and ${weights.length} weights; ` +
        'need the same non-zero number of each');
    }
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k]) || !Number.isFinite(weights[k]) || weights[k] < 0) {
        throw new Error(`spectralDensity: run ${r}, entry ${k}: value ${values[k]}, weight ${weights[k]} ` +
          '(values must be finite, weights finite and ≥ 0)');
      }
      lo = Math.min(lo, values[k]);
      hi = Math.max(hi, values[k]);
    }
  });
  return [lo, hi];
}
