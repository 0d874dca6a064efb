/**
 * The short path to a Hessian's spectrum: `using h = await hessian(model, data)`, then
 * `h.eigenvalues({ k })`, `h.trace()`, `h.density()`, `h.perLayer()`, `h.gaussNewton()` — host numbers with their
 * convergence information, GPU vectors only when asked for. A thin layer over the solvers the study
 * uses (block subspace iteration, block Hutchinson, SLQ, the per-layer block iteration), called
 * with the same arguments, so its numbers are theirs to the bit.
 *
 * It owns one block operator (blockSize directions per pass over the data); density() builds one of
 * its own per call (one row per SLQ run, as the study's density measure does) and frees it.
 * destroy() or the end of a `using` scope frees the block operator.
 * gaussNewton() returns an object of its own with its own block operator, disposed the same way.
 */
import type { Mlp, EvalOptions } from '../autograd/mlp';
import type { GpuDataset } from '../data/gpu-dataset';
import { Tensor } from '../gpu/tensor';
import { ggnBlockOperator, hessianBlockOperator, type BlockOperator } from '../probe/block-operator';
import { blockEigen } from '../probe/block-eigen';
import { blockHutchinsonTrace, type TraceEstimate } from '../probe/hutchinson';
import { spectralDensityBlock, type SlqOptions, type SlqResult } from '../probe/lanczos';
import { perLayerSharpnessBlock, type LayerSharpness } from '../probe/layer';
import { GRAM_MAX_ROWS, copyVector } from '../probe/vector-ops';
import { checkDims } from '../gpu/ops/operand';
import { withOperator } from '../measures/block-solvers';
import { BLOCK_SIZE } from '../study/config-schema';

export interface HessianOptions extends EvalOptions {
  /** Directions per block pass (default 16): the most eigenvalues one eigenvalues() call can return. */
  blockSize?: number;
  /** Seed of the random starts and probes (default 0); each call may override it. */
  seed?: number;
}

/** Accuracy and effort of an iterative solve (defaults: tol 1e-4 relative, 100 block passes). */
export interface SolveOptions {
  tol?: number;
  maxIter?: number;
  seed?: number;
}

export interface Eigenvalues {
  /** The k largest eigenvalues, largest first. */
  values: number[];
  /** ‖Hy − θy‖ for each unit eigenvector estimate y: some eigenvalue lies within it of θ. */
  residuals: number[];
  converged: boolean[];
  /** Block passes over the data. */
  iterations: number;
  hvps: number;
  /** The shift the iteration used (0 unless the negative end of the spectrum dominated). */
  shift: number;
}

/** Eigenvalues with their eigenvectors on the GPU (k × parameters, row i for values[i]); dispose it. */
export interface EigenvaluesWithVectors extends Eigenvalues {
  vectors: Tensor;
  destroy(): void;
  [Symbol.dispose](): void;
}

/**
 * A curvature matrix behind one block operator: its top eigenvalues and its trace. The Hessian is
 * one, and h.gaussNewton() gives the other (the Gauss–Newton matrix, same data and settings).
 */
export class BlockCurvature {
  protected constructor(
    readonly model: Mlp,
    readonly data: GpuDataset,
    protected readonly block: BlockOperator,
    protected readonly options: HessianOptions,
  ) {}

  /** Parameters: the matrix is size × size. */
  get size(): number {
    return this.model.layout.size;
  }

  /** The k largest eigenvalues (default 1: λmax) by block subspace iteration; with `vectors: true` their eigenvectors too. */
  eigenvalues(options: SolveOptions & { k?: number; vectors: true }): Promise<EigenvaluesWithVectors>;
  eigenvalues(options?: SolveOptions & { k?: number; vectors?: false }): Promise<Eigenvalues>;
  async eigenvalues(options: SolveOptions & { k?: number; vectors?: boolean } = {}): Promise<Eigenvalues | EigenvaluesWithVectors> {
    const { k = 1, vectors = false, ...solve } = options;
    if (!Number.isInteger(k) || k < 1 || k > this.block.k) {
      throw new Error(`hessian.eigenvalues: k must be an integer from 1 to the block size ${this.block.k}, got ${k} (pass a larger blockSize to hessian())`);
    }
    const r = await blockEigen(this.block, { want: k, ...this.seeded(solve), vectors });
    const [g] = r.groups;
    const host: Eigenvalues = { values: g.values, residuals: g.residuals, converged: g.converged, iterations: r.iterations, hvps: r.hvps, shift: g.shift };
    if (!r.vectors) return host;
    return withVectors(host, firstRows(r.vectors, k, this.size));
  }

