/**
 * Diagonal preconditioning (shaders/precondition.wgsl): Adam's inverse square-root preconditioner
 * from its second-moment state, and the diagonal scaling out = d ⊙ x.
 */
import type { Dispatch, Gpu, KernelDescriptor } from '../context';
import { uniformLayout } from '../uniform';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from './operand';

const PARAMS = uniformLayout('Params', { n: 'u32', bias1: 'f32', inv_sqrt_bc2: 'f32', eps: 'f32' });
const PRECONDITION = { file: 'precondition.wgsl', bindings: ['uniform', 'read', 'read', 'storage'], uniform: PARAMS } as const satisfies KernelDescriptor;
const WG = 256;

/** Adam's preconditioner coefficients at step t (see the shader header). */
export interface AdamPreconditionerCoefficients {
  /** 1 − β1^t. */
  bias1: number;
  /** 1/√(1 − β2^t). */
  invSqrtBc2: number;
  eps: number;
}

/** out = 1/√P with P = bias1·(√v·invSqrtBc2 + ε); the coefficients live in `uniform` (rewrite it with writeAdamCoefficients). */
export async function prepareAdamInverseRoot(
  gpu: Gpu, n: number, v: BufferLike, out: BufferLike, c: AdamPreconditionerCoefficients,
): Promise<{ dispatch: Dispatch; uniform: GPUBuffer }> {
  const op = 'adamInverseRoot';
  checkDims(op, { n });
  checkExtent(op, 'v', v, 0, n);
  checkExtent(op, 'out', out, 0, n);
  const kernel = await gpu.kernel({ ...PRECONDITION, entry: 'adam_inverse_root', overrides: { WG } });
  const uniform = gpu.uniform(PARAMS, fields(n, c), op);
  const dispatch = gpu.dispatch(kernel, [uniform, gpuBuffer(v), gpu.placeholder('read'), gpuBuffer(out)], Math.ceil(n / WG));
  return { dispatch, uniform };
}

export function writeAdamCoefficients(gpu: Gpu, uniform: GPUBuffer, n: number, c: AdamPreconditionerCoefficients): void {
  gpu.writeUniform(uniform, PARAMS, fields(n, c));
}

/** out = d ⊙ x over n elements (out may not alias d or x). */
export async function prepareDiagScale(gpu: Gpu, n: number, d: BufferLike, x: BufferLike, out: BufferLike): Promise<Dispatch> {
  const op = 'diagScale';
  checkDims(op, { n });
  checkExtent(op, 'd', d, 0, n);
  checkExtent(op, 'x', x, 0, n);
  checkExtent(op, 'out', out, 0, n);
  const kernel = await gpu.kernel({ ...PRECONDITION, entry: 'scale', overrides: { WG } });
  return gpu.dispatch(kernel, [gpu.uniform(PARAMS, fields(n, { bias1: 1, invSqrtBc2: 1, eps: 0 }), op), gpuBuffer(d), gpuBuffer(x), gpuBuffer(out)], Math.ceil(n / WG));
}

function fields(n: number, c: AdamPreconditionerCoefficients) {
  return { n, bias1: c.bias1, inv_sqrt_bc2: c.invSqrtBc2, eps: c.eps };
}
