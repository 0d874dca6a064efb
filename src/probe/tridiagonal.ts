/**
 * Eigen-decomposition of the small symmetric tridiagonal matrix that Lanczos
 * builds on the GPU. The Hessian itself never leaves the device; only alpha and
 * beta (a few hundred numbers) come back, and their eigenpairs give the Ritz
 * values, the SLQ quadrature weights (first eigenvector components) and the
 * coefficients that turn Lanczos vectors into Ritz vectors.
 *
 * Implicit QL with a Wilkinson shift (the EISPACK tql2 / Numerical Recipes
 * tqli scheme), in float64 and plain TypeScript so the same code runs in the
 * browser. The O(m³) cost (about 20 ms at m = 200 in Node) is negligible next to the
 * m Hessian-vector products that produced T.
 */

export interface TridiagonalEigen {
  /** Eigenvalues, sorted descending. */
  values: Float64Array;
  /** m×m row-major: column j (vectors[i*m + j]) is the unit eigenvector of values[j]. */
  vectors: Float64Array;
}

/** Wilkinson-shifted QL converges in 1–3 sweeps per eigenvalue; 30 means something is broken. */
const MAX_SWEEPS = 30;

/**
 * Eigenpairs of T = tridiag(beta, alpha, beta): alpha[0..m-1] on the diagonal,
 * beta[0..m-2] on both off-diagonals. Zero betas (Lanczos breakdown or a
 * reducible T) are handled by deflation; repeated and negative eigenvalues are fine.
 * Throws on bad shapes, non-finite input, or if an eigenvalue fails to converge.
 */
export function tridiagonalEigen(alpha: ArrayLike<number>, beta: ArrayLike<number>): TridiagonalEigen {
  const m = alpha.length;
  if (beta.length !== Math.max(m - 1, 0)) {
    throw new Error(`tridiagonalEigen: beta must have length m−1 = ${Math.max(m - 1, 0)} for alpha of length ${m}, got ${beta.length}`);
  }
  const d = Float64Array.from(alpha);
  // e[i] couples rows i and i+1; the trailing zero lets the deflation scan stop at m−1 without a bounds check.
  const e = new Float64Array(m);
  e.set(beta);
  for (let i = 0; i < m; i++) {
    if (!Number.isFinite(d[i]) || !Number.isFinite(e[i])) {
      throw new Error(`tridiagonalEigen: non-finite entry at index ${i} (alpha=${d[i]}, beta=${e[i]})`);
    }
  }
  const z = new Float64Array(m * m);
  for (let i = 0; i < m; i++) z[i * m + i] = 1;

  for (let l = 0; l < m; l++) {
    for (let sweep = 0; ; sweep++) {
      // Find the first negligible off-diagonal at or below l: T splits there, and
      // the block l..k is the only part that still needs work.
      let k = l;
      while (k < m - 1 && Math.abs(e[k]) > Number.EPSILON * (Math.abs(d[k]) + Math.abs(d[k + 1]))) k++;
      if (k === l) break;
      if (sweep === MAX_SWEEPS) {
        throw new Error(`tridiagonalEigen: eigenvalue ${l} of ${m} did not converge after ${MAX_SWEEPS} QL sweeps ` +
          `(|offdiag| = ${Math.abs(e[l]).toExponential(3)}); the input is likely ill-scaled`);
      }
      qlSweep(d, e, z, m, l, k);
    }
  }
  return sortDescending(d, z, m);
}

/** One implicit QL sweep with Wilkinson shift over the unreduced block l..k, accumulating the rotations into z. */
function qlSweep(d: Float64Array, e: Float64Array, z: Float64Array, m: number, l: number, k: number): void {
  // Shift = eigenvalue of the leading 2×2 closer to d[l], which gives cubic convergence.
  let g = (d[l + 1] - d[l]) / (2 * e[l]);
  let r = Math.hypot(g, 1);
  g = d[k] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
  let s = 1;
  let c = 1;
  let p = 0;
  for (let i = k - 1; i >= l; i--) {
    const f = s * e[i];
    const b = c * e[i];
    r = Math.hypot(f, g);
    e[i + 1] = r;
    if (r === 0) {
      // The bulge vanished (an off-diagonal underflowed): T has split at i, so stop
      // the chase here and let the caller re-scan for the new block boundaries.
      d[i + 1] -= p;
      e[k] = 0;
      return;
    }
    s = f / r;
    c = g / r;
    g = d[i + 1] - p;
    r = (d[i] - g) * s + 2 * c * b;
    p = s * r;
    d[i + 1] = g + p;
    g = c * r - b;
    for (let row = 0; row < m; row++) {
      const zi = row * m + i;
      const zi1 = zi + 1;
      const t = z[zi1];
      z[zi1] = s * z[zi] + c * t;
      z[zi] = c * z[zi] - s * t;
    }
  }
  d[l] -= p;
  e[l] = g;
  e[k] = 0;
}

function sortDescending(d: Float64Array, z: Float64Array, m: number): TridiagonalEigen {
  const order = Array.from({ length: m }, (_, j) => j).sort((a, b) => d[b] - d[a]);
  const values = new Float64Array(m);
  const vectors = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    const src = order[j];
    values[j] = d[src];
    for (let i = 0; i < m; i++) vectors[i * m + j] = z[i * m + src];
  }
  return { values, vectors };
}
