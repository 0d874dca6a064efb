/**
 * The one builder behind every chunked pass over a GPU dataset (pass.ts, block-pass.ts,
 * points-pass.ts, sample-tangent-pass.ts, sample-norms-pass.ts). It owns the plumbing they share: the range check and
 * chunk size, the gather of each chunk, one workspace and one prepared body per distinct row
 * count (full chunks and the remainder), scalars and the buffers cleared before each run, and
 * cleanup — everything made while preparing is released together by destroy(), and also when
 * preparing throws half-way, so a failed prepare leaves gpu.memory() where it was. A pass supplies
 * only its own buffers and its body.
 */
import { releaseDispatches, type Dispatch, type Gpu } from '../gpu/context';
import { LimitError, ShapeError } from '../gpu/errors';
import { Tensor, type DType } from '../gpu/tensor';
import { prepareGather } from '../gpu/ops/gather';
import { prepareStack } from '../gpu/ops/block-tangent';
import type { GpuDataset } from '../data/gpu-dataset';
import type { ParamLayout } from './layout';
import type { Activation } from '../vocabulary';

/** What a pass needs of a model. */
export interface ModelView {
  gpu: Gpu;
  layout: ParamLayout;
  activation: Activation;
  params: Tensor;
}

/** Which samples a pass visits, and in chunks of how many rows. */
export interface ChunkRange {
  data: GpuDataset;
  /** Sample indices to visit (default: the dataset in order). */
  order?: Tensor;
  start?: number;
  count?: number;
  chunkSize?: number;
}

/** Default rows per chunk: large enough to keep a GPU busy, small enough for software adapters' memory. */
export const DEFAULT_CHUNK = 2048;

/** A chunk's gathered inputs (rows × n₀ features) and labels, which every workspace holds. */
export interface ChunkInputs {
  x: Tensor;
  y: Tensor;
}

/** Passes that carry k columns per row (tangents, points) at the widest layer, and what to do when they do not fit. */
export interface Wide {
  k: number;
  /** Names the pass and the k columns in the error, e.g. "hvpBlock: k = 8 tangents". */
  what: string;
  fix: string;
}

/** The samples a pass visits, checked against the dataset and the network's widths. */
export function passRange(layout: ParamLayout, o: ChunkRange): { order: Tensor; start: number; count: number } {
  const order = o.order ?? o.data.identity;
  const start = o.start ?? 0;
  const count = o.count ?? order.size - start;
  if (!Number.isInteger(count) || count < 1 || start + count > order.size) {
    throw new ShapeError(`pass over samples [${start}, ${start + count}) does not fit the ${order.size} indices given`);
  }
  if (o.data.features !== layout.widths[0]) {
    throw new ShapeError(`dataset '${o.data.name}' has ${o.data.features} features but the network's input width is ${layout.widths[0]}`);
  }
  if (o.data.classes !== layout.widths[layout.widths.length - 1]) {
    throw new ShapeError(`dataset '${o.data.name}' has ${o.data.classes} classes but the network has ${layout.widths[layout.widths.length - 1]} outputs`);
  }
  return { order, start, count };
}

/** A prepared pass: its dispatches, the buffers zeroed before them, and everything it owns. */
export class ChunkedPass {
  constructor(
    readonly gpu: Gpu,
    /** In encoding order (read by the profile, src/bench/profile.ts). */
    readonly dispatches: readonly Dispatch[],
    readonly clears: readonly Tensor[],
    private readonly owned: { destroy(): void }[],
  ) {}

  /** Record the whole pass (zeroing its accumulators first) into the encoder. */
  encode(encoder: GPUCommandEncoder): void {
    for (const t of this.clears) encoder.clearBuffer(t.buffer);
    this.gpu.encode(encoder, this.dispatches);
  }

  destroy(): void {
    releaseDispatches(this.dispatches);
    for (const t of this.owned.splice(0)) t.destroy();
  }
}

export class PassBuilder {
  readonly gpu: Gpu;
  readonly order: Tensor;
  readonly start: number;
  /** Samples the pass visits. */
  readonly count: number;
  /** Rows per full chunk. */
  readonly chunk: number;
  readonly dispatches: Dispatch[] = [];
  readonly clears: Tensor[] = [];
  readonly owned: { destroy(): void }[] = [];
  /** Chunk bodies as they are prepared (a body is added to `dispatches` once per chunk of its row count). */
  private readonly bodies: Dispatch[] = [];

