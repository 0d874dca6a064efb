/**
 * The single-vector reference the block eigen-solver (src/probe/block-eigen.ts) is tested against.
 * Power iteration for the dominant eigenpair of a symmetric operator (the Hessian), with every
 * vector, norm and Rayleigh quotient in GPU buffers: each iteration is one command-encoder
 * sequence (copy v → op.input, A·v, λ = vᵀw, v = w/‖w‖), and the host reads 4 bytes — λ — per
 * convergence check. The final vector is certified by its residual ‖Av − λv‖, also on the GPU.
 *
 * Power iteration converges to the eigenvalue of largest magnitude, which for a Hessian may be
 * negative; `powerIteration` reports it signed. `topEigenvalue` returns λmax, the largest
 * algebraic eigenvalue (what "sharpness" means), by a second, shifted run when needed.
 */
import { releaseDispatches, type Dispatch } from '../../src/gpu/context';
import { Tensor } from '../../src/gpu/tensor';
import { prepareReduce } from '../../src/gpu/ops/reduce';
import { prepareAxpby } from '../../src/gpu/ops/elementwise';
import { checkDims } from '../../src/gpu/ops/operand';
import { Rng } from '../../src/util/rng';
import { requireOneRow, type BlockOperator } from '../../src/probe/block-operator';
import { hasSettled } from '../../src/probe/block-eigen';
import { copyVector, prepareNormalize, randomVector } from '../../src/probe/vector-ops';

export interface PowerOptions {
  /** Target relative accuracy of λ: the change between checks and its extrapolated remainder (default 1e-4). */
  tol?: number;
  maxIter?: number;
  /** Seed of the random normal start vector. */
  seed?: number;
  /** Iterations between reads of λ (default 1); larger values save host round trips. */
  checkEvery?: number;
  /** Iterate on A − shift·I (the reported eigenvalue and history are still of A). */
  shift?: number;
  /**
   * Warm start: begin from this vector (normalised on the GPU; not modified) instead of a random one —
   * e.g. the previous eigenvector when λmax is traced along a trajectory, where a few iterations suffice.
   */
  start?: Tensor;
}

export interface PowerResult {
  /** Rayleigh quotient of `vector`: the signed eigenvalue of largest |λ − shift|. */
  eigenvalue: number;
  /** Unit eigenvector estimate; the caller owns and destroys it. */
  vector: Tensor;
  iterations: number;
  /** ‖Av − λv‖ / |λ − shift| for the returned v: some eigenvalue of A lies within residual·|λ − shift| of λ. */
  residual: number;
  /** λ settled to tol (see hasSettled) and the residual agrees that v has converged with it. */
  converged: boolean;
  /** Operator applications, including the final certifying one. */
  hvps: number;
  /** λ at each check. */
  history: number[];
}

/** Scalars on the GPU: the Rayleigh quotient of the iterated operator, ‖w‖², ‖residual‖². */
const SLOT = { rayleigh: 0, norm: 1, residual: 2 } as const;

/**
 * Dominant eigenpair of op (of op − shift·I when shifted). Not reaching the tolerance within
 * maxIter is a result, not an error: converged is false and the residual says how far off v is.
 */
