/**
 * The backward pass of one chunk with k tangents, column-blocked as in block-pass.ts's header, by
 * plain GEMMs and one elementwise gate per layer:
 *   (Hv)_W = δ̇ᵀH_{l−1} + δᵀḢ_{l−1}   (Hv)_b = Σ_rows δ̇
 *   δ̇_{l−1} = (δ̇W + δ·[V_1 | … | V_k]) ⊙ φ′ + (δW) ⊙ φ″ ⊙ Ż_{l−1},   δ_{l−1} = (δW) ⊙ φ′
 * Shared by the block HVP and the single HVP (pass.ts, k = 1, where the side-by-side weights are
 * the direction's own weight block and the sums land in the product: no copies). Without `pre`
 * it is the Gauss–Newton product's vector-Jacobian pass: δ̇ gated by φ′ alone, no primal δ terms.
 */
import type { Dispatch } from '../gpu/context';
import type { Tensor } from '../gpu/tensor';
import { prepareMatmul } from '../gpu/ops/matmul';
import type { BufferLike } from '../gpu/ops/operand';
import { prepareColumnSum } from '../gpu/ops/reduce';
import { prepareTangentGate, type TangentGateOptions } from '../gpu/ops/block-tangent';
import type { ModelView } from './chunked-pass';
import { layerInput } from './block-forward';

/** A buffer region a product sums into. */
export interface Target {
  buffer: BufferLike;
  offset?: number;
}

/** Where layer l's tangent sums go, and its side-by-side weights [V_1 | … | V_k] (out × (k·in)). */
export interface LayerTargets {
  /** Σ δ̇ᵀH_{l−1}, (k·out) × in. */
  w: Target;
  /** Σ δᵀḢ_{l−1}, out × (k·in) (layers above the first, Hessian only; may be `w` itself at k = 1). */
  side?: Target;
  /** Σ_rows δ̇, k·out. */
  b: Target;
  /** [V_1 | … | V_k] (layers above the first, Hessian only). */
  weightsSide?: Target;
}

export interface BlockBackwardBuffers {
  k: number;
  rows: number;
  x: Tensor;
  /** Per layer [Z | H], δ (the top one set by the loss, the rest written here), [Ż | Ḣ], δ̇ (the top one set by the loss). */
  act: Tensor[];
  del: Tensor[];
  tan: Tensor[];
  ddel: Tensor[];
  /** Per layer below the top, scratch for δ_{l+1}W_{l+1} (rows × n_l); absent for the Gauss–Newton product. */
  pre?: Tensor[];
  layers: LayerTargets[];
}

/** The backward's GEMMs and gates, top layer first (every sum accumulates). */
export async function blockBackward(model: ModelView, b: BlockBackwardBuffers): Promise<Dispatch[]> {
  const { gpu, layout, params, activation } = model;
  const { k, rows: R, act, del, tan, ddel, pre } = b;
  const out: Dispatch[] = [];
  const store = { kind: 'store', accumulate: true } as const;
  for (let i = layout.layers.length - 1; i >= 0; i--) {
    const { inDim, outDim, weightOffset } = layout.layers[i];
    const t = b.layers[i];
    out.push(await prepareMatmul(gpu, {
      m: k * outDim, n: inDim, k: R, a: { buffer: ddel[i], transpose: true }, b: layerInput(model, b.x, act, R, i),
      out: t.w, epilogue: store,
    }));
    out.push(await prepareColumnSum(gpu, { rows: R, cols: k * outDim, a: ddel[i], out: t.b.buffer, outOffset: t.b.offset, accumulate: true }));
    if (i === 0) break;
    const weights = { buffer: params, offset: weightOffset };
    out.push(await prepareMatmul(gpu, { m: R * k, n: inDim, k: outDim, a: { buffer: ddel[i] }, b: weights, out: { buffer: ddel[i - 1] } }));
    let second: TangentGateOptions['second'];
    if (pre) {
      out.push(await prepareMatmul(gpu, {
        m: outDim, n: k * inDim, k: R, a: { buffer: del[i], transpose: true }, b: { buffer: tan[i - 1], offset: R * k * inDim },
        out: t.side!, epilogue: store,
      }));
      out.push(await prepareMatmul(gpu, { m: R, n: inDim, k: outDim, a: { buffer: del[i] }, b: weights, out: { buffer: pre[i - 1] } }));
      out.push(await prepareMatmul(gpu, {
        m: R, n: k * inDim, k: outDim, a: { buffer: del[i] }, b: t.weightsSide!, out: { buffer: ddel[i - 1] }, epilogue: store,
      }));
      second = { pre: pre[i - 1], zDot: tan[i - 1], delta: del[i - 1] };
    }
    out.push(await prepareTangentGate(gpu, { k, rows: R, width: inDim, activation, z: act[i - 1], deltaDot: ddel[i - 1], second }));
  }
  return out;
}
