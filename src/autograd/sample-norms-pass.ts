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
import { ShapeError } from '../gpu/errors';
import type { Tensor } from '../gpu/tensor';
import { prepareSampleNorms } from '../gpu/ops/sample-norms';
import { buildChunkedPass, type ChunkRange, type ChunkedPass, type ModelView } from './chunked-pass';
import { chunkBody, forwardOperands, SCALAR_SLOTS } from './pass';
import { Workspace } from './workspace';

export interface SampleNormsOptions extends ChunkRange {
  /** The mean data-loss gradient, P floats, overwritten. */
  gradient: Tensor;
  /** L × count per-layer per-sample squared gradient norms, overwritten. */
  norms: Tensor;
}

export class SampleNormsPlan {
  private constructor(
    readonly options: SampleNormsOptions,
    readonly count: number,
    private readonly pass: ChunkedPass,
  ) {}

  static async prepare(model: ModelView, o: SampleNormsOptions): Promise<SampleNormsPlan> {
    const { gpu, layout } = model;
    const L = layout.layers.length;
    if (o.gradient.size !== layout.size) throw new ShapeError(`gradient has ${o.gradient.size} elements; the network has ${layout.size} parameters`);
    const { pass, count } = await buildChunkedPass(model, o, undefined, async (b) => {
      if (o.norms.size < L * b.count) throw new ShapeError(`norms has ${o.norms.size} elements; ${L} layers × ${b.count} samples need ${L * b.count}`);
      // The gradient pass's body (its loss sums land in scalars nobody reads): forward, softmax-CE, backward into o.gradient.
      const scalars = b.scalars(SCALAR_SLOTS, 'sample-norms:scalars');
      b.clears.push(o.gradient);
      const gradientPass = { ...o, kind: 'gradient' } as const;
      const forward = await forwardOperands(b, gradientPass);
      await b.chunks(
        (rows) => b.own(new Workspace(gpu, layout.widths, rows, false)),
        (ws) => chunkBody(model, gradientPass, ws, b.count, true, scalars, forward),
        // After the backward every layer's δ and input are still in the workspace; δ carries the pass's 1/count.
        async (ws, s) => Promise.all(layout.layers.map(({ inDim, outDim }, i) => prepareSampleNorms(gpu, {
          rows: ws.rows, outDim, inDim, delta: ws.del[i], act: i === 0 ? ws.x : ws.act[i - 1], actOffset: i === 0 ? 0 : ws.rows * inDim,
          out: o.norms, outOffset: i * b.count + s, scale: b.count * b.count,
        }))),
      );
    });
    return new SampleNormsPlan(o, count, pass);
  }

  /** Record the whole pass (zeroing the gradient first) into the encoder. */
  encode(encoder: GPUCommandEncoder): void {
    this.pass.encode(encoder);
  }

  destroy(): void {
    this.pass.destroy();
  }
}
