/**
 * Spectra for the probe tests. Operators whose spectrum is known exactly: H = Σ_k λ_k·u_k·u_kᵀ
 * with orthonormal u_k from Gram–Schmidt on seeded random vectors, uploaded once and applied on
 * the GPU by one matmul (P×P times P×1), a one-row BlockOperator (blockOf lifts it to k rows). And
 * tiny MLPs whose Hessian (or Hessian blocks) leave power iteration a gap to converge in.
 */
import type { Gpu } from '../../src/gpu/context';
import { releaseDispatches } from '../../src/gpu/context';
import { Tensor } from '../../src/gpu/tensor';
import { prepareMatmul } from '../../src/gpu/ops/matmul';
import type { BlockOperator } from '../../src/probe/block-operator';
import { Rng } from '../../src/util/rng';
import { refHessian, symmetricEigenvalues, type Activation } from '../../src/autograd/reference';
import type { ParamLayout } from '../../src/autograd/layout';
import type { ParamBlock } from '../../src/probe/layer';
import { makeProblem, type Problem } from '../support/nets';

export interface KnownOperator extends BlockOperator {
  /** Eigenvalues, descending. */
  eigenvalues: Float64Array;
  /** Row k is the unit eigenvector of eigenvalues[k] (P×P, row-major). */
  eigenvectors: Float64Array;
  /** The float32 matrix the GPU applies, in float64 (P×P, row-major). */
  dense: Float64Array;
}

export async function knownSpectrum(gpu: Gpu, eigenvalues: ArrayLike<number>, seed: number): Promise<KnownOperator> {
  const P = eigenvalues.length;
  const lambda = Float64Array.from(eigenvalues).sort().reverse();
  const u = orthonormalRows(P, seed);
  const dense = new Float64Array(P * P);
  for (let i = 0; i < P; i++) {
    for (let j = i; j < P; j++) {
      let s = 0;
      for (let k = 0; k < P; k++) s += lambda[k] * u[k * P + i] * u[k * P + j];
      dense[i * P + j] = dense[j * P + i] = Math.fround(s);
    }
  }
  const matrix = Tensor.create(gpu, [P, P], { label: 'known:H', data: Float32Array.from(dense) });
  const input = Tensor.create(gpu, [P], { label: 'known:input' });
  const output = Tensor.create(gpu, [P], { label: 'known:output' });
  const product = await prepareMatmul(gpu, { m: P, n: 1, k: P, a: { buffer: matrix }, b: { buffer: input }, out: { buffer: output } });
  return {
    gpu, size: P, k: 1, input, output, eigenvalues: lambda, eigenvectors: u, dense,
    encode: (encoder) => gpu.encode(encoder, [product]),
    destroy: () => {
      releaseDispatches([product]);
      for (const t of [matrix, input, output]) t.destroy();
    },
  };
}

/** count values evenly spaced over [lo, hi]. */
export function spread(count: number, lo: number, hi: number): number[] {
  return Array.from({ length: count }, (_, i) => lo + ((hi - lo) * i) / Math.max(1, count - 1));
}

/** Rayleigh quotient of v (normalised here) and the relative residual ‖Hv − θv‖/|θ|, in float64. */
export function hostResidual(op: KnownOperator, v: ArrayLike<number>): { rayleigh: number; residual: number } {
  const P = op.size;
  const norm = Math.hypot(...Array.from(v));
  const x = Float64Array.from(v, (a) => a / norm);
  const hx = new Float64Array(P);
  for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) hx[i] += op.dense[i * P + j] * x[j];
  const rayleigh = x.reduce((s, xi, i) => s + xi * hx[i], 0);
  const residual = Math.hypot(...Array.from(hx, (h, i) => h - rayleigh * x[i])) / Math.abs(rayleigh);
  return { rayleigh, residual };
}

/** |⟨v, u_k⟩| / ‖v‖: how well v aligns with eigenvector k. */
export function alignment(op: KnownOperator, v: ArrayLike<number>, k: number): number {
  const P = op.size;
  let dot = 0;
  let sq = 0;
  for (let i = 0; i < P; i++) {
    dot += v[i] * op.eigenvectors[k * P + i];
    sq += v[i] * v[i];
  }
  return Math.abs(dot) / Math.sqrt(sq);
}

/**
 * The slowest per-step contraction of λ's error in topEigenvalue on a (descending) spectrum: the
 * squared ratio of the two largest |λ|, and, when the dominant one is negative, of the shifted run's
 * two largest (λ − λmin).
 */
export function powerContraction(e: ArrayLike<number>): number {
  const n = e.length;
  const magnitudes = Array.from(e, Math.abs).sort((a, b) => b - a);
  const first = (magnitudes[1] / magnitudes[0]) ** 2;
  if (Math.abs(e[0]) >= Math.abs(e[n - 1])) return first;
  return Math.max(first, ((e[1] - e[n - 1]) / (e[0] - e[n - 1])) ** 2);
}

export interface GappedProblem extends Problem {
  /** The float64 dense Hessian (P×P, row-major). */
  hessian: Float64Array;
  /** Eigenvalues (descending) of each requested block. */
  spectra: Float64Array[];
  seed: number;
}

/**
 * The first tiny MLP from seed on whose Hessian blocks power iteration contracts by at most
 * `contraction` per step, so a test can bound its iterations. A random net's top pair is sometimes
 * nearly tied (λ₂/λ₁ > 0.99 in a few percent of draws), which no iteration budget covers.
 */
export async function gappedProblem(
  gpu: Gpu, widths: number[], activation: Activation, count: number, seed: number,
  blocks: (layout: ParamLayout) => ParamBlock[], contraction = 0.9,
): Promise<GappedProblem> {
  for (let s = seed; s < seed + 20; s++) {
    const problem = await makeProblem(gpu, widths, activation, count, s);
    const P = problem.model.layout.size;
    const hessian = refHessian(problem.params, problem.batch, problem.ref);
    const spectra = blocks(problem.model.layout).map(({ offset, size }) => symmetricEigenvalues(
      Float64Array.from({ length: size * size }, (_, k) => hessian[(offset + Math.floor(k / size)) * P + offset + (k % size)]), size));
    if (spectra.every((e) => powerContraction(e) <= contraction)) return { ...problem, hessian, spectra, seed: s };
    problem.model.destroy();
    problem.data.destroy();
  }
  throw new Error(`no ${widths.join('-')} ${activation} net from seed ${seed} on has contraction ≤ ${contraction} in 20 tries`);
}

/** P orthonormal rows: modified Gram–Schmidt, applied twice so float64 orthogonality is to ~1e-15. */
function orthonormalRows(P: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const u = Float64Array.from({ length: P * P }, () => rng.normal());
  for (let k = 0; k < P; k++) {
    const row = u.subarray(k * P, (k + 1) * P);
    for (let pass = 0; pass < 2; pass++) {
      for (let q = 0; q < k; q++) {
        const prev = u.subarray(q * P, (q + 1) * P);
        let d = 0;
        for (let i = 0; i < P; i++) d += row[i] * prev[i];
        for (let i = 0; i < P; i++) row[i] -= d * prev[i];
      }
    }
    const norm = Math.hypot(...row);
    for (let i = 0; i < P; i++) row[i] /= norm;
  }
  return u;
}
