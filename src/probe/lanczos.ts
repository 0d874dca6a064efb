/**
 * Lanczos with full reorthogonalisation on the GPU, on a one-row operator (the negative-end solver,
 * lowest.ts, builds on it), and the spectral density by stochastic Lanczos quadrature with several
 * runs advanced together in block passes.
 *
 * Step j: w = A·v_j, α_j = v_jᵀw, then classical Gram–Schmidt of w against all of v_0..v_j, done
 * twice ("twice is enough": one pass leaves errors of order ε·‖Av‖/β, the second removes them).
 * That subsumes the three-term recurrence, whose α_j·v_j and β_{j−1}·v_{j−1} are among the
 * projections. Then β_j = ‖w‖ and v_{j+1} = w/β_j. Without reorthogonalisation, float32 Lanczos
 * loses orthogonality within a few dozen steps and repeats converged eigenvalues as ghosts.
 *
 * Host traffic: each step is its own submission (short command buffers stay clear of GPU
 * watchdogs) and α_j, β_j² collect in a GPU array that is read once, at the end — or, with a `stop`
 * rule, two scalars per step, so a solver (lanczos-top.ts) can end the run when its value settles.
 *
 * Breakdown: β_j ≈ 0 means span(v_0..v_j) is invariant under A: its Ritz values are exact
 * eigenvalues and the start vector has nothing more to show. The run stops there (fewer steps,
 * invariant: true); the steps already queued after it normalised a zero vector and are discarded.
 * Restarting with a random orthogonal vector would go on into eigenvectors that have zero weight
 * in the start vector — invisible to SLQ — and T would no longer describe one Krylov space.
 */
import { releaseDispatches, type Dispatch, type Gpu } from '../gpu/context';
import { LimitError } from '../gpu/errors';
import { Tensor } from '../gpu/tensor';
import { prepareReduce } from '../gpu/ops/reduce';
import { checkDims } from '../gpu/ops/operand';
import { Rng } from '../util/rng';
import { requireOneRow, type BlockOperator } from './block-operator';
import { tridiagonalEigen, type TridiagonalEigen } from './tridiagonal';
import { ritzWeights, spectralDensity, type DensityOptions, type SpectralDensity } from './density';
import { copyVector, prepareCombine, prepareNormalize, prepareProject, randomVector } from './vector-ops';

/** 8 float32 unit roundoffs: the constant of the breakdown default (see LanczosOptions.breakdownTol). */
const FLOAT32_NOISE = 8 * 2 ** -24;

export interface LanczosOptions {
  /** Lanczos vectors to build; capped at the operator's size, the largest a Krylov space can be. */
  steps: number;
  /** Seed of the random normal start vector (unused when `start` is given). */
  seed?: number;
  /** Start vector, any nonzero scale (it is normalised on the GPU). */
  start?: ArrayLike<number>;
  /**
   * β_j ≤ breakdownTol·max(|α|, β) over the steps so far counts as breakdown. Default 8·2⁻²⁴·√n: in
   * float32, A·v and the Gram–Schmidt passes sum n terms, so a w that is zero in exact arithmetic
   * keeps a norm of order u·√n·‖A‖ (measured ~5e-7·‖A‖ at n = 80); a fixed 1e-6 sat inside that noise.
   */
  breakdownTol?: number;
  /**
   * Called after each step with α and β so far (one entry per step); returning true ends the run
   * there. Each call reads that step's two scalars back, so the steps run one submission at a time.
   */
  stop?: (alpha: Float64Array, beta: Float64Array) => boolean;
}

export interface LanczosResult {
  /** Diagonal of the tridiagonal T, one entry per step. */
  alpha: Float64Array;
  /** beta[j] = ‖w_j‖ couples v_j to v_{j+1}: T's off-diagonal is beta[0..steps−2], and beta[steps−1] scales the Ritz residuals. */
  beta: Float64Array;
  steps: number;
  /** A β fell below breakdownTol: the Krylov space is invariant and its Ritz values are eigenvalues of A. */
  invariant: boolean;
  /** The Lanczos vectors as rows of a row-major buffer (rows 0..steps−1 valid); the caller destroys it. */
  basis: Tensor;
  hvps: number;
}

