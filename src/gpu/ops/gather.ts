/**
 * Minibatch gather (shaders/data.wgsl): rows of a GPU-resident dataset, picked through an index
 * buffer (a permutation for shuffled epochs, identity for evaluation), into a dense f32 batch.
 */
import type { Dispatch, Gpu, KernelDescriptor } from '../context';
import { uniformLayout } from '../uniform';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from './operand';

const WG = 256;
const PARAMS = uniformLayout('Params', { rows: 'u32', features: 'u32', start: 'u32', scale: 'f32', shift: 'f32' });
const GATHER = { file: 'data.wgsl', bindings: ['uniform', 'read', 'read', 'read', 'storage', 'storage'], uniform: PARAMS } as const satisfies KernelDescriptor;

export interface GatherOptions {
  rows: number;
  features: number;
  /** Samples in the dataset (bounds-checks the index buffer's targets on the host side). */
  samples: number;
  /** Bytes packed 4 per u32 (PACKED) or f32 features. */
  packed: boolean;
  pixels: BufferLike;
  labels: BufferLike;
  order: BufferLike;
  start: number;
  x: BufferLike;
  y: BufferLike;
  scale?: number;
  shift?: number;
}

export async function prepareGather(gpu: Gpu, o: GatherOptions): Promise<Dispatch> {
  const op = 'gather';
  checkDims(op, { rows: o.rows, features: o.features, samples: o.samples });
  const words = o.packed ? Math.ceil((o.samples * o.features) / 4) : o.samples * o.features;
  checkExtent(op, 'pixels', o.pixels, 0, words);
  checkExtent(op, 'labels', o.labels, 0, o.samples);
  checkExtent(op, 'order', o.order, o.start, o.rows);
  checkExtent(op, 'x', o.x, 0, o.rows * o.features);
  checkExtent(op, 'y', o.y, 0, o.rows);
  const kernel = await gpu.kernel({ ...GATHER, entry: 'gather', overrides: { WG, PACKED: o.packed } });
  return gpu.dispatch(kernel, [
    gpu.uniform(PARAMS, { rows: o.rows, features: o.features, start: o.start, scale: o.scale ?? 1, shift: o.shift ?? 0 }, op),
    gpuBuffer(o.pixels), gpuBuffer(o.labels), gpuBuffer(o.order), gpuBuffer(o.x), gpuBuffer(o.y),
  ], Math.ceil((o.rows * o.features) / WG));
}
