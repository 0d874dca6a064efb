/**
 * Per-sample squared gradient norms, layer by layer, and the mean gradient, in one reverse pass
 * over the data (chunked as pass.ts chunks it). For a dense layer y = W·a + b the gradient of
 * sample s's loss is δ_s·a_sᵀ in W and δ_s in b, with δ_s = ∂ℓ_s/∂y the backpropagated signal, so
 *   ‖g_{s,l}‖² = ‖δ_{s,l}‖²·(‖a_{s,l}‖² + 1)
 * needs only the activations and signals the backward pass forms anyway (shaders/sample_norms.wgsl,
 * one dispatch per layer and chunk): no per-sample gradient (P floats a sample) is ever stored.
 * The mean gradient (1/N)Σ_s g_s accumulates over the chunks as in the gradient pass.
 *
 * These are the data loss's per-sample gradients (the deterministic regulariser is the same for
 * every sample and has no spread), which is what the gradient noise scale needs (probe/noise-scale.ts).
 *
 * Outputs, overwritten: `gradient` (P floats, the mean data-loss gradient) and `norms`
 * (L × count, row l = layer l's ‖g_{s,l}‖² for the samples in pass order: sample start + i of
 * `order` at column i).
 */
import { releaseDispatches, type Dispatch } from '../gpu/context';
import type { Tensor } from '../gpu/tensor';
import { prepareMatmul } from '../gpu/ops/matmul';
import { prepareColumnSum } from '../gpu/ops/reduce';
import { prepareSoftmaxCe } from '../gpu/ops/softmax-ce';
import { prepareGather } from '../gpu/ops/gather';
import { prepareSampleNorms } from '../gpu/ops/sample-norms';
import type { GpuDataset } from '../data/gpu-dataset';
import { DEFAULT_CHUNK, passRange, type ModelView } from './pass';
import { Workspace } from './workspace';

export interface SampleNormsOptions {
  data: GpuDataset;
  /** Sample indices to visit (default: the dataset in order). */
  order?: Tensor;
  start?: number;
  count?: number;
  chunkSize?: number;
  /** The mean data-loss gradient, P floats, overwritten. */
  gradient: Tensor;
  /** L × count per-layer per-sample squared gradient norms, overwritten. */
  norms: Tensor;
}

export class SampleNormsPlan {
  private constructor(
    readonly options: SampleNormsOptions,
    readonly count: number,
    private readonly dispatches: Dispatch[],
    private readonly workspaces: Workspace[],
  ) {}

  static async prepare(model: ModelView, o: SampleNormsOptions): Promise<SampleNormsPlan> {
    const { gpu, layout } = model;
    const { order, start, count } = passRange(layout, o);
    const L = layout.layers.length;
    if (o.gradient.size !== layout.size) throw new Error(`gradient has ${o.gradient.size} elements; the network has ${layout.size} parameters`);
    if (o.norms.size < L * count) throw new Error(`norms has ${o.norms.size} elements; ${L} layers × ${count} samples need ${L * count}`);
    const chunk = Math.min(count, o.chunkSize ?? DEFAULT_CHUNK);
    const workspaces = new Map<number, { ws: Workspace; body: Dispatch[] }>();
    const dispatches: Dispatch[] = [];
    try {
      for (let s = 0; s < count; s += chunk) {
        const rows = Math.min(chunk, count - s);
        let entry = workspaces.get(rows);
        if (!entry) {
          const ws = new Workspace(gpu, layout.widths, rows, false);
          entry = { ws, body: [] };
          workspaces.set(rows, entry);
          entry.body = await chunkBody(model, ws, o.gradient, count);
        }
        const { ws, body } = entry;
        dispatches.push(await prepareGather(gpu, {
          rows, features: o.data.features, samples: o.data.count, packed: o.data.packed,
          pixels: o.data.pixels, labels: o.data.labels, order, start: start + s, x: ws.x, y: ws.y,
          scale: o.data.normalisation.scale, shift: o.data.normalisation.shift,
        }));
        dispatches.push(...body);
        // After the backward every layer's δ and input are still in the workspace; δ carries the pass's 1/count.
        for (const [i, { inDim, outDim }] of layout.layers.entries()) {
          dispatches.push(await prepareSampleNorms(gpu, {
            rows, outDim, inDim, delta: ws.del[i], act: i === 0 ? ws.x : ws.act[i - 1], actOffset: i === 0 ? 0 : rows * inDim,
            out: o.norms, outOffset: i * count + s, scale: count * count,
          }));
        }
      }
      return new SampleNormsPlan(o, count, dispatches, [...workspaces.values()].map((e) => e.ws));
    } catch (err) {
      releaseDispatches(dispatches);
      for (const { ws, body } of workspaces.values()) {
        releaseDispatches(body);
        ws.destroy();
      }
      throw err;
    }
  }

  /** Record the whole pass (zeroing the gradient first) into the encoder. */
  encode(encoder: GPUCommandEncoder): void {
    encoder.clearBuffer(this.options.gradient.buffer);
    this.options.gradient.gpu.encode(encoder, this.dispatches);
  }

  destroy(): void {
    releaseDispatches(this.dispatches);
    for (const ws of this.workspaces) ws.destroy();
  }
}

/** Forward and backward of one chunk (the gradient pass's, pass.ts, without tangents or scalars). */
async function chunkBody(model: ModelView, ws: Workspace, gradient: Tensor, total: number): Promise<Dispatch[]> {
  const { gpu, layout, params, activation } = model;
  const R = ws.rows;
  const L = layout.layers.length;
  const out: Dispatch[] = [];
  const input = (i: number) => (i === 0 ? { buffer: ws.x, offset: 0 } : { buffer: ws.act[i - 1], offset: R * layout.layers[i].inDim });
  for (let i = 0; i < L; i++) {
    const { inDim, outDim, weightOffset, biasOffset } = layout.layers[i];
    out.push(await prepareMatmul(gpu, {
      m: R, n: outDim, k: inDim, a: input(i), b: { buffer: params, offset: weightOffset, transpose: true },
      out: { buffer: ws.act[i], offset: R * outDim },
      epilogue: { kind: 'layer', activation: i < L - 1 ? activation : 'identity', biasOffset, zOffset: 0 },
    }));
  }
  out.push(await prepareSoftmaxCe(gpu, {
    rows: R, classes: layout.widths[L], logits: ws.act[L - 1], labels: ws.y, stats: ws.stats, delta: ws.del[L - 1], scale: 1 / total,
  }));
  for (let i = L - 1; i >= 0; i--) {
    const { inDim, outDim, weightOffset, biasOffset } = layout.layers[i];
    out.push(await prepareMatmul(gpu, {
      m: outDim, n: inDim, k: R, a: { buffer: ws.del[i], transpose: true }, b: input(i),
      out: { buffer: gradient, offset: weightOffset }, epilogue: { kind: 'store', accumulate: true, storePrimal: true },
    }));
    out.push(await prepareColumnSum(gpu, { rows: R, cols: outDim, a: ws.del[i], out: gradient, outOffset: biasOffset, accumulate: true }));
    if (i === 0) break;
    out.push(await prepareMatmul(gpu, {
      m: R, n: inDim, k: outDim, a: { buffer: ws.del[i] }, b: { buffer: params, offset: weightOffset },
      out: { buffer: ws.del[i - 1] }, epilogue: { kind: 'gate', activation, aux: ws.act[i - 1], zOffset: 0 },
    }));
  }
  return out;
}
