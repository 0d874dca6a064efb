/**
 * Top eigenpairs by subspace iteration with Rayleigh–Ritz on a block operator (k directions per
 * pass over the data). Each iteration: W = A·X (one block pass), the Gram matrix of [X; W] on the
 * GPU (2k × 2k floats back to the host — the only readback), Rayleigh–Ritz on the host in float64
 * (the generalised k × k problem XᵀAX s = θ XᵀX s, so X need not be exactly orthonormal), then
 * X ← W·S with the Ritz coefficients S, each column scaled to unit norm (one k × k × P GEMM).
 *
 * Why this method. The error of θ_i shrinks per iteration by (λ_{k+1}/λ_i)², not by (λ₂/λ₁)² as
 * in power iteration: a trained network's Hessian has about one outlier per class above a bulk
 * near zero, so with k above the number of outliers λ_{k+1}/λ₁ is small and λmax settles in a
 * handful of block passes even when the top pair is nearly tied (power iteration's worst case).
 * A block pass costs far less than k single passes (block-pass.ts), so the iteration count is
 * what matters. Block Lanczos would extract more per pass but needs the whole block basis and a
 * block-tridiagonal reduction in float32; LOBPCG needs 3k-wide Gram matrices and is fragile in
 * float32 once the residuals reach rounding level. Subspace iteration keeps 2k vectors and one
 * k × k problem per step, and each step's Ritz pairs come with Gram-based residual estimates.
 *
 * Signed spectra: the iteration converges to the k eigenvalues of largest |λ|; Rayleigh–Ritz
 * orders them algebraically, so λmax is found as long as fewer than k eigenvalues below −λmax
 * exist. When the most negative Ritz value dominates (θ_min < −|θ_max|, or θ_max < 0: at k = 1 the one
 * θ is the dominant eigenvalue) the iteration switches to A − θ_min·I, whose top end is λmax; the
 * shift is reported.
 *
 * Groups: the block may hold several independent subspaces of equal size (e.g. one per layer,
 * with restrictRows), each with its own Rayleigh–Ritz and shift, all advanced by the same pass.
 *
 * Certification: at the end the Ritz vectors' residuals ‖Ay − θy‖ are formed explicitly on the
 * GPU from W (not from the Gram algebra).
 *
 * At k = 1 this is power iteration: X ← A·X/‖A·X‖, θ its Rayleigh quotient, stopped by hasSettled
 * on θ's history — the solver the trajectory traces (λmax during training, full-batch descent)
 * run with a warm start.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { releaseDispatches, type Dispatch } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import { prepareMatmul } from '../gpu/ops/matmul';
import { prepareAxpby } from '../gpu/ops/elementwise';
import { checkDims } from '../gpu/ops/operand';
import { Rng } from '../util/rng';
import type { BlockOperator } from './block-operator';
import { GRAM_MAX_ROWS, copyVector, prepareGram, randomVector } from './vector-ops';

export interface BlockEigenOptions {
  /** Eigenpairs wanted per group, judged for convergence (default 1: λmax). At most the group size. */
  want?: number;
  /** Target relative accuracy of each wanted θ (default 1e-4): see hasSettled. */
  tol?: number;
  /** Block passes at most (default 100). */
  maxIter?: number;
  seed?: number;
  /** Independent equal-size groups in the block (default 1). */
  groups?: number;
  /** Return the Ritz vectors (group-major, descending within a group) as a k × size tensor. */
  vectors?: boolean;
  /**
   * Warm start: begin from these k × size rows (any scale; not modified) instead of random ones —
   * e.g. the previous Ritz vectors when λmax is traced along a trajectory, where a few passes suffice.
   */
  start?: Tensor;
}

export interface BlockEigenGroup {
  /** The wanted top Ritz values, largest first. */
  values: number[];
  /** ‖Ay − θy‖ for each unit Ritz vector y, formed on the GPU: some eigenvalue lies within it of θ. */
  residuals: number[];
  /**
   * θ settled to tol — by its history (hasSettled) or by the Ritz bound r²/gap ≤ tol·|θ| —
   * and the explicit residual ≤ √(2·tol)·max|θ| of the group.
   */
  converged: boolean[];
  /** Every Ritz value of the group's subspace, descending (the last is its most negative curvature seen). */
  ritzValues: number[];
  /** The top Ritz value after each pass. */
  history: number[];
  /** The final shift σ (0 unless the negative end dominated). */
  shift: number;
}

