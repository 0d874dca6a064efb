/**
 * A prepared pass of the MLP over a range of a GPU dataset, chunk by chunk: the loss, the
 * gradient (reverse mode), or the Hessian-vector product by forward-over-backward (with the
 * gradient too if asked). Every dispatch and bind group is built here once, on the chunked-pass
 * builder (chunked-pass.ts: range, gather, workspaces, scalars, clears, cleanup); encode() records
 * the whole pass — all chunks — into one command encoder, with no host round trip.
 *
 * The HVP's forward is the block pass's at k = 1 (block-forward.ts); its backward forms the tangent
 * products as the adapter's table entry says (matmul-tiles.json, tangentProducts): 'split' runs the
 * block pass's backward at k = 1 (block-backward.ts, plain GEMMs and a gate), 'dual' one dual GEMM
 * per product (δ̇ᵀh + δᵀḣ, and δ̇W + δV with the gate in its epilogue).
 *
 * Results accumulate over chunks, each scaled by 1/N, so any chunk size gives the same mean-loss
 * derivatives as one big batch. Scalars (on the GPU): [0] mean data loss, [1] hits, [2] ½‖θ‖².
 */
import type { Dispatch, Gpu } from '../gpu/context';
import { ShapeError } from '../gpu/errors';
import type { Tensor } from '../gpu/tensor';
import { prepareMatmul, tangentProductsFor, type TangentProducts } from '../gpu/ops/matmul';
import { prepareColumnSum, prepareReduce } from '../gpu/ops/reduce';
import { prepareSoftmaxCe } from '../gpu/ops/softmax-ce';
import { prepareAxpby } from '../gpu/ops/elementwise';
import { buildChunkedPass, type ChunkedPass, type ChunkRange, type ModelView, type PassBuilder } from './chunked-pass';
import { Workspace } from './workspace';
import { blockForward, layerInput, primalLayer } from './block-forward';
import { blockBackward } from './block-backward';

export { DEFAULT_CHUNK, passRange, type ModelView } from './chunked-pass';

export type PassKind = 'loss' | 'gradient' | 'hvp';

export const SLOT = { loss: 0, hits: 1, halfSqNorm: 2 } as const;
export const SCALAR_SLOTS = 4;

export interface PassOptions extends ChunkRange {
  kind: PassKind;
  /** Gradient output ('gradient'; optional for 'hvp'). Overwritten. */
  gradient?: Tensor;
  /** v, for 'hvp'. */
  direction?: Tensor;
  /** H·v output, for 'hvp'. Overwritten. */
  product?: Tensor;
  /** Add the L2 term's gradient wd·θ and curvature wd·v (the data loss alone when false). */
  weightDecay?: number;
  includeRegulariser?: boolean;
  /** The HVP backward's tangent products (default: the adapter's, TileEntry.tangentProducts). */
  tangentProducts?: TangentProducts;
}

export class PassPlan {
  private constructor(
    readonly options: PassOptions,
    readonly scalars: Tensor,
    /** Its dispatches (read by the profile, src/bench/profile.ts). */
    readonly pass: ChunkedPass,
  ) {}

