/**
 * Per-sample loss tangents (shaders/sample_tangent.wgsl): u_jᵀ∇ℓ_r for every sample r of a chunk
 * and k directions, from the logits and their column-blocked forward tangents. Writes k rows of
 * `stride` samples at column `base` (the chunk's first sample), overwriting them.
 */
import type { Dispatch, Gpu, KernelDescriptor } from '../context';
import { uniformLayout } from '../uniform';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from './operand';

const WG = 64;
const PARAMS = uniformLayout('Params', { rows: 'u32', classes: 'u32', k: 'u32', stride: 'u32', base: 'u32' });
const SAMPLE_TANGENT = { file: 'sample_tangent.wgsl', bindings: ['uniform', 'read', 'read', 'read', 'storage'], uniform: PARAMS } as const satisfies KernelDescriptor;

export interface SampleTangentOptions {
  k: number;
  rows: number;
  classes: number;
  /** Logits z, rows × classes at 0. */
  logits: BufferLike;
  /** ż, rows × (k·classes), column-blocked. */
  logitsDot: BufferLike;
  /** rows labels (u32). */
  labels: BufferLike;
  /** k × stride per-sample values; this chunk fills columns [base, base + rows). */
  out: BufferLike;
  stride: number;
  base: number;
}

export async function prepareSampleTangent(gpu: Gpu, o: SampleTangentOptions): Promise<Dispatch> {
  const op = 'sample_tangent';
  checkDims(op, { k: o.k, rows: o.rows, classes: o.classes, stride: o.stride });
  if (!(Number.isInteger(o.base) && o.base >= 0 && o.base + o.rows <= o.stride)) {
    throw new Error(`${op}: samples [${o.base}, ${o.base + o.rows}) do not fit rows of ${o.stride}`);
  }
  checkExtent(op, 'logits', o.logits, 0, o.rows * o.classes);
  checkExtent(op, 'logitsDot', o.logitsDot, 0, o.rows * o.k * o.classes);
  checkExtent(op, 'labels', o.labels, 0, o.rows);
  checkExtent(op, 'out', o.out, 0, o.k * o.stride);
  const kernel = await gpu.kernel({ ...SAMPLE_TANGENT, entry: 'main', overrides: { WG } });
  return gpu.dispatch(kernel, [
    gpu.uniform(PARAMS, { rows: o.rows, classes: o.classes, k: o.k, stride: o.stride, base: o.base }, op),
    gpuBuffer(o.logits), gpuBuffer(o.logitsDot), gpuBuffer(o.labels), gpuBuffer(o.out),
  ], Math.ceil((o.rows * o.k) / WG));
}