  constructor(readonly model: ModelView, readonly range: ChunkRange, wide?: Wide) {
    const { gpu, layout } = model;
    this.gpu = gpu;
    const { order, start, count } = passRange(layout, range);
    let limit = Infinity;
    if (wide) {
      // The widest k-column buffer holds 2·rows·k·n floats ([Z | H] or [Ż | Ḣ]) and must fit one storage binding.
      const widest = Math.max(...layout.widths.slice(1));
      limit = Math.floor(gpu.limits.maxStorageBufferBindingSize / (4 * 2 * wide.k * widest));
      if (limit < 1) throw new LimitError(`${wide.what} of a ${widest}-wide layer exceed one storage buffer on this adapter (maxStorageBufferBindingSize ${gpu.limits.maxStorageBufferBindingSize}). Fix: ${wide.fix}`);
    }
    this.order = order;
    this.start = start;
    this.count = count;
    this.chunk = Math.min(count, range.chunkSize ?? DEFAULT_CHUNK, limit);
  }

  /** A buffer the pass owns. */
  tensor(size: number, label: string, dtype: DType = 'f32'): Tensor {
    return this.own(Tensor.create(this.gpu, [size], { label, dtype }));
  }

  /** Scalars the pass owns, zeroed before each run. */
  scalars(size: number, label: string): Tensor {
    const t = this.tensor(size, label);
    this.clears.push(t);
    return t;
  }

  own<T extends { destroy(): void }>(resource: T): T {
    this.owned.push(resource);
    return resource;
  }

  /**
   * A copy of the parameter vector `source` with each layer's weight block transposed (W_lᵀ,
   * inDim × outDim, at the layer's weight offset; biases copied in place), written at this point of
   * the pass: the forward's products read it as an NN operand (block-forward.ts). O(P) work, against
   * the pass's O(rows·P).
   */
  async transposed(source: Tensor, label: string): Promise<Tensor> {
    const { layout } = this.model;
    const out = this.tensor(layout.size, label);
    const view = { directions: source, k: 1, stride: layout.size };
    for (const { inDim, outDim, weightOffset, biasOffset } of layout.layers) {
      this.add(await prepareStack(this.gpu, { ...view, offset: weightOffset, rows: outDim, cols: inDim }, out, 'transposed', weightOffset));
      this.add(await prepareStack(this.gpu, { ...view, offset: biasOffset, rows: 1, cols: outDim }, out, 'vertical', biasOffset));
    }
    return out;
  }

  add(...dispatches: Dispatch[]): void {
    this.dispatches.push(...dispatches);
  }

  /**
   * Every chunk in order: its gather into the workspace for its row count, the body prepared once
   * for that workspace, then `each` (dispatches that depend on where the chunk starts, `s`).
   */
  async chunks<W extends ChunkInputs>(
    workspace: (rows: number) => W,
    body: (ws: W) => Promise<Dispatch[]>,
    each?: (ws: W, s: number) => Promise<Dispatch[]>,
  ): Promise<void> {
    const { data } = this.range;
    const prepared = new Map<number, { ws: W; body: Dispatch[] }>();
    for (let s = 0; s < this.count; s += this.chunk) {
      const rows = Math.min(this.chunk, this.count - s);
      let entry = prepared.get(rows);
      if (!entry) {
        const ws = workspace(rows);
        entry = { ws, body: await body(ws) };
        this.bodies.push(...entry.body);
        prepared.set(rows, entry);
      }
      this.add(await prepareGather(this.gpu, {
        rows, features: data.features, samples: data.count, packed: data.packed,
        pixels: data.pixels, labels: data.labels, order: this.order, start: this.start + s, x: entry.ws.x, y: entry.ws.y,
        scale: data.normalisation.scale, shift: data.normalisation.shift,
      }));
      this.add(...entry.body);
      if (each) this.add(...await each(entry.ws, s));
    }
  }

  /** Release everything made so far (a failed prepare); releasing a dispatch twice is harmless. */
  discard(): void {
    releaseDispatches(this.bodies);
    new ChunkedPass(this.gpu, this.dispatches, this.clears, this.owned).destroy();
  }
}

/**
 * Prepare a chunked pass: `define` makes the pass's buffers and dispatches through the builder and
 * returns whatever the pass keeps of them. If it throws, everything made so far is released first.
 */
export async function buildChunkedPass<T>(
  model: ModelView, range: ChunkRange, wide: Wide | undefined, define: (b: PassBuilder) => Promise<T>,
): Promise<{ pass: ChunkedPass; built: T; count: number }> {
  const b = new PassBuilder(model, range, wide);
  try {
    const built = await define(b);
    return { pass: new ChunkedPass(b.gpu, b.dispatches, b.clears, b.owned), built, count: b.count };
  } catch (err) {
    b.discard();
    throw err;
  }
}
