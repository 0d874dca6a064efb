/**
 * A prepared pass of the MLP over a range of a GPU dataset, chunk by chunk: the loss, the
 * gradient (reverse mode), or the Hessian-vector product by forward-over-backward (with the
 * gradient too if asked). Every dispatch and bind group is built here once; encode() records
 * the whole pass — all chunks — into one command encoder, with no host round trip.
 *
 * Results accumulate over chunks, each scaled by 1/N, so any chunk size gives the same mean-loss
 * derivatives as one big batch. Scalars (on the GPU): [0] mean data loss, [1] hits, [2] ½‖θ‖².
 */
import { releaseDispatches, type Dispatch, type Gpu } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import { prepareMatmul } from '../gpu/ops/matmul';
import { prepareColumnSum, prepareReduce } from '../gpu/ops/reduce';
import { prepareSoftmaxCe } from '../gpu/ops/softmax-ce';
import { prepareGather } from '../gpu/ops/gather';
import { prepareAxpby } from '../gpu/ops/elementwise';
import type { GpuDataset } from '../data/gpu-dataset';
import type { ParamLayout } from './layout';
import type { Activation } from '../vocabulary';
import { Workspace } from './workspace';

export type PassKind = 'loss' | 'gradient' | 'hvp';

export const SLOT = { loss: 0, hits: 1, halfSqNorm: 2 } as const;
export const SCALAR_SLOTS = 4;

export interface PassOptions {
  kind: PassKind;
  data: GpuDataset;
  /** Sample indices to visit (default: the dataset in order). */
  order?: Tensor;
  start?: number;
  count?: number;
  chunkSize?: number;
  /** Gradient output ('gradient'; optional for 'hvp'). Overwritten. */
  gradient?: Tensor;
  /** v, for 'hvp'. */
  direction?: Tensor;
  /** H·v output, for 'hvp'. Overwritten. */
  product?: Tensor;
  /** Add the L2 term's gradient wd·θ and curvature wd·v (the data loss alone when false). */
  weightDecay?: number;
  includeRegulariser?: boolean;
}

export interface ModelView {
  gpu: Gpu;
  layout: ParamLayout;
  activation: Activation;
  params: Tensor;
}

/** Default rows per chunk: large enough to keep a GPU busy, small enough for software adapters' memory. */
export const DEFAULT_CHUNK = 2048;

export class PassPlan {
  private constructor(
    readonly options: PassOptions,
    readonly scalars: Tensor,
    private readonly dispatches: Dispatch[],
    private readonly clears: Tensor[],
    private readonly workspaces: Workspace[],
  ) {}

  static async prepare(model: ModelView, o: PassOptions): Promise<PassPlan> {
    const { gpu, layout } = model;
    const { order, start, count } = passRange(layout, o);
    const tangent = o.kind === 'hvp';
    if (tangent && (!o.direction || !o.product)) throw new Error("an 'hvp' pass needs direction and product vectors");
    if (o.kind === 'gradient' && !o.gradient) throw new Error("a 'gradient' pass needs a gradient vector");
    for (const [name, t] of [['gradient', o.gradient], ['direction', o.direction], ['product', o.product]] as const) {
      if (t && t.size !== layout.size) throw new Error(`${name} has ${t.size} elements; the network has ${layout.size} parameters`);
    }
    const wantsDelta = o.kind !== 'loss';
    const chunk = Math.min(count, o.chunkSize ?? DEFAULT_CHUNK);
    const scalars = Tensor.create(gpu, [SCALAR_SLOTS], { label: 'pass:scalars' });

    // One workspace per distinct row count: full chunks and the remainder.
    const workspaces = new Map<number, Workspace>();
    const bodies = new Map<number, Dispatch[]>();
    const dispatches: Dispatch[] = [];
    for (let s = 0; s < count; s += chunk) {
      const rows = Math.min(chunk, count - s);
      let ws = workspaces.get(rows);
      if (!ws) {
        ws = new Workspace(gpu, layout.widths, rows, tangent);
        workspaces.set(rows, ws);
        bodies.set(rows, await chunkBody(model, o, ws, count, wantsDelta, scalars));
      }
      dispatches.push(await prepareGather(gpu, {
        rows, features: o.data.features, samples: o.data.count, packed: o.data.packed,
        pixels: o.data.pixels, labels: o.data.labels, order, start: start + s, x: ws.x, y: ws.y,
        scale: o.data.normalisation.scale, shift: o.data.normalisation.shift,
      }));
      dispatches.push(...bodies.get(rows)!);
    }
    dispatches.push(...await prepareReduce(gpu, { kind: 'sqnorm', n: layout.size, x: { buffer: model.params }, out: scalars, slot: SLOT.halfSqNorm, scale: 0.5 }));
    const wd = o.weightDecay ?? 0;
    if (o.includeRegulariser && wd !== 0) {
      if (o.gradient && wantsDelta) dispatches.push(await prepareAxpby(gpu, layout.size, wd, { buffer: model.params }, 1, { buffer: o.gradient }));
      if (tangent) dispatches.push(await prepareAxpby(gpu, layout.size, wd, { buffer: o.direction! }, 1, { buffer: o.product! }));
    }
    const clears = [scalars, ...(wantsDelta && o.gradient ? [o.gradient] : []), ...(tangent ? [o.product!] : [])];
    return new PassPlan(o, scalars, dispatches, clears, [...workspaces.values()]);
  }