export async function lanczos(op: BlockOperator, options: LanczosOptions): Promise<LanczosResult> {
  const { seed = 0 } = options;
  checkDims('lanczos', { steps: options.steps });
  requireOneRow(op, 'lanczos');
  const { gpu, size: n, output: w } = op;
  const breakdownTol = options.breakdownTol ?? FLOAT32_NOISE * Math.sqrt(n);
  const m = Math.min(options.steps, n);
  const basis = createBasis(gpu, m, n);
  // α_j at [2j], β_j² at [2j + 1], so the end of the run is one read.
  const tri = Tensor.create(gpu, [2 * m], { label: 'lanczos:alpha-beta2' });
  const coeffs = Tensor.create(gpu, [m], { label: 'lanczos:gram-schmidt' });
  const prepared: Dispatch[][] = [];
  try {
    const start = options.start ?? randomVector(new Rng(seed), n, 'normal');
    if (start.length !== n) throw new Error(`lanczos: start vector has ${start.length} entries; the operator has ${n}`);
    // The start vector waits in w (free until the first product); coeffs[0] holds its norm² until step 0.
    w.write(start);
    const first = await prepareNormalize(gpu, n, { buffer: w }, { buffer: basis }, coeffs, 0);
    prepared.push(first);
    for (let j = 0; j < m; j++) prepared.push(await prepareStep(gpu, j, m, n, basis, w, tri, coeffs));

    gpu.run(first);
    const ab: number[] = [];
    for (let j = 0; j < m; j++) {
      gpu.submit((encoder) => {
        copyVector(encoder, basis, op.input, n, j * n);
        op.encode(encoder);
        gpu.encode(encoder, prepared[j + 1]);
      });
      if (!options.stop) continue;
      ab.push(...await tri.read(2 * j, 2));
      const t = tridiagonalFrom(ab, j + 1, breakdownTol);
      if (t.invariant || options.stop(t.alpha, t.beta)) return { ...t, basis, hvps: j + 1 };
    }
    return { ...tridiagonalFrom(options.stop ? ab : await tri.read(), m, breakdownTol), basis, hvps: m };
  } catch (err) {
    basis.destroy();
    throw err;
  } finally {
    releaseDispatches(prepared.flat());
    tri.destroy();
    coeffs.destroy();
  }
}

/** α_j = v_jᵀAv_j, Gram–Schmidt twice against v_0..v_j, then β_j² and (unless last) v_{j+1}. */
async function prepareStep(
  gpu: Gpu, j: number, m: number, n: number, basis: Tensor, w: Tensor, tri: Tensor, coeffs: Tensor,
): Promise<Dispatch[]> {
  const rows = { basis, n, rows: j + 1 };
  const gramSchmidt = [await prepareProject(gpu, rows, w, coeffs), await prepareCombine(gpu, rows, coeffs, 0, w, -1, 1)];
  const wv = { buffer: w };
  const next = j + 1 < m
    ? await prepareNormalize(gpu, n, wv, { buffer: basis, offset: (j + 1) * n }, tri, 2 * j + 1)
    : await prepareReduce(gpu, { kind: 'sqnorm', n, x: wv, out: tri, slot: 2 * j + 1 });
  return [
    ...await prepareReduce(gpu, { kind: 'dot', n, x: { buffer: basis, offset: j * n }, y: wv, out: tri, slot: 2 * j }),
    ...gramSchmidt,
    ...gramSchmidt,
    ...next,
  ];
}

function createBasis(gpu: Gpu, m: number, n: number): Tensor {
  const bytes = m * n * 4;
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  if (bytes > limit) {
    throw new LimitError(
      `lanczos: ${m} basis vectors of ${n} parameters need ${bytes} bytes in one buffer, but this adapter binds at most ` +
        `${limit} bytes (${gpu.adapter.description}). Fix: use at most ${Math.floor(limit / (4 * n))} steps, or probe a smaller operator.`,
    );
  }
  return Tensor.create(gpu, [m, n], { label: 'lanczos:basis' });
}

