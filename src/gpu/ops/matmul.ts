/**
 * prepareMatmul: one GEMM dispatch (shaders/matmul.wgsl) with its bind group built once.
 * Covers the MLP's three products — forward (NT), weight gradient (TN), δ propagation (NN) —
 * their tangents by the product rule, and the bias/activation/gate epilogues.
 */
import type { Dispatch, Gpu, UniformField } from '../context';
import { ShapeError } from '../errors';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from './operand';

import { ACTIVATION_CODE, type ActivationName } from '../../vocabulary';
export { ACTIVATION_CODE, type ActivationName };

export interface MatOperand {
  buffer: BufferLike;
  offset?: number;
  /** Leading dimension of the stored matrix (row length); defaults to its stored column count. */
  ld?: number;
  /** Use the transpose of the stored matrix. */
  transpose?: boolean;
  /** Tangent of this operand, same offset and ld, in another buffer. */
  dot?: BufferLike;
}

export type Epilogue =
  | { kind: 'store'; accumulate?: boolean; storePrimal?: boolean }
  /** z = AB + bias (bias in B's buffer at biasOffset, tangent bias in B.dot); writes z at zOffset and act(z) at C. */
  | { kind: 'layer'; activation: ActivationName; biasOffset: number; zOffset: number }
  /** C = AB ⊙ act'(z) with z read from aux (tangent: + AB ⊙ act''(z) ⊙ ż from aux.dot). */
  | { kind: 'gate'; activation: ActivationName; aux: BufferLike; auxDot?: BufferLike; zOffset: number };

export interface MatmulTile {
  wgM: number;
  wgN: number;
  tileK: number;
}

/** 64×64 output tiles, 32-deep: the best of `npm run bench -- kernels --tune` on lavapipe for the MLP shapes. */
export const DEFAULT_TILE: MatmulTile = { wgM: 16, wgN: 16, tileK: 32 };
/** Per-thread block size fixed in the shader (TM × TN). */
const THREAD_BLOCK = 4;

export interface MatmulOptions {
  m: number;
  n: number;
  k: number;
  a: MatOperand;
  b: MatOperand;
  /** The primal output may be omitted when an epilogue 'store' with storePrimal: false writes only the tangent. */
  out: { buffer?: BufferLike; offset?: number; ld?: number; dot?: BufferLike };
  epilogue?: Epilogue;
  alpha?: number;
  tile?: MatmulTile;
}

/** Bytes of workgroup memory a tile stages: A and B tiles, plus tangent tiles when present (1 float when absent). */
export function tileBytes(t: MatmulTile, aDot: boolean, bDot: boolean): number {
  const a = THREAD_BLOCK * t.wgM * t.tileK;
  const b = THREAD_BLOCK * t.wgN * t.tileK;
  return 4 * (a + b + (aDot ? a : 1) + (bDot ? b : 1));
}

/** Halve the tile depth until the staged tiles fit the device's workgroup memory (dual kernels stage twice as much). */
function fitTile(tile: MatmulTile, aDot: boolean, bDot: boolean, limit: number): MatmulTile {
  let t = tile;
  while (tileBytes(t, aDot, bDot) > limit && t.tileK > 1) t = { ...t, tileK: t.tileK / 2 };
  return t;
}

const BINDINGS = ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'storage', 'storage'] as const;

