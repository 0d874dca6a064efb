/**
 * Elementwise kernels of the block (k-direction) pass, shaders/block.wgsl: stacking one parameter
 * block of k directions into a GEMM operand and scattering results back, the forward tangent
 * activation, the tangent softmax and the backward tangent gate (the Hessian's, or the Gauss–Newton
 * product's plain φ′ gate), all on column-blocked tangents (rows × (k·n), row r = [t_1[r] | … | t_k[r]]).
 */
import type { Dispatch, Gpu, KernelDescriptor } from '../context';
import { uniformLayout } from '../uniform';
import { ACTIVATION_CODE, type ActivationName } from './matmul';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from './operand';

const WG = 256;
const PARAMS = uniformLayout('Params', {
  k: 'u32', rows: 'u32', cols: 'u32', stride: 'u32', src_off: 'u32', dst_off: 'u32', h_off: 'u32', scale: 'f32',
});
const BLOCK = { file: 'block.wgsl', bindings: ['uniform', 'read', 'read', 'read', 'storage', 'storage'], uniform: PARAMS } as const satisfies KernelDescriptor;

interface Fields {
  k: number;
  rows: number;
  cols: number;
  stride?: number;
  srcOff?: number;
  dstOff?: number;
  hOff?: number;
  scale?: number;
}

async function dispatch(
  gpu: Gpu, entry: string, overrides: Record<string, number | boolean>, f: Fields,
  inputs: (BufferLike | undefined)[], outputs: (BufferLike | undefined)[], elements: number,
): Promise<Dispatch> {
  const kernel = await gpu.kernel({ ...BLOCK, entry, overrides: { WG, ...overrides } });
  const uniform = gpu.uniform(PARAMS, {
    k: f.k, rows: f.rows, cols: f.cols, stride: f.stride ?? 0, src_off: f.srcOff ?? 0,
    dst_off: f.dstOff ?? 0, h_off: f.hOff ?? 0, scale: f.scale ?? 1,
  }, entry);
  const reads = [0, 1, 2].map((i) => (inputs[i] ? gpuBuffer(inputs[i]!) : gpu.placeholder('read')));
  const writes = [0, 1].map((i) => (outputs[i] ? gpuBuffer(outputs[i]!) : gpu.placeholder('write', i)));
  return gpu.dispatch(kernel, [uniform, ...reads, ...writes], Math.ceil(elements / WG));
}

export type StackLayout = 'vertical' | 'side' | 'transposed';
const STACK_MODE: Record<StackLayout, number> = { vertical: 0, side: 1, transposed: 2 };

/** A rows × cols block at `offset` inside each of k rows of `directions` (row stride `stride`). */
export interface BlockView {
  directions: BufferLike;
  k: number;
  stride: number;
  offset: number;
  rows: number;
  cols: number;
}

function checkView(op: string, v: BlockView): void {
  checkDims(op, { k: v.k, rows: v.rows, cols: v.cols, stride: v.stride });
  if (v.offset + v.rows * v.cols > v.stride) throw new Error(`${op}: the block [${v.offset}, ${v.offset + v.rows * v.cols}) overruns the row of ${v.stride}`);
  checkExtent(op, 'directions', v.directions, 0, v.k * v.stride);
}

/**
 * dst ← the k blocks stacked vertically ((k·rows) × cols), side by side (rows × (k·cols)), or the
 * vertical stack transposed (cols × (k·rows): a layer's [V_1;…;V_k]ᵀ, so the forward's products
 * X·[V_1;…;V_k]ᵀ run as plain NN GEMMs, whose B the direct kernel reads as vec4s).
 */
export async function prepareStack(gpu: Gpu, v: BlockView, dst: BufferLike, layout: StackLayout, dstOffset = 0): Promise<Dispatch> {
  const op = `stack(${layout})`;
  checkView(op, v);
  const n = v.k * v.rows * v.cols;
  checkExtent(op, 'dst', dst, dstOffset, n);
  return dispatch(gpu, 'stack', { MODE: STACK_MODE[layout] },
    { k: v.k, rows: v.rows, cols: v.cols, stride: v.stride, srcOff: v.offset, dstOff: dstOffset }, [v.directions], [dst], n);
}