/** α and β of the valid steps from the GPU's [α_j, β_j²] pairs. */
function tridiagonalFrom(ab: ArrayLike<number>, m: number, breakdownTol: number): Pick<LanczosResult, 'alpha' | 'beta' | 'steps' | 'invariant'> {
  const { steps, invariant } = validSteps(ab, m, breakdownTol);
  const alpha = Float64Array.from({ length: steps }, (_, j) => ab[2 * j]);
  const beta = Float64Array.from({ length: steps }, (_, j) => Math.sqrt(ab[2 * j + 1]));
  return { alpha, beta, steps, invariant };
}

/** The steps up to and including the first breakdown; a non-finite α or β before it is an error. */
function validSteps(ab: ArrayLike<number>, m: number, tol: number): { steps: number; invariant: boolean } {
  let scale = 0;
  for (let j = 0; j < m; j++) {
    const a = ab[2 * j];
    const b = Math.sqrt(ab[2 * j + 1]);
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      throw new Error(`lanczos: step ${j} gave α = ${a}, β = ${b}; the operator returned non-finite values ` +
        '(or the start vector was zero)');
    }
    scale = Math.max(scale, Math.abs(a), b);
    if (b <= tol * scale) return { steps: j + 1, invariant: true };
  }
  return { steps: m, invariant: false };
}

/** y and ‖A·y − θ·y‖ (float64 on the host), for a unit vector y on the GPU: one operator application. */
export async function explicitResidual(op: BlockOperator, y: Tensor, theta: number): Promise<{ y: Float32Array; residual: number }> {
  op.gpu.submit((encoder) => {
    encoder.copyBufferToBuffer(y.buffer, 0, op.input.buffer, 0, op.size * 4);
    op.encode(encoder);
  });
  const [v, av] = [(await y.read()) as Float32Array, await op.output.read()];
  let r2 = 0;
  for (let j = 0; j < op.size; j++) r2 += (av[j] - theta * v[j]) ** 2;
  return { y: v, residual: Math.sqrt(r2) };
}

/** Eigenpairs of the run's T (Ritz values descending, and the coefficients of the Ritz vectors in the basis). */
export function ritz(run: Pick<LanczosResult, 'alpha' | 'beta' | 'steps'>): TridiagonalEigen {
  return tridiagonalEigen(run.alpha, run.beta.subarray(0, run.steps - 1));
}

/** y_j = Vᵀs_j for the eigenvectors s_j of T in `columns` (indices into the descending Ritz values). */
export async function ritzVectors(gpu: Gpu, run: Pick<LanczosResult, 'steps' | 'basis'>, s: Float64Array, columns: readonly number[]): Promise<Tensor[]> {
  const m = run.steps;
  const n = run.basis.shape[1];
  const count = columns.length;
  // Row j of the upload holds column columns[j] of S, the coefficients of that Ritz vector.
  const coeffs = Tensor.create(gpu, [count, m], {
    label: 'lanczos:ritz-coefficients', data: Float32Array.from({ length: count * m }, (_, i) => s[(i % m) * m + columns[Math.floor(i / m)]]),
  });
  const out = Array.from({ length: count }, (_, j) => Tensor.create(gpu, [n], { label: `lanczos:ritz-vector-${j}` }));
  const rows = { basis: run.basis, n, rows: m };
  const dispatches = await Promise.all(out.map((y, j) => prepareCombine(gpu, rows, coeffs, j * m, y, 1, 0)));
  gpu.run(dispatches);
  await gpu.sync();
  releaseDispatches(dispatches);
  coeffs.destroy();
  return out;
}

