/**
 * The block pass: H·[v₁ … v_k] for k directions in one pass over the data. The primal forward and
 * backward are the same for every direction, so they run once per chunk; only the tangents are
 * per direction, and they are batched into k-times wider GEMMs (the math of ../shared design
 * mlp-hvp.md, "Forward-mode over backward", for k tangents at once).
 *
 * Layout. Directions and products are k × P buffers (row j = one flat parameter vector). Per chunk
 * of R rows, layer l's tangents are column-blocked, R × (k·n_l) with row r = [ż_1[r] | … | ż_k[r]].
 * That one buffer is also an (R·k) × n_l matrix with rows ordered (r, j), so every product with the
 * primal W is ONE plain GEMM for all directions:
 *   forward   Ż_l  = Ḣ_{l−1}·W_lᵀ  (M = R·k)   +   H_{l−1}·[V_1;…;V_k]ᵀ  (N = k·n_l, stacked weights)
 *   backward  δ̇W   (M = R·k)       +   δ·[V_1 | … | V_k]  (N = k·n_{l−1}, side-by-side weights)
 *   (Hv)_W    δ̇ᵀH_{l−1} (TN, M = k·n_l)  +  δᵀḢ_{l−1} (TN, N = k·n_{l−1})
 * The k weight blocks are stacked once per pass (shaders/block.wgsl, k·P floats — nothing next to
 * the GEMMs; the forward's stack and W_l are stored transposed, so its products run NN,
 * block-forward.ts), the weight-gradient tangents accumulate over chunks in stacked scratch, and one
 * scatter per layer at the end writes them (with the bias tangents) into the k product rows. No
 * batched-GEMM support is needed, and every GEMM is at least as wide as the single-vector pass's.
 *
 * Same chunking, 1/N scaling and optional wd·v term as the single pass (pass.ts); each row of the
 * result equals the single HVP of that direction up to float32 rounding. Scalars as in pass.ts.
 *
 * Gauss–Newton. With `gaussNewton` the same pass computes G·v = Jᵀ·H_out·J·v instead (J: the
 * logits' Jacobian in θ, H_out = (diag p − ppᵀ)/N the cross-entropy's Hessian in the logits): the
 * forward tangents give J·v, the tangent softmax is H_out applied to them, and the backward becomes
 * a plain vector-Jacobian product of that — the Hessian's terms that involve the primal δ (δᵀḢ in
 * the weights, δ·V and the φ″ term in δ̇) are exactly what G drops, so they, the primal δ
 * propagation and the side-by-side weight stacks are left out, and the gate keeps φ′ alone.
 * For the regularised loss G adds wd·v as H does (the regulariser's Hessian is its own Gauss–Newton).
 */
import type { Dispatch } from '../gpu/context';
import { ShapeError } from '../gpu/errors';
import { Tensor } from '../gpu/tensor';
import { prepareReduce } from '../gpu/ops/reduce';
import { prepareSoftmaxCe } from '../gpu/ops/softmax-ce';
import { prepareAxpby } from '../gpu/ops/elementwise';
import { prepareStack, prepareTangentSoftmax, prepareUnstack } from '../gpu/ops/block-tangent';
import { SCALAR_SLOTS, SLOT } from './pass';
import { buildChunkedPass, type ChunkedPass, type ChunkRange, type ModelView } from './chunked-pass';
import { Workspace } from './workspace';
import { blockForward } from './block-forward';
import { blockBackward } from './block-backward';

/**
 * The data and the k directions a block forward pass carries (shared by the block HVP and the
 * per-sample tangents). Rows per chunk: chunkSize (default DEFAULT_CHUNK), lowered if k tangents
 * of the widest layer would not fit one buffer.
 */
export interface BlockInputs extends ChunkRange {
  /** k × P directions, read only. */
  directions: Tensor;
}

export interface BlockPassOptions extends BlockInputs {
  /** k × P products H·v_j, overwritten. */
  products: Tensor;
  /** Number of directions (default: directions.size / P). */
  k?: number;
  weightDecay?: number;
  includeRegulariser?: boolean;
  /** Compute the Gauss–Newton products G·v_j instead of H·v_j (see the header). */
  gaussNewton?: boolean;
}