export async function powerIteration(op: BlockOperator, options: PowerOptions = {}): Promise<PowerResult> {
  const { tol = 1e-4, maxIter = 100, seed = 0, checkEvery = 1, shift = 0 } = options;
  checkDims('powerIteration', { maxIter, checkEvery });
  requireOneRow(op, 'powerIteration');
  if (!(tol > 0 && Number.isFinite(tol))) throw new Error(`powerIteration: tol must be a finite number > 0, got ${tol}`);
  if (!Number.isFinite(shift)) throw new Error(`powerIteration: shift must be finite, got ${shift}`);
  const { gpu, size: n, output: w } = op;
  if (options.start && options.start.size !== n) {
    throw new Error(`powerIteration: the start vector has ${options.start.size} entries but the operator acts on ${n}`);
  }
  const v = Tensor.create(gpu, [n], { label: 'power:vector' });
  const scalars = Tensor.create(gpu, [3], { label: 'power:scalars' });
  const prepared: Dispatch[][] = [];
  try {
    const vv = { buffer: v };
    const wv = { buffer: w };
    const normalize = await prepareNormalize(gpu, n, wv, vv, scalars, SLOT.norm);
    const shifted = shift === 0 ? [] : [await prepareAxpby(gpu, n, -shift, vv, 1, wv)];
    const rayleigh = await prepareReduce(gpu, { kind: 'dot', n, x: vv, y: wv, out: scalars, slot: SLOT.rayleigh });
    const residual = [
      await prepareAxpby(gpu, n, -1, vv, 1, wv, { kind: 'scalar', scalars, slot: SLOT.rayleigh }),
      ...await prepareReduce(gpu, { kind: 'sqnorm', n, x: wv, out: scalars, slot: SLOT.residual }),
    ];
    prepared.push(normalize, shifted, rayleigh, residual);
    // w = (A − σI)·v and μ = vᵀw, v left unchanged.
    const apply = (encoder: GPUCommandEncoder) => {
      copyVector(encoder, v, op.input, n);
      op.encode(encoder);
      gpu.encode(encoder, [...shifted, ...rayleigh]);
    };

    // v₀ goes into w, which is free until the first product, and is normalised on the GPU into v.
    if (options.start) {
      gpu.submit((encoder) => {
        copyVector(encoder, options.start!, w, n);
        gpu.encode(encoder, normalize);
      });
    } else {
      w.write(randomVector(new Rng(seed), n, 'normal'));
      gpu.run(normalize);
    }
    const mu: number[] = [];
    let iterations = 0;
    let settled = false;
    while (iterations < maxIter && !settled) {
      const batch = Math.min(checkEvery, maxIter - iterations);
      gpu.submit((encoder) => {
        for (let i = 0; i < batch; i++) {
          apply(encoder);
          gpu.encode(encoder, normalize);
        }
      });
      iterations += batch;
      mu.push(finiteRayleigh((await scalars.read(SLOT.rayleigh, 1))[0], iterations));
      settled = hasSettled(mu, tol);
    }

    gpu.submit((encoder) => {
      apply(encoder);
      gpu.encode(encoder, residual);
    });
    const [muFinal, , residualSq] = await scalars.read();
    const rel = Math.sqrt(residualSq) / Math.abs(finiteRayleigh(muFinal, iterations + 1));
    return {
      eigenvalue: muFinal + shift,
      vector: v,
      iterations,
      residual: rel,
      // |μ − θ| ≈ ‖r‖²/gap with gap ≤ 2|μ|, so an error ≤ tol·|μ| implies a relative residual ≤ √(2·tol).
      // A larger one means λ stood still while v did not converge — e.g. under a ±λ pair, where v oscillates.
      converged: settled && rel <= Math.sqrt(2 * tol),
      hvps: iterations + 1,
      history: mu.map((m) => m + shift),
    };
  } catch (err) {
    v.destroy();
    throw err;
  } finally {
    releaseDispatches(prepared.flat());
    scalars.destroy();
  }
}

/** topEigenvalue's options: those of powerIteration but the shift, and whether to keep the eigenvector on the GPU. */
export type TopEigenOptions = Omit<PowerOptions, 'shift'> & {
  /** Return the unit eigenvector as a GPU tensor the caller destroys (default false: it is freed here). */
  vector?: boolean;
};

/** topEigenvalue's result: power iteration's, with the eigenvector only when asked for. */
export type TopEigenResult = Omit<PowerResult, 'vector'> & { shift: number };

/**
 * λmax, the largest algebraic eigenvalue. If power iteration finds a dominant eigenvalue λ₁ < 0,
 * λmax lies at the other end of the spectrum: a second run on A − λ₁I, whose eigenvalues λ − λ₁
 * are ≥ 0 with λmax − λ₁ the largest, finds it. That run contracts by (λ₂ − λ₁)/(λmax − λ₁) per
 * step, slowly when many eigenvalues sit just below λmax. Its residual is relative to λmax − λ₁;
 * hvps and `shift` (0 when one run sufficed) account for both runs.
 *
 * The eigenvector stays on the GPU only with `{ vector: true }` (then the caller owns it), so
 * `const { eigenvalue } = await topEigenvalue(op)` keeps no GPU memory behind.
 */
export async function topEigenvalue(op: BlockOperator, options: TopEigenOptions & { vector: true }): Promise<TopEigenResult & { vector: Tensor }>;
export async function topEigenvalue(op: BlockOperator, options?: TopEigenOptions): Promise<TopEigenResult>;
export async function topEigenvalue(op: BlockOperator, options: TopEigenOptions = {}): Promise<TopEigenResult & { vector?: Tensor }> {
  const { vector: keep = false, ...power } = options;
  const dominant = await powerIteration(op, power);
  const top = dominant.eigenvalue >= 0 ? dominant : await second(op, power, dominant);
  const result = { ...top, hvps: top === dominant ? top.hvps : dominant.hvps + top.hvps, shift: top === dominant ? 0 : dominant.eigenvalue };
  if (keep) return result;
  top.vector.destroy();
  const { vector: _freed, ...host } = result;
  return host;
}

/** The shifted second run, once the dominant eigenvalue came out negative (its vector is freed first). */
function second(op: BlockOperator, options: Omit<PowerOptions, 'shift'>, dominant: PowerResult): Promise<PowerResult> {
  dominant.vector.destroy();
  return powerIteration(op, { ...options, shift: dominant.eigenvalue });
}

function finiteRayleigh(mu: number, iteration: number): number {
  if (!Number.isFinite(mu)) {
    throw new Error(`powerIteration: the Rayleigh quotient is ${mu} at iteration ${iteration}; the operator returned ` +
      'a non-finite or zero product (check the model and data for NaN, or the operator for a zero map)');
  }
  return mu;
}
