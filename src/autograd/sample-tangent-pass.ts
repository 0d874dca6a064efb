/**
 * Per-sample directional derivatives u_jᵀ∇ℓ_s of the loss of every sample s along k directions,
 * by the forward tangent pass alone: the block pass's forward (blockForward in block-pass.ts:
 * primal once, k tangents in k-times wider GEMMs) carries each direction's tangent to the logits,
 * and since ℓ_s = logsumexp(z_s) − z_s[y_s], its JVP is (softmax(z_s) − onehot(y_s))·ż_s — one
 * number per (sample, direction), written by shaders/sample_tangent.wgsl. No per-sample gradient
 * (P floats per sample) is ever formed, and there is no backward pass: the cost is about a
 * forward pass with k tangents, roughly half a block HVP.
 *
 * Output: a k × count buffer, row j = direction j's values over the samples in pass order
 * (sample start + i of `order` at column i), overwritten. The regulariser is deterministic, so it
 * adds the same wd·u_jᵀθ to every sample and is left out: these are the data loss's per-sample
 * derivatives, whose spread is the gradient noise.
 */
import { releaseDispatches, type Dispatch } from '../gpu/context';
import { Tensor } from '../gpu/tensor';
import { prepareGather } from '../gpu/ops/gather';
import { prepareStack } from '../gpu/ops/block-tangent';
import { prepareSampleTangent } from '../gpu/ops/sample-tangent';
import { DEFAULT_CHUNK, passRange, type ModelView } from './pass';
import { blockForward, type BlockInputs } from './block-pass';
import { Workspace } from './workspace';

export interface SampleTangentOptions extends BlockInputs {
  k: number;
  /** k × count per-sample derivatives, overwritten. */
  out: Tensor;
}

export class SampleTangentPlan {
  private constructor(
    readonly options: SampleTangentOptions,
    readonly count: number,
    private readonly dispatches: Dispatch[],
    private readonly owned: { destroy(): void }[],
  ) {}

  static async prepare(model: ModelView, o: SampleTangentOptions): Promise<SampleTangentPlan> {
    const { gpu, layout } = model;
    const P = layout.size;
    const { k } = o;
    const { order, start, count } = passRange(layout, o);
    if (!Number.isInteger(k) || k < 1) throw new Error(`per-sample tangents need k ≥ 1 directions, got ${k}`);
    if (o.directions.size < k * P) throw new Error(`directions has ${o.directions.size} elements; ${k} directions of ${P} parameters need ${k * P}`);
    if (o.out.size < k * count) throw new Error(`out has ${o.out.size} elements; ${k} directions × ${count} samples need ${k * count}`);
    const widest = Math.max(...layout.widths.slice(1));
    const fit = Math.floor(gpu.limits.maxStorageBufferBindingSize / (4 * 2 * k * widest));
    if (fit < 1) throw new Error(`per-sample tangents: k = ${k} tangents of a ${widest}-wide layer exceed one buffer on this adapter; use fewer directions`);
    const chunk = Math.min(count, o.chunkSize ?? DEFAULT_CHUNK, fit);
    const owned: { destroy(): void }[] = [];
    const dispatches: Dispatch[] = [];
    try {
      const stacked = layout.layers.map(({ inDim, outDim }, i) => {
        const t = Tensor.create(gpu, [k * outDim * inDim], { label: `sample-tangent:stacked${i + 1}` });
        owned.push(t);
        return t;
      });
      for (const [i, { inDim, outDim, weightOffset }] of layout.layers.entries()) {
        dispatches.push(await prepareStack(gpu, { directions: o.directions, k, stride: P, offset: weightOffset, rows: outDim, cols: inDim }, stacked[i], 'vertical'));
      }
      const bodies = new Map<number, { ws: Workspace; tan: Tensor[]; body: Dispatch[] }>();
      for (let s = 0; s < count; s += chunk) {
        const rows = Math.min(chunk, count - s);
        let entry = bodies.get(rows);
        if (!entry) {
          const ws = new Workspace(gpu, layout.widths, rows, false);
          owned.push(ws);
          const tan = layout.widths.slice(1).map((n, l) => Tensor.create(gpu, [2 * rows * k * n], { label: `sample-tangent:tangent${l + 1}` }));
          owned.push(...tan);
          const body = await blockForward(model, { k, rows, x: ws.x, act: ws.act, tan, stacked, directions: o.directions });
          entry = { ws, tan, body };
          bodies.set(rows, entry);
        }
        const { ws, tan, body } = entry;
        dispatches.push(await prepareGather(gpu, {
          rows, features: o.data.features, samples: o.data.count, packed: o.data.packed,
          pixels: o.data.pixels, labels: o.data.labels, order, start: start + s, x: ws.x, y: ws.y,
          scale: o.data.normalisation.scale, shift: o.data.normalisation.shift,
        }));
        dispatches.push(...body);
        const L = layout.layers.length;
        dispatches.push(await prepareSampleTangent(gpu, {
          k, rows, classes: layout.widths[L], logits: ws.act[L - 1], logitsDot: tan[L - 1], labels: ws.y, out: o.out, stride: count, base: s,
        }));
      }
      return new SampleTangentPlan(o, count, dispatches, owned);
    } catch (err) {
      releaseDispatches(dispatches);
      for (const t of owned) t.destroy();
      throw err;
    }
  }

  encode(encoder: GPUCommandEncoder): void {
    this.options.out.gpu.encode(encoder, this.dispatches);
  }

  destroy(): void {
    releaseDispatches(this.dispatches);
    for (const t of this.owned) t.destroy();
  }
}
