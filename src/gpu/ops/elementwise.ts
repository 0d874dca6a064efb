/**
 * Elementwise ops (shaders/elementwise.wgsl): activations and their derivatives, and
 * y = alpha·c·x + beta·y where c may come from a GPU scalar (norm, Rayleigh quotient) or, elementwise,
 * from a GPU vector (y = alpha·s⊙x + beta·y).
 */
import type { Dispatch, Gpu, KernelDescriptor } from '../context';
import { uniformLayout } from '../uniform';
import { ACTIVATION_CODE, type ActivationName } from '../../vocabulary';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from './operand';

const PARAMS = uniformLayout('Params', { n: 'u32', x_off: 'u32', y_off: 'u32', slot: 'u32', alpha: 'f32', beta: 'f32' });
const ELEMENTWISE = { file: 'elementwise.wgsl', bindings: ['uniform', 'read', 'read', 'storage'], uniform: PARAMS } as const satisfies KernelDescriptor;
const WG = 256;

export interface VectorView {
  buffer: BufferLike;
  offset?: number;
}

/** y = act^(order)(x) over n elements. */
export async function prepareActivate(
  gpu: Gpu, n: number, activation: ActivationName, order: 0 | 1 | 2, x: VectorView, y: VectorView,
): Promise<Dispatch> {
  const op = `activate(${activation}, order ${order})`;
  checkDims(op, { n });
  checkExtent(op, 'x', x.buffer, x.offset ?? 0, n);
  checkExtent(op, 'y', y.buffer, y.offset ?? 0, n);
  const kernel = await gpu.kernel({ ...ELEMENTWISE, entry: 'activate', overrides: { WG, ACT: ACTIVATION_CODE[activation], ORDER: order } });
  return gpu.dispatch(kernel, [
    uniform(gpu, n, x, y, 0, 1, 0), gpuBuffer(x.buffer), gpu.placeholder('read'), gpuBuffer(y.buffer),
  ], Math.ceil(n / WG));
}

/** Where the coefficient c comes from: 1, scalars[slot], 1/sqrt(scalars[slot]), or scalars[slot + i] per element i. */
export type Coefficient = { kind: 'one' } | { kind: 'scalar' | 'rsqrt' | 'vector'; scalars: BufferLike; slot: number };

const COEF = { one: 0, scalar: 1, rsqrt: 2, vector: 3 } as const;

/** y = alpha·c·x + beta·y over n elements (beta = 0 overwrites y without reading it). */
export async function prepareAxpby(
  gpu: Gpu, n: number, alpha: number, x: VectorView, beta: number, y: VectorView,
  coefficient: Coefficient = { kind: 'one' },
): Promise<Dispatch> {
  const op = 'axpby';
  checkDims(op, { n });
  checkExtent(op, 'x', x.buffer, x.offset ?? 0, n);
  checkExtent(op, 'y', y.buffer, y.offset ?? 0, n);
  const coef = COEF[coefficient.kind];
  let scalars = gpu.placeholder('read');
  let slot = 0;
  if (coefficient.kind !== 'one') {
    checkExtent(op, coefficient.kind === 'vector' ? 'coefficient vector' : 'scalar', coefficient.scalars, coefficient.slot, coefficient.kind === 'vector' ? n : 1);
    scalars = gpuBuffer(coefficient.scalars);
    slot = coefficient.slot;
  }
  const kernel = await gpu.kernel({ ...ELEMENTWISE, entry: 'axpby', overrides: { WG, COEF: coef } });
  return gpu.dispatch(kernel, [
    uniform(gpu, n, x, y, slot, alpha, beta), gpuBuffer(x.buffer), scalars, gpuBuffer(y.buffer),
  ], Math.ceil(n / WG));
}

function uniform(gpu: Gpu, n: number, x: VectorView, y: VectorView, slot: number, alpha: number, beta: number): GPUBuffer {
  return gpu.uniform(PARAMS, { n, x_off: x.offset ?? 0, y_off: y.offset ?? 0, slot, alpha, beta }, 'elementwise');
}
