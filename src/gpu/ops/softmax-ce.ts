/**
 * Softmax cross-entropy over logits (shaders/softmax_ce.wgsl): per-row loss and hit, and the
 * loss's gradient and its tangent with respect to the logits.
 */
import type { Dispatch, Gpu, KernelDescriptor } from '../context';
import { uniformLayout } from '../uniform';
import { ShapeError } from '../errors';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from './operand';

const WG = 64;
const PARAMS = uniformLayout('Params', { rows: 'u32', classes: 'u32', z_off: 'u32', ld: 'u32', scale: 'f32' });
const SOFTMAX_CE = {
  file: 'softmax_ce.wgsl', bindings: ['uniform', 'read', 'read', 'read', 'storage', 'storage', 'storage'], uniform: PARAMS,
} as const satisfies KernelDescriptor;

export interface SoftmaxCeOptions {
  rows: number;
  classes: number;
  logits: BufferLike;
  logitsOffset?: number;
  ld?: number;
  /** ż, the logits' tangent, at the same offsets (needed for deltaDot). */
  logitsDot?: BufferLike;
  labels: BufferLike;
  /** 2·rows floats: per-row loss, then per-row hit (0/1). */
  stats: BufferLike;
  /** rows × classes: scale·(softmax − onehot). Omit for loss/accuracy only. */
  delta?: BufferLike;
  deltaDot?: BufferLike;
  scale?: number;
}

export async function prepareSoftmaxCe(gpu: Gpu, o: SoftmaxCeOptions): Promise<Dispatch> {
  const op = 'softmax_ce';
  checkDims(op, { rows: o.rows, classes: o.classes });
  const ld = o.ld ?? o.classes;
  const off = o.logitsOffset ?? 0;
  const extent = (o.rows - 1) * ld + o.classes;
  checkExtent(op, 'logits', o.logits, off, extent);
  checkExtent(op, 'labels', o.labels, 0, o.rows);
  checkExtent(op, 'stats', o.stats, 0, 2 * o.rows);
  const dual = o.deltaDot !== undefined;
  if (dual && (!o.logitsDot || !o.delta)) throw new ShapeError(`${op}: deltaDot needs logitsDot and delta`);
  if (o.logitsDot) checkExtent(op, 'logitsDot', o.logitsDot, off, extent);
  if (o.delta) checkExtent(op, 'delta', o.delta, 0, o.rows * o.classes);
  if (o.deltaDot) checkExtent(op, 'deltaDot', o.deltaDot, 0, o.rows * o.classes);
  const kernel = await gpu.kernel({
    ...SOFTMAX_CE, entry: 'main',
    overrides: { WG, WANT_DELTA: o.delta !== undefined, DUAL: dual },
  });
  return gpu.dispatch(kernel, [
    gpu.uniform(PARAMS, { rows: o.rows, classes: o.classes, z_off: off, ld, scale: o.scale ?? 1 }, op),
    gpuBuffer(o.logits),
    o.logitsDot ? gpuBuffer(o.logitsDot) : gpu.placeholder('read'),
    gpuBuffer(o.labels),
    gpuBuffer(o.stats),
    o.delta ? gpuBuffer(o.delta) : gpu.placeholder('write'),
    o.deltaDot ? gpuBuffer(o.deltaDot) : gpu.placeholder('write', 1),
  ], Math.ceil(o.rows / WG));
}
