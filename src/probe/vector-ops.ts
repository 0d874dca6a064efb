/**
 * GPU vector steps shared by the eigen-solvers and estimators: normalising a vector by a norm
 * that never leaves the GPU, copying between parameter-space buffers inside a command encoder,
 * and the basis products of Gram–Schmidt (shaders/probe.wgsl). Random probe vectors are drawn
 * on the host from the seeded Rng, so a seed gives the same vectors in Node and in the browser.
 */
import { releaseDispatches, type Dispatch, type Gpu, type KernelDescriptor } from '../gpu/context';
import { uniformLayout } from '../gpu/uniform';
import { prepareColumnSum, prepareReduce } from '../gpu/ops/reduce';
import { Tensor } from '../gpu/tensor';
import { prepareAxpby, type VectorView } from '../gpu/ops/elementwise';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from '../gpu/ops/operand';
import type { Rng } from '../util/rng';

const WG = 256;
const PARAMS = uniformLayout('Params', { rows: 'u32', n: 'u32', off: 'u32', alpha: 'f32', beta: 'f32' });
const PROBE = { file: 'probe.wgsl', bindings: ['uniform', 'read', 'read', 'storage'], uniform: PARAMS } as const satisfies KernelDescriptor;

/** dst = src/‖src‖: ‖src‖² goes to scalars[slot] (where it stays for the caller) and scales src by its rsqrt. */
export async function prepareNormalize(
  gpu: Gpu, n: number, src: VectorView, dst: VectorView, scalars: BufferLike, slot: number,
): Promise<Dispatch[]> {
  return [
    ...await prepareReduce(gpu, { kind: 'sqnorm', n, x: src, out: scalars, slot }),
    await prepareAxpby(gpu, n, 1, src, 0, dst, { kind: 'rsqrt', scalars, slot }),
  ];
}

/** Record a copy of n elements (element offsets) between two tensors. */
export function copyVector(encoder: GPUCommandEncoder, from: Tensor, to: Tensor, n: number, fromOffset = 0, toOffset = 0): void {
  encoder.copyBufferToBuffer(from.buffer, fromOffset * 4, to.buffer, toOffset * 4, n * 4);
}

export type ProbeKind = 'normal' | 'rademacher';

/** A host vector of n standard-normal or ±1 entries drawn from rng. */
export function randomVector(rng: Rng, n: number, kind: ProbeKind): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = kind === 'normal' ? rng.normal() : rng.sign();
  return v;
}

/** The first `rows` vectors of length n in a row-major basis buffer. */
export interface BasisView {
  basis: BufferLike;
  n: number;
  rows: number;
}

/** out[outOffset + r] = ⟨basis row r, x⟩ for every row: the coefficients c = V·x. */
export async function prepareProject(gpu: Gpu, v: BasisView, x: BufferLike, out: BufferLike, outOffset = 0): Promise<Dispatch> {
  const op = 'project';
  checkBasis(op, v);
  checkExtent(op, 'x', x, 0, v.n);
  checkExtent(op, 'out', out, outOffset, v.rows);
  const kernel = await gpu.kernel({ ...PROBE, entry: 'project', overrides: { WG } });
  return gpu.dispatch(kernel, [uniform(gpu, v, outOffset, 1, 0), gpuBuffer(v.basis), gpuBuffer(x), gpuBuffer(out)], v.rows);
}

/** y = alpha·Vᵀc + beta·y with c = coeffs[coeffOffset .. coeffOffset + rows) (beta = 0 overwrites y). */
export async function prepareCombine(
  gpu: Gpu, v: BasisView, coeffs: BufferLike, coeffOffset: number, y: BufferLike, alpha: number, beta: number,
): Promise<Dispatch> {
  const op = 'combine';
  checkBasis(op, v);
  checkExtent(op, 'coeffs', coeffs, coeffOffset, v.rows);
  checkExtent(op, 'y', y, 0, v.n);
  const kernel = await gpu.kernel({ ...PROBE, entry: 'combine', overrides: { WG } });
  return gpu.dispatch(kernel, [
    uniform(gpu, v, coeffOffset, alpha, beta), gpuBuffer(v.basis), gpuBuffer(coeffs), gpuBuffer(y),
  ], Math.ceil(v.n / WG));
}

/** Most rows one Gram product handles (shaders/probe.wgsl GRAM_ROWS). */
export const GRAM_MAX_ROWS = 64;
/** Column-slice workgroups of the Gram partial sums: enough to spread over a GPU, few enough to finish in one column sum. */
const GRAM_GROUPS = 128;

/**
 * out[outOffset + i·r + j] = ⟨s_i, s_j⟩ for the r = top.rows + bottom.rows rows s of [top; bottom]
 * (each a row-major block of vectors of length n): the Gram matrices of the block solvers,
 * r ≤ GRAM_MAX_ROWS. Two dispatches (slice partials, then their column sum); owns its partials.
 */
export async function prepareGram(gpu: Gpu, top: BasisView, bottom: BasisView | undefined, out: BufferLike, outOffset = 0): Promise<Dispatch[]> {
  const op = 'gram';
  checkBasis(op, top);
  if (bottom) {
    checkBasis(op, bottom);
    if (bottom.n !== top.n) throw new Error(`${op}: the two blocks have rows of ${top.n} and ${bottom.n}`);
  }
  const rows = top.rows + (bottom?.rows ?? 0);
  if (rows > GRAM_MAX_ROWS) throw new Error(`${op}: ${rows} rows exceed the ${GRAM_MAX_ROWS} one Gram product handles; use a smaller block`);
  checkExtent(op, 'out', out, outOffset, rows * rows);
  const groups = Math.max(1, Math.min(GRAM_GROUPS, Math.ceil(top.n / 256)));
  const kernel = await gpu.kernel({ ...PROBE, entry: 'gram', overrides: { WG } });
  const partials = Tensor.create(gpu, [groups * rows * rows], { label: 'gram:partials' });
  const partial = gpu.dispatch(kernel, [
    gpu.uniform(PARAMS, { rows, n: top.n, off: top.rows, alpha: 1, beta: 0 }, op),
    gpuBuffer(top.basis), gpuBuffer(bottom?.basis ?? top.basis), partials.buffer,
  ], groups, [partials.buffer]);
  try {
    return [partial, await prepareColumnSum(gpu, { rows: groups, cols: rows * rows, a: partials, out, outOffset })];
  } catch (err) {
    releaseDispatches([partial]);
    throw err;
  }
}

function checkBasis(op: string, v: BasisView): void {
  checkDims(op, { n: v.n, rows: v.rows });
  checkExtent(op, 'basis', v.basis, 0, v.rows * v.n);
}

function uniform(gpu: Gpu, v: BasisView, offset: number, alpha: number, beta: number): GPUBuffer {
  return gpu.uniform(PARAMS, { rows: v.rows, n: v.n, off: offset, alpha, beta }, 'probe');
}