  /** Hutchinson's trace estimate with its standard error (default 30 Rademacher probes, blockSize per pass). */
  trace(options: { samples?: number; seed?: number } = {}): Promise<TraceEstimate> {
    return blockHutchinsonTrace(this.block, this.seeded(options));
  }

  destroy(): void {
    this.block.destroy();
  }

  /** `using h = await hessian(…)` frees its operators at the end of the scope. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  protected seeded<T extends { seed?: number }>(options: T): T & { seed: number } {
    return { ...options, seed: options.seed ?? this.options.seed ?? 0 };
  }
}

export class Hessian extends BlockCurvature {
  /** Use hessian(model, data, options). */
  static async create(model: Mlp, data: GpuDataset, options: HessianOptions = {}): Promise<Hessian> {
    const { blockSize = BLOCK_SIZE } = options;
    if (!Number.isInteger(blockSize) || blockSize < 1 || 2 * blockSize > GRAM_MAX_ROWS) {
      throw new Error(`hessian: blockSize must be an integer from 1 to ${GRAM_MAX_ROWS / 2}, got ${blockSize}`);
    }
    if (data.features !== model.layout.widths[0]) {
      throw new Error(`hessian: the data has ${data.features} features but the model's input width is ${model.layout.widths[0]}`);
    }
    return new Hessian(model, data, await hessianBlockOperator(model, data, blockSize, evalOptions(options)), options);
  }

  /** Spectral density by stochastic Lanczos quadrature (default 1 run of 80 steps; the runs advance together, one block pass per step) on a grid, with each run's Ritz values. */
  density(options: SlqOptions = {}): Promise<SlqResult> {
    const { runs = 1 } = options;
    checkDims('hessian.density', { runs });
    return withOperator(hessianBlockOperator(this.model, this.data, runs, evalOptions(this.options)),
      (op) => spectralDensityBlock(op, this.seeded({ ...options, runs })));
  }

  /** λmax of every layer's diagonal Hessian block, all layers in one block iteration. */
  perLayer(options: SolveOptions = {}): Promise<LayerSharpness[]> {
    return perLayerSharpnessBlock(this.model, this.data, this.block.k, { ...evalOptions(this.options), ...this.seeded(options) });
  }

  /**
   * The generalised Gauss–Newton matrix Jᵀ H_out J of the same loss, data and settings (positive
   * semi-definite; the Hessian without its gradient-weighted second-order terms): its eigenvalues and
   * trace. It owns its own block operator: dispose it (or `using`) as the Hessian.
   */
  async gaussNewton(): Promise<BlockCurvature> {
    const op = await ggnBlockOperator(this.model, this.data, this.block.k, evalOptions(this.options));
    return new GaussNewton(this.model, this.data, op, this.options);
  }

}

class GaussNewton extends BlockCurvature {
  constructor(model: Mlp, data: GpuDataset, block: BlockOperator, options: HessianOptions) {
    super(model, data, block, options);
  }
}

/** The Hessian of the model's loss over `data`, ready for its eigenvalues, trace, density and per-layer λmax. */
export function hessian(model: Mlp, data: GpuDataset, options: HessianOptions = {}): Promise<Hessian> {
  return Hessian.create(model, data, options);
}

function evalOptions({ chunkSize, weightDecay, includeRegulariser }: HessianOptions): EvalOptions {
  return { chunkSize, weightDecay, includeRegulariser };
}

/** The first k rows of a rows × n tensor as a k × n tensor of their own (the input is destroyed). */
function firstRows(t: Tensor, k: number, n: number): Tensor {
  if (t.shape[0] === k) return t;
  const out = Tensor.create(t.gpu, [k, n], { label: 'hessian:eigenvectors' });
  t.gpu.submit((encoder) => copyVector(encoder, t, out, k * n));
  t.destroy();
  return out;
}

function withVectors(host: Eigenvalues, vectors: Tensor): EigenvaluesWithVectors {
  const destroy = () => vectors.destroy();
  return { ...host, vectors, destroy, [Symbol.dispose]: destroy };
}