/** The k blocks of v.directions ← rows of the vertical stack `src` (+ the side-by-side `side`). Overwrites. */
export async function prepareUnstack(gpu: Gpu, v: BlockView, src: BufferLike, side?: BufferLike): Promise<Dispatch> {
  const op = 'unstack';
  checkView(op, v);
  const n = v.k * v.rows * v.cols;
  checkExtent(op, 'src', src, 0, n);
  if (side) checkExtent(op, 'side', side, 0, n);
  return dispatch(gpu, 'unstack', { SIDE: side !== undefined },
    { k: v.k, rows: v.rows, cols: v.cols, stride: v.stride, dstOff: v.offset }, [src, side], [v.directions], n);
}

export interface TangentActOptions {
  k: number;
  rows: number;
  width: number;
  activation: ActivationName;
  /** The layer's primal [z | h] (z at 0, rows × width). */
  z: BufferLike;
  /** The k directions (k × stride) and the layer's bias offset in them. */
  directions: BufferLike;
  stride: number;
  biasOffset: number;
  /** [ż | ḣ], each rows × (k·width): ż in, ż + ċ and ḣ out. */
  tangent: BufferLike;
}

export async function prepareTangentAct(gpu: Gpu, o: TangentActOptions): Promise<Dispatch> {
  const op = 'tangent_act';
  checkDims(op, { k: o.k, rows: o.rows, width: o.width });
  const n = o.rows * o.k * o.width;
  checkExtent(op, 'z', o.z, 0, o.rows * o.width);
  checkExtent(op, 'bias', o.directions, (o.k - 1) * o.stride + o.biasOffset, o.width);
  checkExtent(op, 'tangent', o.tangent, 0, 2 * n);
  return dispatch(gpu, 'tangent_act', { ACT: ACTIVATION_CODE[o.activation] },
    { k: o.k, rows: o.rows, cols: o.width, stride: o.stride, srcOff: o.biasOffset, hOff: n }, [o.z, o.directions], [o.tangent], n);
}

export interface TangentSoftmaxOptions {
  k: number;
  rows: number;
  classes: number;
  /** Logits z (rows × classes at 0). */
  logits: BufferLike;
  /** ż, rows × (k·classes). */
  logitsDot: BufferLike;
  /** δ̇ out, rows × (k·classes), overwritten. */
  deltaDot: BufferLike;
  scale: number;
}

export async function prepareTangentSoftmax(gpu: Gpu, o: TangentSoftmaxOptions): Promise<Dispatch> {
  const op = 'tangent_softmax';
  checkDims(op, { k: o.k, rows: o.rows, classes: o.classes });
  const n = o.rows * o.k * o.classes;
  checkExtent(op, 'logits', o.logits, 0, o.rows * o.classes);
  checkExtent(op, 'logitsDot', o.logitsDot, 0, n);
  checkExtent(op, 'deltaDot', o.deltaDot, 0, n);
  return dispatch(gpu, 'tangent_softmax', {}, { k: o.k, rows: o.rows, cols: o.classes, scale: o.scale },
    [o.logits, o.logitsDot], [o.deltaDot], o.rows * o.k);
}

export interface TangentGateOptions {
  k: number;
  rows: number;
  width: number;
  activation: ActivationName;
  /** z of the layer below (rows × width at 0). */
  z: BufferLike;
  /** δ̇W + δV in, gated δ̇ out (rows × (k·width)). */
  deltaDot: BufferLike;
  /**
   * The Hessian's extra terms; without them (the Gauss–Newton product) δ̇ is only gated by φ′(z).
   * pre: g = δ·W, ungated (rows × width); zDot: ż of the layer below, rows × (k·width);
   * delta: δ = g ⊙ φ′(z) out (rows × width).
   */
  second?: { pre: BufferLike; zDot: BufferLike; delta: BufferLike };
}

export async function prepareTangentGate(gpu: Gpu, o: TangentGateOptions): Promise<Dispatch> {
  const op = 'tangent_gate';
  checkDims(op, { k: o.k, rows: o.rows, width: o.width });
  const n = o.rows * o.k * o.width;
  checkExtent(op, 'z', o.z, 0, o.rows * o.width);
  checkExtent(op, 'deltaDot', o.deltaDot, 0, n);
  const s = o.second;
  if (s) {
    for (const [name, b] of [['pre', s.pre], ['delta', s.delta]] as const) checkExtent(op, name, b, 0, o.rows * o.width);
    checkExtent(op, 'zDot', s.zDot, 0, n);
  }
  return dispatch(gpu, 'tangent_gate', { ACT: ACTIVATION_CODE[o.activation], GAUSS_NEWTON: !s }, { k: o.k, rows: o.rows, cols: o.width },
    [o.z, s?.pre, s?.zDot], [o.deltaDot, s?.delta], n);
}