/** Per-layer buffers that live for the whole pass: stacked directions and stacked accumulators. */
interface LayerScratch {
  /** [V_1; …; V_k] weights, (k·out) × in. */
  stacked: Tensor;
  /** [V_1 | … | V_k] weights, out × (k·in) (layers above the first; not for the Gauss–Newton product). */
  side?: Tensor;
  /** Σ δ̇ᵀH_{l−1}, (k·out) × in. */
  accW: Tensor;
  /** Σ δᵀḢ_{l−1}, out × (k·in) (layers above the first). */
  accSide?: Tensor;
  /** Σ_rows δ̇, k·out. */
  accB: Tensor;
}

/** Tangent buffers of one chunk size: tan[l] = [Ż | Ḣ], ddel[l] = δ̇ (column-blocked), pre[l] = δ_{l+1}W_{l+1}. */
class BlockWorkspace {
  readonly primal: Workspace;
  readonly x: Tensor;
  readonly y: Tensor;
  readonly tan: Tensor[];
  readonly ddel: Tensor[];
  readonly pre: Tensor[];

  constructor(model: ModelView, readonly rows: number, k: number, gaussNewton: boolean) {
    const { gpu, layout } = model;
    const outs = layout.widths.slice(1);
    this.primal = new Workspace(gpu, layout.widths, rows, false);
    this.x = this.primal.x;
    this.y = this.primal.y;
    this.tan = outs.map((n, l) => Tensor.create(gpu, [2 * rows * k * n], { label: `block:tangent${l + 1}` }));
    this.ddel = outs.map((n, l) => Tensor.create(gpu, [rows * k * n], { label: `block:delta_dot${l + 1}` }));
    this.pre = gaussNewton ? [] : outs.slice(0, -1).map((n, l) => Tensor.create(gpu, [rows * n], { label: `block:pre${l + 1}` }));
  }

  destroy(): void {
    this.primal.destroy();
    for (const t of [...this.tan, ...this.ddel, ...this.pre]) t.destroy();
  }
}

export class BlockPassPlan {
  private constructor(
    readonly options: BlockPassOptions,
    readonly k: number,
    readonly scalars: Tensor,
    /** Its dispatches (read by the profile, src/bench/profile.ts). */
    readonly pass: ChunkedPass,
  ) {}