  /** Record the whole pass (zeroing its accumulators first) into the encoder. */
  encode(encoder: GPUCommandEncoder, gpu: Gpu): void {
    for (const t of this.clears) encoder.clearBuffer(t.buffer);
    gpu.encode(encoder, this.dispatches);
  }

  destroy(): void {
    releaseDispatches(this.dispatches);
    for (const ws of this.workspaces) ws.destroy();
    this.scalars.destroy();
  }
}

/** The samples a pass visits, checked against the dataset and the network's widths. */
export function passRange(
  layout: ParamLayout, o: Pick<PassOptions, 'data' | 'order' | 'start' | 'count'>,
): { order: Tensor; start: number; count: number } {
  const order = o.order ?? o.data.identity;
  const start = o.start ?? 0;
  const count = o.count ?? order.size - start;
  if (!Number.isInteger(count) || count < 1 || start + count > order.size) {
    throw new Error(`pass over samples [${start}, ${start + count}) does not fit the ${order.size} indices given`);
  }
  if (o.data.features !== layout.widths[0]) {
    throw new Error(`dataset '${o.data.name}' has ${o.data.features} features but the network's input width is ${layout.widths[0]}`);
  }
  if (o.data.classes !== layout.widths[layout.widths.length - 1]) {
    throw new Error(`dataset '${o.data.name}' has ${o.data.classes} classes but the network has ${layout.widths[layout.widths.length - 1]} outputs`);
  }
  return { order, start, count };
}

/** Everything after the gather for one chunk of `rows` samples. */
async function chunkBody(model: ModelView, o: PassOptions, ws: Workspace, total: number, wantsDelta: boolean, scalars: Tensor): Promise<Dispatch[]> {
  const { gpu, layout, params, activation } = model;
  const tangent = o.kind === 'hvp';
  const v = o.direction;
  const R = ws.rows;
  const L = layout.layers.length;
  const out: Dispatch[] = [];
  const input = (i: number) => (i === 0 ? { buffer: ws.x, offset: 0 } : { buffer: ws.act[i - 1], offset: R * layout.layers[i].inDim });
  const inputDot = (i: number) => (tangent && i > 0 ? ws.tan[i - 1] : undefined);

  for (let i = 0; i < L; i++) {
    const { inDim, outDim, weightOffset, biasOffset } = layout.layers[i];
    out.push(await prepareMatmul(gpu, {
      m: R, n: outDim, k: inDim,
      a: { ...input(i), dot: inputDot(i) },
      b: { buffer: params, offset: weightOffset, transpose: true, dot: tangent ? v : undefined },
      out: { buffer: ws.act[i], offset: R * outDim, dot: tangent ? ws.tan[i] : undefined },
      epilogue: { kind: 'layer', activation: i < L - 1 ? activation : 'identity', biasOffset, zOffset: 0 },
    }));
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