  static async prepare(model: ModelView, o: PassOptions): Promise<PassPlan> {
    const { gpu, layout } = model;
    const tangent = o.kind === 'hvp';
    if (tangent && (!o.direction || !o.product)) throw new ShapeError("an 'hvp' pass needs direction and product vectors");
    if (o.kind === 'gradient' && !o.gradient) throw new ShapeError("a 'gradient' pass needs a gradient vector");
    for (const [name, t] of [['gradient', o.gradient], ['direction', o.direction], ['product', o.product]] as const) {
      if (t && t.size !== layout.size) throw new ShapeError(`${name} has ${t.size} elements; the network has ${layout.size} parameters`);
    }
    const wantsDelta = o.kind !== 'loss';
    const split = tangent && (o.tangentProducts ?? await tangentProductsFor(gpu)) === 'split';
    const { pass, built: scalars } = await buildChunkedPass(model, o, undefined, async (b) => {
      const scalars = b.scalars(SCALAR_SLOTS, 'pass:scalars');
      if (wantsDelta && o.gradient) b.clears.push(o.gradient);
      if (tangent) b.clears.push(o.product!);
      const forward = await forwardOperands(b, o);
      await b.chunks(
        (rows) => b.own(new Workspace(gpu, layout.widths, rows, tangent, split)),
        (ws) => chunkBody(model, o, ws, b.count, wantsDelta, scalars, forward, split),
      );
      b.add(...await prepareReduce(gpu, { kind: 'sqnorm', n: layout.size, x: { buffer: model.params }, out: scalars, slot: SLOT.halfSqNorm, scale: 0.5 }));
      const wd = o.weightDecay ?? 0;
      if (o.includeRegulariser && wd !== 0) {
        if (o.gradient && wantsDelta) b.add(await prepareAxpby(gpu, layout.size, wd, { buffer: model.params }, 1, { buffer: o.gradient }));
        if (tangent) b.add(await prepareAxpby(gpu, layout.size, wd, { buffer: o.direction! }, 1, { buffer: o.product! }));
      }
      return scalars;
    });
    return new PassPlan(o, scalars, pass);
  }

  /**
   * Record the whole pass (zeroing its accumulators first) into the encoder.
   * @param _gpu ignored: the plan records on its model's device (kept so older callers compile).
   */
  encode(encoder: GPUCommandEncoder, _gpu?: Gpu): void {
    this.pass.encode(encoder);
  }

  destroy(): void {
    this.pass.destroy();
  }
}

/** The forward's transposed operands (block-forward.ts): the parameters', and for an HVP the direction's. */
export interface ForwardOperands {
  weightsT: Tensor;
  directionT?: Tensor;
}

/** Written at the start of the pass, before its first chunk (PassBuilder.transposed). */
export async function forwardOperands(b: PassBuilder, o: PassOptions): Promise<ForwardOperands> {
  return {
    weightsT: await b.transposed(b.model.params, 'pass:weightsT'),
    directionT: o.kind === 'hvp' ? await b.transposed(o.direction!, 'pass:directionT') : undefined,
  };
}