export interface BlockEigenResult {
  groups: BlockEigenGroup[];
  /** Block passes. */
  iterations: number;
  /** Operator applications (iterations × block size), for comparison with single-vector solvers. */
  hvps: number;
  /** With `vectors`: Ritz vectors, row g·(k/groups) + i = group g's i-th; the caller destroys it. */
  vectors?: Tensor;
}

/** B's eigenvalues below this fraction of its largest are float32 noise: those directions are dropped and redrawn. */
const RANK_TOL = 1e-6;
/** Relative float32 rounding of a Gram entry of length-P rows, with margin: the floor of r² = ‖W·s‖² − θ'². */
const GRAM_NOISE = 1e-5;

export async function blockEigen(op: BlockOperator, options: BlockEigenOptions = {}): Promise<BlockEigenResult> {
  const { tol = 1e-4, maxIter = 100, seed = 0, groups = 1, want = 1 } = options;
  checkDims('blockEigen', { maxIter, groups, want });
  if (!(tol > 0 && Number.isFinite(tol))) throw new Error(`blockEigen: tol must be a finite number > 0, got ${tol}`);
  const { gpu, size: n, k, input: X, output: W } = op;
  if (k % groups !== 0) throw new Error(`blockEigen: a block of ${k} cannot split into ${groups} equal groups`);
  const b = k / groups;
  if (want > b) throw new Error(`blockEigen: ${want} eigenpairs wanted from groups of ${b} vectors; use a larger block`);
  if (2 * k > GRAM_MAX_ROWS) throw new Error(`blockEigen: a block of ${k} exceeds the ${GRAM_MAX_ROWS / 2} the Gram product handles`);
  if (options.start && options.start.size !== k * n) {
    throw new Error(`blockEigen: the start block has ${options.start.size} entries but the operator's block holds ${k} × ${n}`);
  }

  const owned: Tensor[] = [];
  const make = (shape: number[], label: string) => {
    const t = Tensor.create(gpu, shape, { label });
    owned.push(t);
    return t;
  };
  const gram = make([4 * k * k], 'block-eigen:gram');
  const shifts = make([groups], 'block-eigen:shifts');
  const coef = make([k, 2 * k], 'block-eigen:coefficients');
  const prepared: Dispatch[] = [];
  let vectors: Tensor | undefined;
  try {
    const shiftSteps = await Promise.all(Array.from({ length: groups }, (_, g) => prepareAxpby(gpu, b * n, -1,
      { buffer: X, offset: g * b * n }, 1, { buffer: W, offset: g * b * n }, { kind: 'scalar', scalars: shifts, slot: g })));
    const gramStep = await prepareGram(gpu, { basis: X, n, rows: k }, { basis: W, n, rows: k }, gram);
    // X ← C·W with C = coef[:, :k] (row i: the new vector i's coefficients over W's rows).
    const advance = await prepareMatmul(gpu, { m: k, n, k, a: { buffer: coef, ld: 2 * k }, b: { buffer: W }, out: { buffer: X } });
    prepared.push(...shiftSteps, ...gramStep, advance);

    const rng = new Rng(seed);
    if (options.start) gpu.submit((encoder) => copyVector(encoder, options.start!, X, k * n));
    else X.write(randomVector(rng, k * n, 'normal'));
    const sigma = new Float64Array(groups);
    const state = Array.from({ length: groups }, () => ({
      histories: Array.from({ length: want }, () => [] as number[]), rr: undefined as RitzStep | undefined, settled: [] as boolean[],
    }));
    let iterations = 0;
    for (;;) {
      shifts.write(Float32Array.from(sigma));
      gpu.submit((encoder) => {
        op.encode(encoder);
        gpu.encode(encoder, [...shiftSteps, ...gramStep]);
      });
      iterations++;
      const G = Float64Array.from(await gram.read());
      let done = true;
      const next = new Float32Array(k * 2 * k);
      const redraw: number[] = [];
      for (let g = 0; g < groups; g++) {
        const rr = rayleighRitz(G, 2 * k, g * b, b, iterations);
        state[g].rr = rr;
        for (let i = 0; i < want; i++) state[g].histories[i].push(i < rr.theta.length ? rr.theta[i] + sigma[g] : NaN);
        state[g].settled = state[g].histories.map((h, i) => hasSettled(h, tol) || ritzBound(rr, i, tol, sigma[g]));
        done &&= state[g].settled.every(Boolean);
        // The next basis: W·s_i / ‖W·s_i‖ for the kept directions, fresh random rows for the rest.
        for (let i = 0; i < b; i++) {
          const row = g * b + i;
          const norm = i < rr.theta.length ? Math.sqrt(rr.wNorm2[i]) : 0;
          if (!(norm > 0)) {
            redraw.push(row);
            continue;
          }
          for (let j = 0; j < b; j++) next[row * 2 * k + g * b + j] = rr.s[i][j] / norm;
        }
      }
      if (done || iterations >= maxIter) break;
      for (let g = 0; g < groups; g++) {
        const rr = state[g].rr!;
        const top = rr.theta[0] + sigma[g];
        const bottom = rr.theta[rr.theta.length - 1] + sigma[g];
        // top < 0 adds the one-vector group (top = bottom): its θ is the dominant eigenvalue, negative here.
        if (bottom < -Math.abs(top) || top < 0) sigma[g] = bottom;
      }
      coef.write(next);
      gpu.submit((step) => gpu.encode(step, [advance]));
      // Queue order puts these writes after the GEMM that filled the other rows.
      for (const row of redraw) X.write(randomVector(rng, n, 'normal'), row * n);
    }

    // Ritz vectors y = X·s and residuals A·y − θy = W·s − θ'·X·s (θ' = θ − σ, W = (A − σ)X).
    const finalCoef = new Float32Array(k * 2 * k);
    const ritzCoef = new Float32Array(k * 2 * k);
    for (let g = 0; g < groups; g++) {
      const rr = state[g].rr!;
      rr.theta.forEach((t, i) => {
        const row = g * b + i;
        for (let j = 0; j < b; j++) {
          finalCoef[row * 2 * k + g * b + j] = -t * rr.s[i][j];
          finalCoef[row * 2 * k + k + g * b + j] = rr.s[i][j];
          ritzCoef[row * 2 * k + g * b + j] = rr.s[i][j];
        }
      });
    }
    const residual = make([k, n], 'block-eigen:residual');
    const resGram = make([k * k], 'block-eigen:residual-gram');
    const finish: Dispatch[] = [
      await prepareMatmul(gpu, { m: k, n, k, a: { buffer: coef, ld: 2 * k }, b: { buffer: X }, out: { buffer: residual } }),
      await prepareMatmul(gpu, { m: k, n, k, a: { buffer: coef, offset: k, ld: 2 * k }, b: { buffer: W }, out: { buffer: residual }, epilogue: { kind: 'store', accumulate: true } }),
      ...await prepareGram(gpu, { basis: residual, n, rows: k }, undefined, resGram),
    ];
    prepared.push(...finish);
    coef.write(finalCoef);
    gpu.run(finish);
    const R = await resGram.read();
    if (options.vectors) {
      vectors = Tensor.create(gpu, [k, n], { label: 'block-eigen:ritz-vectors' });
      const combine = await prepareMatmul(gpu, { m: k, n, k, a: { buffer: coef, ld: 2 * k }, b: { buffer: X }, out: { buffer: vectors } });
      prepared.push(combine);
      coef.write(ritzCoef);
      gpu.run([combine]);
    }
    const result: BlockEigenResult = {
      groups: state.map(({ rr, histories, settled }, g) => {
        const theta = Array.from(rr!.theta, (t) => t + sigma[g]);
        const scale = Math.max(...theta.map(Math.abs));
        const residuals = theta.slice(0, want).map((_, i) => Math.sqrt(Math.max(0, R[(g * b + i) * (k + 1)])));
        return {
          values: theta.slice(0, want),
          residuals,
          converged: residuals.map((r, i) => settled[i] && r <= Math.sqrt(2 * tol) * scale),
          ritzValues: theta,
          history: histories[0],
          shift: sigma[g],
        };
      }),
      iterations,
      hvps: iterations * k,
    };
    if (vectors) result.vectors = vectors;
    return result;
  } catch (err) {
    vectors?.destroy();
    throw err;
  } finally {
    releaseDispatches(prepared);
    for (const t of owned) t.destroy();
  }
}