export async function prepareMatmul(gpu: Gpu, o: MatmulOptions): Promise<Dispatch> {
  const op = 'matmul';
  checkDims(op, { m: o.m, n: o.n, k: o.k });
  const epi = o.epilogue ?? { kind: 'store' };
  const aDot = o.a.dot !== undefined;
  const bDot = o.b.dot !== undefined;
  const tile = o.tile ?? fitTile(DEFAULT_TILE, aDot, bDot, gpu.limits.maxComputeWorkgroupStorageSize);
  const dual = aDot || bDot;
  if (dual && !o.out.dot) throw new ShapeError(`${op}: a tangent operand was given but out.dot is missing`);
  if (!dual && o.out.dot) throw new ShapeError(`${op}: out.dot needs a.dot or b.dot`);

  // Stored shapes: op(A) is m×k, so A is m×k or (transposed) k×m; likewise B.
  const aCols = o.a.transpose ? o.m : o.k;
  const aRows = o.a.transpose ? o.k : o.m;
  const bCols = o.b.transpose ? o.k : o.n;
  const bRows = o.b.transpose ? o.n : o.k;
  const lda = o.a.ld ?? aCols;
  const ldb = o.b.ld ?? bCols;
  const ldc = o.out.ld ?? o.n;
  if (lda < aCols) throw new ShapeError(`${op}: lda ${lda} < stored A width ${aCols}`);
  if (ldb < bCols) throw new ShapeError(`${op}: ldb ${ldb} < stored B width ${bCols}`);
  if (ldc < o.n) throw new ShapeError(`${op}: ldc ${ldc} < n ${o.n}`);
  const aOff = o.a.offset ?? 0;
  const bOff = o.b.offset ?? 0;
  const cOff = o.out.offset ?? 0;
  const extent = (rows: number, cols: number, ld: number) => (rows - 1) * ld + cols;
  checkExtent(op, 'A', o.a.buffer, aOff, extent(aRows, aCols, lda));
  checkExtent(op, 'B', o.b.buffer, bOff, extent(bRows, bCols, ldb));
  const skipPrimal = epi.kind === 'store' && epi.storePrimal === false;
  if (!o.out.buffer && !skipPrimal) throw new ShapeError(`${op}: out.buffer is required unless storePrimal is false`);
  if (o.out.buffer) checkExtent(op, 'C', o.out.buffer, cOff, extent(o.m, o.n, ldc));
  if (o.a.dot) checkExtent(op, 'A.dot', o.a.dot, aOff, extent(aRows, aCols, lda));
  if (o.b.dot) checkExtent(op, 'B.dot', o.b.dot, bOff, extent(bRows, bCols, ldb));
  if (o.out.dot) checkExtent(op, 'C.dot', o.out.dot, cOff, extent(o.m, o.n, ldc));

  let zOff = 0;
  let biasOff = 0;
  let act = 0;
  let aux: GPUBuffer = gpu.placeholder('read');
  let auxDot: GPUBuffer = gpu.placeholder('read');
  if (epi.kind === 'layer') {
    zOff = epi.zOffset;
    biasOff = epi.biasOffset;
    act = ACTIVATION_CODE[epi.activation];
    checkExtent(op, 'z', o.out.buffer!, zOff, extent(o.m, o.n, ldc));
    checkExtent(op, 'bias', o.b.buffer, biasOff, o.n);
    if (o.b.dot) checkExtent(op, 'bias.dot', o.b.dot, biasOff, o.n);
  } else if (epi.kind === 'gate') {
    zOff = epi.zOffset;
    act = ACTIVATION_CODE[epi.activation];
    checkExtent(op, 'aux z', epi.aux, zOff, extent(o.m, o.n, ldc));
    aux = gpuBuffer(epi.aux);
    if (dual) {
      if (!epi.auxDot) throw new ShapeError(`${op}: a tangent gate needs auxDot (ż)`);
      checkExtent(op, 'aux ż', epi.auxDot, zOff, extent(o.m, o.n, ldc));
      auxDot = gpuBuffer(epi.auxDot);
    }
  }

  const kernel = await gpu.kernel({
    file: 'matmul.wgsl',
    entry: 'main',
    bindings: BINDINGS,
    overrides: {
      WG_M: tile.wgM, WG_N: tile.wgN, TILE_K: tile.tileK,
      TRANS_A: !!o.a.transpose, TRANS_B: !!o.b.transpose,
      A_DOT: aDot, B_DOT: bDot,
      EPILOGUE: epi.kind === 'store' ? 0 : epi.kind === 'layer' ? 1 : 2,
      ACT: act,
      ACCUMULATE: epi.kind === 'store' && !!epi.accumulate,
      STORE_PRIMAL: epi.kind !== 'store' || epi.storePrimal !== false,
    },
  });
  const fields: UniformField[] = [
    { u32: o.m }, { u32: o.n }, { u32: o.k },
    { u32: aOff }, { u32: lda }, { u32: bOff }, { u32: ldb }, { u32: cOff }, { u32: ldc },
    { u32: zOff }, { u32: biasOff }, { f32: o.alpha ?? 1 },
  ];
  const tiles = Math.ceil(o.m / (tile.wgM * THREAD_BLOCK)) * Math.ceil(o.n / (tile.wgN * THREAD_BLOCK));
  return gpu.dispatch(kernel, [
    gpu.uniform(fields, op),
    gpuBuffer(o.a.buffer),
    gpuBuffer(o.b.buffer),
    o.a.dot ? gpuBuffer(o.a.dot) : gpu.placeholder('read'),
    o.b.dot ? gpuBuffer(o.b.dot) : gpu.placeholder('read'),
    aux,
    auxDot,
    o.out.buffer ? gpuBuffer(o.out.buffer) : gpu.placeholder('write'),
    o.out.dot ? gpuBuffer(o.out.dot) : gpu.placeholder('write', 1),
  ], tiles);
}
