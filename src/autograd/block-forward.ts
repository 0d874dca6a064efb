/**
 * The forward pass of one chunk with k tangents, column-blocked as in block-pass.ts's header: the
 * primal Z_l, H_l by plain GEMMs, then Ż_l = H_{l−1}·[V_1;…;V_k]ᵀ (+ Ḣ_{l−1}·W_lᵀ) + ċ_l and
 * Ḣ_l = φ′(Z_l) ⊙ Ż_l, also by plain GEMMs and one elementwise pass. Shared by the block HVP, the
 * per-sample tangent pass (sample-tangent-pass.ts), which stops at the logits' tangents, and the
 * single HVP (pass.ts, k = 1): there the split into plain GEMMs beats one dual GEMM, because the
 * plain kernels run faster than the dual ones and the first layer's input has no tangent.
 *
 * Every forward product reads its weights transposed in memory (Wᵀ, [V_1;…;V_k]ᵀ, written once per
 * pass by PassBuilder.transposed), so it runs as an NN GEMM: the direct kernel reads an NN product's
 * B as vec4s, where a transposed B costs eight strided loads per k. Same products in the same order,
 * so the same bits; 1.3–2× faster on lavapipe (500 and 2,048 rows, N = 64…4,096).
 */
import type { Dispatch } from '../gpu/context';
import type { Tensor } from '../gpu/tensor';
import { prepareMatmul } from '../gpu/ops/matmul';
import type { BufferLike } from '../gpu/ops/operand';
import { prepareTangentAct } from '../gpu/ops/block-tangent';
import type { ModelView } from './chunked-pass';

/** The buffers of one chunk's forward pass with k tangents (column-blocked, as in the header). */
export interface BlockForwardBuffers {
  k: number;
  rows: number;
  /** The chunk's inputs, rows × n₀. */
  x: Tensor;
  /** Per layer [Z | H] (rows × n_l each). */
  act: Tensor[];
  /** Per layer [Ż | Ḣ] (rows × (k·n_l) each), overwritten. */
  tan: Tensor[];
  /** Per layer [V_1; …; V_k]ᵀ (inDim × k·outDim), stacked from `directions` before the pass runs. */
  stacked: { buffer: BufferLike; offset?: number }[];
  /** The model's parameters with each weight block transposed (PassBuilder.transposed: W_lᵀ at its weight offset, biases in place). */
  weightsT: Tensor;
  /** The k directions (k × P), for the bias tangents. */
  directions: Tensor;
}

/** Layer i's input in a chunk of R rows: the data, or the previous layer's H (the second half of act[i − 1]). */
export const layerInput = (model: ModelView, x: Tensor, act: Tensor[], R: number, i: number) =>
  (i === 0 ? { buffer: x, offset: 0 } : { buffer: act[i - 1], offset: R * model.layout.layers[i].inDim });

/** Layer i's Wᵀ in the transposed weights, as the B operand of an NN product. */
const weightsOf = (model: ModelView, weightsT: Tensor, i: number) => ({ buffer: weightsT, offset: model.layout.layers[i].weightOffset });

/**
 * Layer i's primal forward over R rows: Z = input·Wᵀ + b and H = φ(Z) into act[i] = [Z | H] (the
 * logits' layer: φ = identity); Wᵀ and the bias read from `weightsT`.
 */
export function primalLayer(model: ModelView, weightsT: Tensor, x: Tensor, act: Tensor[], R: number, i: number): Promise<Dispatch> {
  const { layout, activation } = model;
  const { inDim, outDim, biasOffset } = layout.layers[i];
  return prepareMatmul(model.gpu, {
    m: R, n: outDim, k: inDim, a: layerInput(model, x, act, R, i), b: weightsOf(model, weightsT, i),
    out: { buffer: act[i], offset: R * outDim },
    epilogue: { kind: 'layer', activation: i < layout.layers.length - 1 ? activation : 'identity', biasOffset, zOffset: 0 },
  });
}

/** The primal forward and the k forward tangents of one chunk (the header's products). */
export async function blockForward(model: ModelView, b: BlockForwardBuffers): Promise<Dispatch[]> {
  const { gpu, layout, activation } = model;
  const { k, rows: R, x, act, tan, weightsT } = b;
  const L = layout.layers.length;
  const out: Dispatch[] = [];
  const input = (i: number) => layerInput(model, x, act, R, i);
  for (let i = 0; i < L; i++) {
    const { inDim, outDim, biasOffset } = layout.layers[i];
    const layerAct = i < L - 1 ? activation : 'identity';
    out.push(await primalLayer(model, weightsT, x, act, R, i));
    // Ż = H_{l−1}·[V_1;…;V_k]ᵀ (+ Ḣ_{l−1}·Wᵀ over the (R·k) × n_{l−1} view).
    out.push(await prepareMatmul(gpu, {
      m: R, n: k * outDim, k: inDim, a: input(i), b: b.stacked[i],
      out: { buffer: tan[i] },
    }));
    if (i > 0) {
      out.push(await prepareMatmul(gpu, {
        m: R * k, n: outDim, k: inDim, a: { buffer: tan[i - 1], offset: R * k * inDim }, b: weightsOf(model, weightsT, i),
        out: { buffer: tan[i] }, epilogue: { kind: 'store', accumulate: true },
      }));
    }
    out.push(await prepareTangentAct(gpu, {
      k, rows: R, width: outDim, activation: layerAct, z: act[i], directions: b.directions, stride: layout.size, biasOffset, tangent: tan[i],
    }));
  }
  return out;
}