/** topEigenpair's options: blockEigen's for one group, with maxIter counted as power iteration counts it. */
export interface TopEigenpairOptions extends Pick<BlockEigenOptions, 'tol' | 'seed' | 'start'> {
  /**
   * Iterations at most, as power iteration counts them (default 100): maxIter + 1 block passes, the
   * last being the product that certifies the vector — so at k = 1 the products, the stopping rule
   * (hasSettled) and the final estimate (the Rayleigh quotient of the maxIter-th iterate) are those
   * of maxIter power iterations.
   */
  maxIter?: number;
}

export interface TopEigenpair {
  /** λmax of the operator (the top Ritz value; shifted iteration when the negative end dominated). */
  eigenvalue: number;
  /** The block's Ritz vectors, top first (row 0 is λmax's): the next call's warm start. The caller destroys it. */
  vector: Tensor;
  /** ‖Ay − λy‖ / |λ| for the top Ritz vector y. */
  residual: number;
  converged: boolean;
  /** Block passes. */
  iterations: number;
  hvps: number;
  /** λ after each pass. */
  history: number[];
}

/**
 * λmax and its vector, kept on the GPU for the next call's warm start: the solver of the traces
 * along a trajectory (λmax during training, full-batch descent, edge of stability), which run it
 * on a one-row operator — power iteration — from the previous check's vector.
 */
