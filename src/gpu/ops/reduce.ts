/**
 * Reductions that stay on the GPU (shaders/reduce.wgsl): sum, dot and squared norm of whole
 * vectors into one slot of a scalars buffer, and column sums (bias gradients).
 */
import { releaseDispatches, type Dispatch, type Gpu, type KernelDescriptor } from '../context';
import { LimitError } from '../errors';
import { Tensor } from '../tensor';
import { uniformLayout } from '../uniform';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from './operand';
import type { VectorView } from './elementwise';

const WG = 256;
/** Upper bound on first-pass workgroups: enough to fill a GPU, few enough for one finishing workgroup. */
const MAX_PARTIALS = 256;
const MODE = { sum: 0, dot: 1, sqnorm: 2 } as const;

const PARAMS = uniformLayout('Params', { n: 'u32', x_off: 'u32', y_off: 'u32', slot: 'u32', scale: 'f32' });
const REDUCE = { file: 'reduce.wgsl', bindings: ['uniform', 'read', 'read', 'storage'], uniform: PARAMS } as const satisfies KernelDescriptor;
const COL_PARAMS = uniformLayout('ColParams', { rows: 'u32', cols: 'u32', a_off: 'u32', ld: 'u32', out_off: 'u32', scale: 'f32' });
const COL_SUM = { file: 'reduce.wgsl', bindings: ['uniform', 'read', 'read', 'storage', 'storage'], uniform: COL_PARAMS } as const satisfies KernelDescriptor;

export type ReduceKind = keyof typeof MODE;

export interface ReduceOptions {
  kind: ReduceKind;
  n: number;
  x: VectorView;
  /** Second operand of a dot product. */
  y?: VectorView;
  out: BufferLike;
  slot: number;
  scale?: number;
  /** Add into out[slot] instead of overwriting it (summing over data chunks). */
  accumulate?: boolean;
}

/** Two dispatches: per-workgroup partial sums, then one workgroup that finishes into out[slot]. */
export async function prepareReduce(gpu: Gpu, o: ReduceOptions): Promise<Dispatch[]> {
  const op = `reduce(${o.kind})`;
  checkDims(op, { n: o.n });
  checkExtent(op, 'x', o.x.buffer, o.x.offset ?? 0, o.n);
  if (o.kind === 'dot') {
    if (!o.y) throw new Error(`${op}: a dot product needs y`);
    checkExtent(op, 'y', o.y.buffer, o.y.offset ?? 0, o.n);
  }
  checkExtent(op, 'out', o.out, o.slot, 1);
  const groups = Math.min(MAX_PARTIALS, Math.ceil(o.n / (WG * 4)));
  const [partial, finish] = await Promise.all([
    gpu.kernel({ ...REDUCE, entry: 'partial', overrides: { WG, MODE: MODE[o.kind] } }),
    gpu.kernel({ ...REDUCE, entry: 'finish', overrides: { WG, ACCUMULATE: !!o.accumulate } }),
  ]);
  // Made after the pipelines, so a failed compile leaves nothing behind.
  const partials = Tensor.create(gpu, [groups], { label: `${op}:partials` });
  const first = gpu.dispatch(partial, [
    gpu.uniform(PARAMS, { n: o.n, x_off: o.x.offset ?? 0, y_off: o.y?.offset ?? 0, slot: 0, scale: 1 }, op),
    gpuBuffer(o.x.buffer),
    o.y ? gpuBuffer(o.y.buffer) : gpu.placeholder('read'),
    partials.buffer,
  ], groups, [partials.buffer]);
  // The partial grid must not be folded: workgroup w strides by the group count it was told.
  if (first.grid[1] !== 1) {
    releaseDispatches([first]);
    throw new LimitError(`${op}: ${groups} partial groups exceed one grid row`);
  }
  try {
    return [first, gpu.dispatch(finish, [
      gpu.uniform(PARAMS, { n: groups, x_off: 0, y_off: 0, slot: o.slot, scale: o.scale ?? 1 }, op),
      partials.buffer,
      gpu.placeholder('read'),
      gpuBuffer(o.out),
    ], 1)];
  } catch (err) {
    releaseDispatches([first]);
    throw err;
  }
}

export interface ColumnSumOptions {
  rows: number;
  cols: number;
  a: BufferLike;
  aOffset?: number;
  ld?: number;
  /** Tangent matrix at the same offsets; its sums go to outDot. */
  aDot?: BufferLike;
  out: BufferLike;
  outDot?: BufferLike;
  outOffset?: number;
  scale?: number;
  accumulate?: boolean;
}

const COLS_PER_GROUP = 32;

/** out[outOffset + j] (+)= scale·Σ_i a[aOffset + i·ld + j], and the same for the tangent. */
export async function prepareColumnSum(gpu: Gpu, o: ColumnSumOptions): Promise<Dispatch> {
  const op = 'col_sum';
  checkDims(op, { rows: o.rows, cols: o.cols });
  const ld = o.ld ?? o.cols;
  const aOff = o.aOffset ?? 0;
  const outOff = o.outOffset ?? 0;
  const extent = (o.rows - 1) * ld + o.cols;
  checkExtent(op, 'a', o.a, aOff, extent);
  checkExtent(op, 'out', o.out, outOff, o.cols);
  const dual = o.aDot !== undefined;
  if (dual !== (o.outDot !== undefined)) throw new Error(`${op}: aDot and outDot go together`);
  if (o.aDot) checkExtent(op, 'aDot', o.aDot, aOff, extent);
  if (o.outDot) checkExtent(op, 'outDot', o.outDot, outOff, o.cols);
  const kernel = await gpu.kernel({ ...COL_SUM, entry: 'col_sum', overrides: { WG, DUAL: dual, ACCUMULATE: !!o.accumulate } });
  return gpu.dispatch(kernel, [
    gpu.uniform(COL_PARAMS, { rows: o.rows, cols: o.cols, a_off: aOff, ld, out_off: outOff, scale: o.scale ?? 1 }, op),
    gpuBuffer(o.a),
    o.aDot ? gpuBuffer(o.aDot) : gpu.placeholder('read'),
    gpuBuffer(o.out),
    o.outDot ? gpuBuffer(o.outDot) : gpu.placeholder('write'),
  ], Math.ceil(o.cols / COLS_PER_GROUP));
}
