/**
 * Per-sample squared gradient norms of one dense layer (shaders/sample_norms.wgsl):
 * out[outOffset + r] = scale·‖δ_r‖²·(‖a_r‖² + 1) for every row r of a chunk, from the layer's
 * backpropagated signal δ (rows × outDim) and its input a (rows × inDim), overwriting them.
 */
import type { Dispatch, Gpu, KernelDescriptor } from '../context';
import { uniformLayout } from '../uniform';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from './operand';

const WG = 64;

const PARAMS = uniformLayout('Params', { rows: 'u32', out_dim: 'u32', in_dim: 'u32', a_off: 'u32', out_off: 'u32', scale: 'f32' });
const SAMPLE_NORMS = { file: 'sample_norms.wgsl', bindings: ['uniform', 'read', 'read', 'storage'], uniform: PARAMS } as const satisfies KernelDescriptor;

export interface SampleNormsOptions {
  rows: number;
  outDim: number;
  inDim: number;
  /** δ, rows × outDim at 0. */
  delta: BufferLike;
  /** a, rows × inDim at actOffset. */
  act: BufferLike;
  actOffset?: number;
  /** rows values at outOffset, overwritten. */
  out: BufferLike;
  outOffset?: number;
  /** Multiplies each value (N² when δ carries the pass's 1/N). */
  scale?: number;
}

export async function prepareSampleNorms(gpu: Gpu, o: SampleNormsOptions): Promise<Dispatch> {
  const op = 'sample_norms';
  checkDims(op, { rows: o.rows, outDim: o.outDim, inDim: o.inDim });
  const actOffset = o.actOffset ?? 0;
  const outOffset = o.outOffset ?? 0;
  checkExtent(op, 'delta', o.delta, 0, o.rows * o.outDim);
  checkExtent(op, 'act', o.act, actOffset, o.rows * o.inDim);
  checkExtent(op, 'out', o.out, outOffset, o.rows);
  const kernel = await gpu.kernel({ ...SAMPLE_NORMS, entry: 'main', overrides: { WG } });
  return gpu.dispatch(kernel, [
    gpu.uniform(PARAMS, { rows: o.rows, out_dim: o.outDim, in_dim: o.inDim, a_off: actOffset, out_off: outOffset, scale: o.scale ?? 1 }, op),
    gpuBuffer(o.delta), gpuBuffer(o.act), gpuBuffer(o.out),
  ], o.rows);
}
