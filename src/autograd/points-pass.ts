/**
 * The loss at k parameter points θ_1 … θ_k (rows of a k × P buffer) in one pass over the data:
 * each chunk is gathered once and the first layer — for MNIST-shaped nets nearly all the FLOPs —
 * is ONE GEMM against the k points' stacked first-layer weights (N = k·n₁), leaving column-blocked
 * activations R × (k·n₁). Deeper layers take one GEMM per point on its column block (offset j·n,
 * ld k·n), and the softmax cross-entropy reads each point's logits the same way. Every element is
 * the same float32 arithmetic as a single loss pass at θ_j (the same K-order of each dot product),
 * so the losses equal point-by-point evaluation. Used by the landscape slices and perturbation
 * sharpness, which evaluate dozens to thousands of points.
 *
 * Scalars (GPU): [2j] mean data loss at θ_j, [2j + 1] hits, [2k + j] ½‖θ_j‖².
 */
import type { Dispatch } from '../gpu/context';
import { ShapeError } from '../gpu/errors';
import type { Tensor } from '../gpu/tensor';
import { prepareMatmul } from '../gpu/ops/matmul';
import { prepareReduce } from '../gpu/ops/reduce';
import { prepareSoftmaxCe } from '../gpu/ops/softmax-ce';
import { prepareStack } from '../gpu/ops/block-tangent';
import { buildChunkedPass, type ChunkedPass, type ChunkInputs, type ChunkRange, type ModelView, type PassBuilder } from './chunked-pass';

export interface PointsPassOptions extends ChunkRange {
  /** k × P parameter points, read only. */
  points: Tensor;
  k: number;
  weightDecay?: number;
  includeRegulariser?: boolean;
}

export interface PointLoss {
  /** Mean data loss, plus ½·wd·‖θ_j‖² when the regulariser is included. */
  loss: number;
  dataLoss: number;
  accuracy: number;
}

export class PointsPassPlan {
  private constructor(
    readonly options: PointsPassOptions,
    readonly count: number,
    readonly scalars: Tensor,
    private readonly pass: ChunkedPass,
  ) {}

  static async prepare(model: ModelView, o: PointsPassOptions): Promise<PointsPassPlan> {
    const { gpu, layout } = model;
    const P = layout.size;
    const { k } = o;
    if (!Number.isInteger(k) || k < 1) throw new ShapeError(`a points pass needs k ≥ 1 points, got ${k}`);
    if (o.points.size < k * P) throw new ShapeError(`points has ${o.points.size} elements; ${k} points of ${P} parameters need ${k * P}`);
    const wide = { k, what: `loss at ${k} points: the activations`, fix: 'use fewer points per pass' };
    const { pass, built: scalars, count } = await buildChunkedPass(model, o, wide, async (b) => {
      const scalars = b.scalars(3 * k, 'points:scalars');
      // The first layer's weights of every point stacked and transposed (n₀ × (k·n₁): an NN product,
      // as in block-forward.ts), then their biases (k·n₁).
      const first = layout.layers[0];
      const stacked = b.tensor(k * first.outDim * (first.inDim + 1), 'points:stacked');
      const view = { directions: o.points, k, stride: P };
      b.add(await prepareStack(gpu, { ...view, offset: first.weightOffset, rows: first.outDim, cols: first.inDim }, stacked, 'transposed'));
      b.add(await prepareStack(gpu, { ...view, offset: first.biasOffset, rows: 1, cols: first.outDim }, stacked, 'vertical', k * first.outDim * first.inDim));
      await b.chunks(
        (rows) => ({ rows, x: b.tensor(rows * layout.widths[0], 'points:x'), y: b.tensor(rows, 'points:y', 'u32') }),
        (ws) => chunkBody(model, o, ws, stacked, b.count, scalars, b),
      );
      for (let j = 0; j < k; j++) {
        b.add(...await prepareReduce(gpu, { kind: 'sqnorm', n: P, x: { buffer: o.points, offset: j * P }, out: scalars, slot: 2 * k + j, scale: 0.5 }));
      }
      return scalars;
    });
    return new PointsPassPlan(o, count, scalars, pass);
  }

  /** Record the pass (zeroing its scalars first) into the encoder. */
  encode(encoder: GPUCommandEncoder): void {
    this.pass.encode(encoder);
  }

  /** The k losses, after the pass ran (one read). */
  async read(): Promise<PointLoss[]> {
    const { k } = this.options;
    const s = await this.scalars.read();
    const wd = this.options.includeRegulariser ? this.options.weightDecay ?? 0 : 0;
    return Array.from({ length: k }, (_, j) => ({
      loss: s[2 * j] + wd * s[2 * k + j], dataLoss: s[2 * j], accuracy: s[2 * j + 1] / this.count,
    }));
  }

  destroy(): void {
    this.pass.destroy();
  }
}

async function chunkBody(
  model: ModelView, o: PointsPassOptions, ws: ChunkInputs & { rows: number }, stacked: Tensor, total: number, scalars: Tensor, b: PassBuilder,
): Promise<Dispatch[]> {
  const { rows: R, x, y } = ws;
  const { gpu, layout, activation } = model;
  const { k } = o;
  const P = layout.size;
  const L = layout.layers.length;
  // act[l] = [Z | H], each R × (k·n_l), column-blocked by point.
  const act = layout.widths.slice(1).map((n, l) => b.tensor(2 * R * k * n, `points:act${l + 1}:${R}`));
  const stats = b.tensor(2 * R, `points:stats:${R}`);
  const out: Dispatch[] = [];
  const first = layout.layers[0];
  out.push(await prepareMatmul(gpu, {
    m: R, n: k * first.outDim, k: first.inDim, a: { buffer: x }, b: { buffer: stacked },
    out: { buffer: act[0], offset: R * k * first.outDim },
    epilogue: { kind: 'layer', activation: L > 1 ? activation : 'identity', biasOffset: k * first.outDim * first.inDim, zOffset: 0 },
  }));
  for (let i = 1; i < L; i++) {
    const { inDim, outDim, weightOffset, biasOffset } = layout.layers[i];
    for (let j = 0; j < k; j++) {
      out.push(await prepareMatmul(gpu, {
        m: R, n: outDim, k: inDim,
        a: { buffer: act[i - 1], offset: R * k * inDim + j * inDim, ld: k * inDim },
        b: { buffer: o.points, offset: j * P + weightOffset, transpose: true },
        out: { buffer: act[i], offset: R * k * outDim + j * outDim, ld: k * outDim },
        epilogue: { kind: 'layer', activation: i < L - 1 ? activation : 'identity', biasOffset: j * P + biasOffset, zOffset: j * outDim },
      }));
    }
  }
  const classes = layout.widths[L];
  for (let j = 0; j < k; j++) {
    out.push(await prepareSoftmaxCe(gpu, { rows: R, classes, logits: act[L - 1], logitsOffset: j * classes, ld: k * classes, labels: y, stats }));
    out.push(...await prepareReduce(gpu, { kind: 'sum', n: R, x: { buffer: stats }, out: scalars, slot: 2 * j, scale: 1 / total, accumulate: true }));
    out.push(...await prepareReduce(gpu, { kind: 'sum', n: R, x: { buffer: stats, offset: R }, out: scalars, slot: 2 * j + 1, accumulate: true }));
  }
  return out;
}