export async function topEigenpair(op: BlockOperator, options: TopEigenpairOptions = {}): Promise<TopEigenpair> {
  const { maxIter = 100, ...rest } = options;
  checkDims('topEigenpair', { maxIter });
  const r = await blockEigen(op, { ...rest, maxIter: maxIter + 1, vectors: true });
  const [g] = r.groups;
  return {
    eigenvalue: g.values[0], vector: r.vectors!, residual: g.residuals[0] / Math.abs(g.values[0]), converged: g.converged[0],
    iterations: r.iterations, hvps: r.hvps, history: g.history,
  };
}

/**
 * The a-posteriori estimate of Rayleigh–Ritz (Kato–Temple): θ_i is within r_i²/gap_i of an eigenvalue
 * when the rest of the spectrum is at least gap_i away. The gap is estimated by the neighbouring Ritz
 * values (as ARPACK's Ritz estimates do); the explicit residual at the end still bounds |θ − λ| ≤ r.
 * r_i = ‖(A − σ)y_i − θ'_i·y_i‖ comes from the Gram matrix, r² = ‖W·s‖² − θ'², which carries float32
 * noise of order GRAM_NOISE·θ'²; the estimate is used only when its threshold tol·|θ|·gap is above
 * that (not under a large shift, or a tiny tol or gap). It lets a well-separated θ
 * stop after one or two passes instead of the three its history needs; tied pairs fall back on it.
 */
function ritzBound(rr: RitzStep, i: number, tol: number, sigma: number): boolean {
  const t = rr.theta;
  if (i + 1 >= t.length) return false;
  const gap = Math.min(t[i] - t[i + 1], i > 0 ? t[i - 1] - t[i] : Infinity);
  const r2 = Math.max(0, rr.wNorm2[i] - t[i] * t[i]);
  const threshold = tol * Math.abs(t[i] + sigma) * gap;
  // r² is a difference of float32 Gram sums of size θ'²: below ~1e-5·θ'² it is rounding, not residual.
  return gap > 0 && threshold > GRAM_NOISE * t[i] * t[i] && r2 <= threshold;
}