  static async prepare(model: ModelView, o: BlockPassOptions): Promise<BlockPassPlan> {
    const { gpu, layout } = model;
    const P = layout.size;
    const k = o.k ?? o.directions.size / P;
    if (!Number.isInteger(k) || k < 1) {
      throw new ShapeError(`a block of directions needs k × ${P} elements (k ≥ 1 whole rows of the network's parameters); got ${o.directions.size}`);
    }
    for (const [name, t] of [['directions', o.directions], ['products', o.products]] as const) {
      if (t.size < k * P) throw new ShapeError(`${name} has ${t.size} elements; ${k} directions of ${P} parameters need ${k * P}`);
    }
    if (o.directions.buffer === o.products.buffer) throw new ShapeError('hvpBlock: directions and products must be different buffers');
    const wide = { k, what: `hvpBlock: k = ${k} tangents`, fix: 'use a smaller k' };
    const { pass, built: scalars } = await buildChunkedPass(model, o, wide, async (b) => {
      const scalars = b.scalars(SCALAR_SLOTS, 'block:scalars');
      const withSide = (i: number) => i > 0 && !o.gaussNewton;
      const scratch = layout.layers.map(({ inDim, outDim }, i): LayerScratch => {
        const make = (n: number, label: string) => b.tensor(n, `block:${label}${i + 1}`);
        return {
          stacked: make(k * outDim * inDim, 'stacked'),
          side: withSide(i) ? make(k * outDim * inDim, 'side') : undefined,
          accW: make(k * outDim * inDim, 'accW'),
          accSide: withSide(i) ? make(k * outDim * inDim, 'accSide') : undefined,
          accB: make(k * outDim, 'accB'),
        };
      });
      b.clears.push(...scratch.flatMap((l) => [l.accW, l.accB, ...(l.accSide ? [l.accSide] : [])]));
      for (const [i, { inDim, outDim, weightOffset }] of layout.layers.entries()) {
        const view = { directions: o.directions, k, stride: P, offset: weightOffset, rows: outDim, cols: inDim };
        b.add(await prepareStack(gpu, view, scratch[i].stacked, 'transposed'));
        if (scratch[i].side) b.add(await prepareStack(gpu, view, scratch[i].side!, 'side'));
      }
      const weightsT = await b.transposed(model.params, 'block:weightsT');
      await b.chunks(
        (rows) => b.own(new BlockWorkspace(model, rows, k, !!o.gaussNewton)),
        (ws) => chunkBody(model, o, k, ws, scratch, weightsT, b.count, scalars),
      );
      for (const [i, { inDim, outDim, weightOffset, biasOffset }] of layout.layers.entries()) {
        const { accW, accSide, accB } = scratch[i];
        b.add(await prepareUnstack(gpu, { directions: o.products, k, stride: P, offset: weightOffset, rows: outDim, cols: inDim }, accW, accSide));
        b.add(await prepareUnstack(gpu, { directions: o.products, k, stride: P, offset: biasOffset, rows: 1, cols: outDim }, accB));
      }
      b.add(...await prepareReduce(gpu, { kind: 'sqnorm', n: P, x: { buffer: model.params }, out: scalars, slot: SLOT.halfSqNorm, scale: 0.5 }));
      const wd = o.weightDecay ?? 0;
      if (o.includeRegulariser && wd !== 0) {
        b.add(await prepareAxpby(gpu, k * P, wd, { buffer: o.directions }, 1, { buffer: o.products }));
      }
      return scalars;
    });
    return new BlockPassPlan(o, k, scalars, pass);
  }

  /** Record the whole pass (zeroing its accumulators first) into the encoder. */
  encode(encoder: GPUCommandEncoder): void {
    this.pass.encode(encoder);
  }

  destroy(): void {
    this.pass.destroy();
  }
}

async function chunkBody(
  model: ModelView, o: BlockPassOptions, k: number, ws: BlockWorkspace, scratch: LayerScratch[], weightsT: Tensor, total: number, scalars: Tensor,
): Promise<Dispatch[]> {
  const { gpu, layout } = model;
  const R = ws.rows;
  const L = layout.layers.length;
  const { x, act, del, stats, y } = ws.primal;
  const out = await blockForward(model, { k, rows: R, x, act, tan: ws.tan, stacked: scratch.map((s) => ({ buffer: s.stacked })), directions: o.directions, weightsT });
  const classes = layout.widths[L];
  out.push(await prepareSoftmaxCe(gpu, { rows: R, classes, logits: act[L - 1], labels: y, stats, delta: del[L - 1], scale: 1 / total }));
  out.push(await prepareTangentSoftmax(gpu, {
    k, rows: R, classes, logits: act[L - 1], logitsDot: ws.tan[L - 1], deltaDot: ws.ddel[L - 1], scale: 1 / total,
  }));
  out.push(...await prepareReduce(gpu, { kind: 'sum', n: R, x: { buffer: stats }, out: scalars, slot: SLOT.loss, scale: 1 / total, accumulate: true }));
  out.push(...await prepareReduce(gpu, { kind: 'sum', n: R, x: { buffer: stats, offset: R }, out: scalars, slot: SLOT.hits, accumulate: true }));
  out.push(...await blockBackward(model, {
    k, rows: R, x, act, del, tan: ws.tan, ddel: ws.ddel, pre: o.gaussNewton ? undefined : ws.pre,
    layers: scratch.map((s) => ({ w: { buffer: s.accW }, side: s.accSide && { buffer: s.accSide }, b: { buffer: s.accB }, weightsSide: s.side && { buffer: s.side } })),
  }));
  return out;
}