/** Everything after the gather for one chunk of `rows` samples (also the per-sample norms pass's body, sample-norms-pass.ts). */
export async function chunkBody(
  model: ModelView, o: PassOptions, ws: Workspace, total: number, wantsDelta: boolean, scalars: Tensor, forward: ForwardOperands, split = false,
): Promise<Dispatch[]> {
  const { gpu, layout, params, activation } = model;
  const tangent = o.kind === 'hvp';
  const v = o.direction;
  const R = ws.rows;
  const L = layout.layers.length;
  const out: Dispatch[] = [];
  const input = (i: number) => layerInput(model, ws.x, ws.act, R, i);
  const inputDot = (i: number) => (tangent && i > 0 ? ws.tan[i - 1] : undefined);

  if (tangent) {
    // The tangent forward as the block pass's at k = 1: plain GEMMs, faster than dual ones (block-forward.ts).
    const stacked = layout.layers.map((l) => ({ buffer: forward.directionT!, offset: l.weightOffset }));
    out.push(...await blockForward(model, { k: 1, rows: R, x: ws.x, act: ws.act, tan: ws.tan, stacked, directions: v!, weightsT: forward.weightsT }));
  } else {
    for (let i = 0; i < L; i++) out.push(await primalLayer(model, forward.weightsT, ws.x, ws.act, R, i));
  }
  const classes = layout.widths[L];
  out.push(await prepareSoftmaxCe(gpu, {
    rows: R, classes, logits: ws.act[L - 1], logitsDot: tangent ? ws.tan[L - 1] : undefined,
    labels: ws.y, stats: ws.stats,
    delta: wantsDelta ? ws.del[L - 1] : undefined, deltaDot: tangent ? ws.ddel[L - 1] : undefined,
    scale: 1 / total,
  }));
  out.push(...await prepareReduce(gpu, { kind: 'sum', n: R, x: { buffer: ws.stats }, out: scalars, slot: SLOT.loss, scale: 1 / total, accumulate: true }));
  out.push(...await prepareReduce(gpu, { kind: 'sum', n: R, x: { buffer: ws.stats, offset: R }, out: scalars, slot: SLOT.hits, accumulate: true }));
  if (!wantsDelta) return out;

  const grad = o.gradient;
  if (split) {
    // The block pass's backward at k = 1: plain GEMMs and a gate, summing straight into the product.
    out.push(...await blockBackward(model, {
      k: 1, rows: R, x: ws.x, act: ws.act, del: ws.del, tan: ws.tan, ddel: ws.ddel, pre: ws.pre,
      layers: layout.layers.map(({ weightOffset, biasOffset }, i) => {
        const w = { buffer: o.product!, offset: weightOffset };
        return { w, side: i > 0 ? w : undefined, b: { buffer: o.product!, offset: biasOffset }, weightsSide: i > 0 ? { buffer: v!, offset: weightOffset } : undefined };
      }),
    }));
    if (!grad) return out;
    for (const [i, { inDim, outDim, weightOffset, biasOffset }] of layout.layers.entries()) {
      out.push(await prepareMatmul(gpu, {
        m: outDim, n: inDim, k: R, a: { buffer: ws.del[i], transpose: true }, b: input(i),
        out: { buffer: grad, offset: weightOffset }, epilogue: { kind: 'store', accumulate: true },
      }));
      out.push(await prepareColumnSum(gpu, { rows: R, cols: outDim, a: ws.del[i], out: grad, outOffset: biasOffset, accumulate: true }));
    }
    return out;
  }
  for (let i = L - 1; i >= 0; i--) {
    const { inDim, outDim, weightOffset, biasOffset } = layout.layers[i];
    // ∇W = δᵀ h_prev;  (Hv)_W = δ̇ᵀ h_prev + δᵀ ḣ_prev.
    out.push(await prepareMatmul(gpu, {
      m: outDim, n: inDim, k: R,
      a: { buffer: ws.del[i], transpose: true, dot: tangent ? ws.ddel[i] : undefined },
      b: { ...input(i), dot: inputDot(i) },
      out: { buffer: tangent ? grad : grad!, offset: weightOffset, dot: tangent ? o.product : undefined },
      epilogue: { kind: 'store', accumulate: true, storePrimal: !tangent || grad !== undefined },
    }));
    // ∇b = Σ_rows δ;  (Hv)_b = Σ_rows δ̇.
    if (tangent && !grad) {
      out.push(await prepareColumnSum(gpu, { rows: R, cols: outDim, a: ws.ddel[i], out: o.product!, outOffset: biasOffset, accumulate: true }));
    } else {
      out.push(await prepareColumnSum(gpu, {
        rows: R, cols: outDim, a: ws.del[i], aDot: tangent ? ws.ddel[i] : undefined,
        out: grad!, outDot: tangent ? o.product : undefined, outOffset: biasOffset, accumulate: true,
      }));
    }
    if (i === 0) break;
    // δ_prev = (δ W) ⊙ φ'(z_prev);  δ̇_prev = (δ̇ W + δ V) ⊙ φ'(z_prev) + (δ W) ⊙ φ''(z_prev) ⊙ ż_prev.
    out.push(await prepareMatmul(gpu, {
      m: R, n: inDim, k: outDim,
      a: { buffer: ws.del[i], dot: tangent ? ws.ddel[i] : undefined },
      b: { buffer: params, offset: weightOffset, dot: tangent ? v : undefined },
      out: { buffer: ws.del[i - 1], dot: tangent ? ws.ddel[i - 1] : undefined },
      epilogue: { kind: 'gate', activation, aux: ws.act[i - 1], auxDot: tangent ? ws.tan[i - 1] : undefined, zOffset: 0 },
    }));
  }
  return out;
}