interface RitzStep {
  /** Ritz values of the (shifted) operator, descending. */
  theta: number[];
  /** s[i]: coefficients of Ritz vector i over the group's rows of X, with ‖X·s‖ = 1. */
  s: Float64Array[];
  /** ‖W·s_i‖². */
  wNorm2: number[];
}

/**
 * Rayleigh–Ritz for the rows [off, off + b) of X and W, from the Gram matrix of [X; W] (r × r,
 * r = 2k, X's rows first): eigenpairs of XᵀWs = θ·XᵀXs, with XᵀX's numerically null directions
 * (float32 rounding) left out — fewer Ritz pairs then, and the caller redraws the missing rows.
 */
function rayleighRitz(G: Float64Array, r: number, off: number, b: number, iteration: number): RitzStep {
  const k = r / 2;
  const block = (ro: number, co: number) => {
    const m = new Matrix(b, b);
    for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) m.set(i, j, 0.5 * (G[(ro + i) * r + co + j] + G[(ro + j) * r + co + i]));
    return m;
  };
  const B = block(off, off);
  const M = block(off, k + off);
  const WW = block(k + off, k + off);
  for (const v of [...B.to1DArray(), ...M.to1DArray()]) {
    if (!Number.isFinite(v)) {
      throw new Error(`blockEigen: the Gram matrix is not finite at iteration ${iteration}; the operator returned non-finite values`);
    }
  }
  const eb = new EigenvalueDecomposition(B, { assumeSymmetric: true });
  const lambda = eb.realEigenvalues;
  const top = Math.max(...lambda);
  const kept = lambda.map((l, i) => [l, i]).filter(([l]) => l > RANK_TOL * top).map(([, i]) => i);
  if (kept.length === 0) throw new Error(`blockEigen: the block collapsed to zero at iteration ${iteration}; the operator returned a zero map`);
  // Z = U_kept·Λ^{-1/2}: the columns of X·Z are orthonormal; T = ZᵀMZ.
  const Z = new Matrix(b, kept.length);
  kept.forEach((idx, c) => {
    for (let i = 0; i < b; i++) Z.set(i, c, eb.eigenvectorMatrix.get(i, idx) / Math.sqrt(lambda[idx]));
  });
  const T = Z.transpose().mmul(M).mmul(Z);
  const sym = new Matrix(kept.length, kept.length);
  for (let i = 0; i < kept.length; i++) for (let j = 0; j < kept.length; j++) sym.set(i, j, 0.5 * (T.get(i, j) + T.get(j, i)));
  const et = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  const order = et.realEigenvalues.map((t, i) => [t, i]).sort((a, c) => c[0] - a[0]);
  const S = Z.mmul(et.eigenvectorMatrix);
  const s = order.map(([, i]) => Float64Array.from({ length: b }, (_, row) => S.get(row, i)));
  const wNorm2 = s.map((v) => {
    let q = 0;
    for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) q += v[i] * WW.get(i, j) * v[j];
    return q;
  });
  return { theta: order.map(([t]) => t), s, wNorm2 };
}

/**
 * λ has settled when its last change is below tol·|λ| and so is the remaining change, extrapolated
 * geometrically from the last two (Aitken: Δₖ·ρ/(1 − ρ) with ρ = Δₖ/Δₖ₋₁). The second test matters
 * for a near-degenerate top pair: the error then shrinks by only (λ₂/λ₁)² per step, so each step
 * moves λ very little although λ is still far from its limit. The rate estimate needs changes well
 * above float32 resolution (~1e-7·|λ|), so a pair closer than ~1e-3 relative can still pass with v
 * a mix of both eigenvectors; λ is then within the gap of both, and the residual shows the mix.
 */
export function hasSettled(mu: readonly number[], tol: number): boolean {
  const k = mu.length;
  if (k < 2) return false;
  const bound = tol * Math.abs(mu[k - 1]);
  const last = Math.abs(mu[k - 1] - mu[k - 2]);
  if (last === 0) return true;
  if (last > bound || k < 3) return false;
  const rate = last / Math.abs(mu[k - 2] - mu[k - 3]);
  return rate < 1 && (last * rate) / (1 - rate) <= bound;
}