export interface SlqOptions extends DensityOptions {
  /**
   * Random start vectors (default 1, PyHessian's n_v): for large P the quadratic form vᵀδ(λ − H)v of
   * one Rademacher vector already concentrates around the density (relative spread ∝ 1/√P).
   */
  runs?: number;
  /**
   * Lanczos steps per run (default 80, below PyHessian's 100 for speed): 80 Gauss nodes place a Ritz
   * value on each outlier and spread the rest over the bulk, which the Gaussian kernel smooths anyway.
   */
  steps?: number;
  seed?: number;
}

export interface SlqResult extends SpectralDensity {
  /** Each run's Ritz values and quadrature weights. */
  runs: { values: number[]; weights: number[] }[];
  hvps: number;
}

/**
 * SLQ with several runs advanced together on a block operator: run r's Lanczos vector j is row r of
 * the block's input, so one block pass applies A to every run's vector, and each run's Gram–Schmidt
 * then proceeds as in lanczos(). The start vectors are Rademacher vectors drawn from the seeded stream,
 * run by run (the single-vector reference in test/support draws the same ones in the same order); runs
 * cost one block pass per step instead of one HVP per step each. Rows beyond `runs` are zero.
 */
export async function spectralDensityBlock(op: BlockOperator, options: SlqOptions = {}): Promise<SlqResult> {
  const { runs = op.k, steps = 80, seed = 0, ...densityOptions } = options;
  checkDims('spectralDensityBlock', { runs, steps });
  if (runs > op.k) throw new Error(`spectralDensityBlock: ${runs} runs exceed the block of ${op.k} directions`);
  const { gpu, size: n } = op;
  const m = Math.min(steps, n);
  const breakdownTol = FLOAT32_NOISE * Math.sqrt(n);
  const rng = new Rng(seed);
  const owned: Tensor[] = [];
  const prepared: Dispatch[][] = [];
  try {
    const lanes: { basis: Tensor; w: Tensor; tri: Tensor; first: Dispatch[]; steps: Dispatch[][] }[] = [];
    for (let r = 0; r < runs; r++) {
      const basis = createBasis(gpu, m, n);
      owned.push(basis);
      const w = Tensor.create(gpu, [n], { label: `slq${r}:w` });
      const tri = Tensor.create(gpu, [2 * m], { label: `slq${r}:alpha-beta2` });
      const coeffs = Tensor.create(gpu, [m], { label: `slq${r}:gram-schmidt` });
      owned.push(w, tri, coeffs);
      w.write(randomVector(rng, n, 'rademacher'));
      const first = await prepareNormalize(gpu, n, { buffer: w }, { buffer: basis }, coeffs, 0);
      const stepDispatches: Dispatch[][] = [];
      for (let j = 0; j < m; j++) stepDispatches.push(await prepareStep(gpu, j, m, n, basis, w, tri, coeffs));
      prepared.push(first, ...stepDispatches);
      lanes.push({ basis, w, tri, first, steps: stepDispatches });
    }
    gpu.submit((start) => {
      if (runs < op.k) start.clearBuffer(op.input.buffer, runs * n * 4, (op.k - runs) * n * 4);
      gpu.encode(start, lanes.flatMap((l) => l.first));
    });
    for (let j = 0; j < m; j++) {
      gpu.submit((encoder) => {
        lanes.forEach((l, r) => copyVector(encoder, l.basis, op.input, n, j * n, r * n));
        op.encode(encoder);
        lanes.forEach((l, r) => {
          copyVector(encoder, op.output, l.w, n, r * n);
          gpu.encode(encoder, l.steps[j]);
        });
      });
    }
    const results: SlqResult['runs'] = [];
    for (const l of lanes) {
      const run = tridiagonalFrom(await l.tri.read(), m, breakdownTol);
      const { values, vectors } = ritz(run);
      results.push({ values: Array.from(values), weights: Array.from(ritzWeights(vectors, run.steps)) });
    }
    return { ...spectralDensity(results, densityOptions), runs: results, hvps: m * op.k };
  } finally {
    releaseDispatches(prepared.flat());
    for (const t of owned) t.destroy();
  }
}
