/**
 * Per-sample directional derivatives u_jᵀ∇ℓ_s of the loss of every sample s along k directions,
 * by the forward tangent pass alone: the block pass's forward (blockForward in block-forward.ts:
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
import { ShapeError } from '../gpu/errors';
import type { Tensor } from '../gpu/tensor';
import { prepareStack } from '../gpu/ops/block-tangent';
import { prepareSampleTangent } from '../gpu/ops/sample-tangent';
import type { BlockInputs } from './block-pass';
import { blockForward } from './block-forward';
import { buildChunkedPass, type ChunkedPass, type ModelView } from './chunked-pass';
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
    private readonly pass: ChunkedPass,
  ) {}

  static async prepare(model: ModelView, o: SampleTangentOptions): Promise<SampleTangentPlan> {
    const { gpu, layout } = model;
    const P = layout.size;
    const L = layout.layers.length;
    const { k } = o;
    if (!Number.isInteger(k) || k < 1) throw new ShapeError(`per-sample tangents need k ≥ 1 directions, got ${k}`);
    if (o.directions.size < k * P) throw new ShapeError(`directions has ${o.directions.size} elements; ${k} directions of ${P} parameters need ${k * P}`);
    const wide = { k, what: `per-sample tangents: k = ${k} tangents`, fix: 'use fewer directions' };
    const { pass, count } = await buildChunkedPass(model, o, wide, async (b) => {
      if (o.out.size < k * b.count) throw new ShapeError(`out has ${o.out.size} elements; ${k} directions × ${b.count} samples need ${k * b.count}`);
      const stacked = layout.layers.map(({ inDim, outDim }, i) => b.tensor(k * outDim * inDim, `sample-tangent:stacked${i + 1}`));
      for (const [i, { inDim, outDim, weightOffset }] of layout.layers.entries()) {
        b.add(await prepareStack(gpu, { directions: o.directions, k, stride: P, offset: weightOffset, rows: outDim, cols: inDim }, stacked[i], 'transposed'));
      }
      const weightsT = await b.transposed(model.params, 'sample-tangent:weightsT');
      await b.chunks(
        (rows) => {
          const primal = b.own(new Workspace(gpu, layout.widths, rows, false));
          const tan = layout.widths.slice(1).map((n, l) => b.tensor(2 * rows * k * n, `sample-tangent:tangent${l + 1}`));
          return { rows, x: primal.x, y: primal.y, primal, tan };
        },
        (ws) => blockForward(model, { k, rows: ws.rows, x: ws.x, act: ws.primal.act, tan: ws.tan, stacked: stacked.map((buffer) => ({ buffer })), directions: o.directions, weightsT }),
        async (ws, s) => [await prepareSampleTangent(gpu, {
          k, rows: ws.rows, classes: layout.widths[L], logits: ws.primal.act[L - 1], logitsDot: ws.tan[L - 1], labels: ws.y, out: o.out, stride: b.count, base: s,
        })],
      );
    });
    return new SampleTangentPlan(o, count, pass);
  }

  encode(encoder: GPUCommandEncoder): void {
    this.pass.encode(encoder);
  }

  destroy(): void {
    this.pass.destroy();
  }
}
