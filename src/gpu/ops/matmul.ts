/**
 * prepareMatmul: one GEMM (shaders/matmul.wgsl) with its bind groups built once.
 * Covers the MLP's three products — forward (NT), weight gradient (TN), δ propagation (NN) —
 * their tangents by the product rule, and the bias/activation/gate epilogues.
 * Tiles come from the adapter's table (matmul-tiles.ts) unless the caller gives one. When the
 * output has too few tiles to keep the adapter busy and K is long (the weight gradient over a
 * 2,048-row chunk), K is split: the returned dispatch writes partial products to scratch and
 * carries, in `then`, the fixed-order reduction (matmul_reduce.wgsl) that applies the epilogue.
 * The split is planned from the shape and the adapter's shipped entry only (splitPlan), so the
 * bits of a result never depend on which tile runs it.
 */
import type { Dispatch, Gpu, UniformField } from '../context';
import { LimitError, ShapeError } from '../errors';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from './operand';
import {
  DIRECT_BLOCK, checkTile, directRows, entryFor, fitTile, loadTileTables, narrowTile, productClass, tileExtent, tileFor,
  type MatmulTile, type TileEntry,
} from './matmul-tiles';

export { tileBytes, type MatmulTile } from './matmul-tiles';

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
  /** Workgroup tile; default: the adapter's table entry for this product class, fitted to workgroup memory. */
  tile?: MatmulTile;
  /** Number of K splits (1: never split); default: the adapter's split-K rule. */
  splitK?: number;
}

/** This adapter's entries: `entry` picks tiles (a user's sweep first), `shipped` plans K splits. */
export interface MatmulTuning {
  entry: TileEntry;
  shipped: TileEntry;
}

const entries = new WeakMap<Gpu, Promise<MatmulTuning>>();

/** The tile-table entries for this device's adapter, loaded on its first matmul. */
export function matmulTuning(gpu: Gpu): Promise<MatmulTuning> {
  let e = entries.get(gpu);
  if (!e) {
    e = loadTileTables().then((t) => ({ entry: entryFor(t.tiles, gpu.adapter), shipped: entryFor([t.shipped], gpu.adapter) }));
    entries.set(gpu, e);
  }
  return e;
}

/** K splits for an output of `tiles` tiles: enough to reach the rule's workgroup count, each split at least minChunk long. */
export function chooseSplits(tiles: number, k: number, rule: TileEntry['splitK']): number {
  if (tiles >= rule.minWorkgroups) return 1;
  return Math.max(1, Math.min(Math.ceil(rule.minWorkgroups / tiles), Math.floor(k / rule.minChunk), 64));
}

export interface SplitPlan {
  splits: number;
  /** Length of each split's k range (the last may be shorter). */
  kChunk: number;
}

/**
 * How a product's K is split — which fixes each output's summation order, so its bits: counted in
 * the shipped entry's tile for the product class (never the tile that will run it) unless the caller
 * asks for `requested` splits.
 */
export function splitPlan(shipped: TileEntry, p: { m: number; n: number; k: number; cls: string; aDot: boolean; bDot: boolean; workgroupBytes: number }, requested?: number): SplitPlan {
  const span = tileExtent(fitTile(narrowTile(tileFor(shipped, p.cls), p.n), p.aDot, p.bDot, p.workgroupBytes));
  const tiles = Math.ceil(p.m / span.rows) * Math.ceil(p.n / span.cols);
  const wanted = Math.min(requested ?? chooseSplits(tiles, p.k, shipped.splitK), p.k);
  const kChunk = Math.ceil(p.k / wanted);
  return { splits: Math.ceil(p.k / kChunk), kChunk };
}

const BINDINGS = ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'storage', 'storage'] as const;
const DIRECT_BINDINGS = [...BINDINGS, 'read', 'read'] as const;

export async function prepareMatmul(gpu: Gpu, o: MatmulOptions): Promise<Dispatch> {
  const op = 'matmul';
  checkDims(op, { m: o.m, n: o.n, k: o.k });
  const epi = o.epilogue ?? { kind: 'store' };
  const aDot = o.a.dot !== undefined;
  const bDot = o.b.dot !== undefined;
  const dual = aDot || bDot;
  const { entry, shipped } = await matmulTuning(gpu);
  const cls = productClass(!!o.a.transpose, !!o.b.transpose, dual);
  const workgroupBytes = gpu.limits.maxComputeWorkgroupStorageSize;
  const tile = o.tile ?? fitTile(narrowTile(tileFor(entry, cls), o.n), aDot, bDot, workgroupBytes);
  checkTile(gpu.limits, tile, aDot, bDot, o.tile ? 'given by the caller' : `table entry '${entry.name}'`);
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

  const span = tileExtent(tile);
  const tiles = Math.ceil(o.m / span.rows) * Math.ceil(o.n / span.cols);
  if (o.splitK !== undefined && (!Number.isInteger(o.splitK) || o.splitK < 1)) throw new ShapeError(`${op}: splitK = ${o.splitK} must be a positive integer`);
  const { splits, kChunk } = splitPlan(shipped, { m: o.m, n: o.n, k: o.k, cls, aDot, bDot, workgroupBytes }, o.splitK);
  const fields: UniformField[] = [
    { u32: o.m }, { u32: o.n }, { u32: o.k },
    { u32: aOff }, { u32: lda }, { u32: bOff }, { u32: ldb }, { u32: cOff }, { u32: ldc },
    { u32: zOff }, { u32: biasOff }, { f32: o.alpha ?? 1 }, { u32: splits }, { u32: splits > 1 ? kChunk : o.k },
  ];
  const epilogue = {
    A_DOT: aDot, B_DOT: bDot,
    EPILOGUE: epi.kind === 'store' ? 0 : epi.kind === 'layer' ? 1 : 2,
    ACT: act,
    ACCUMULATE: epi.kind === 'store' && !!epi.accumulate,
    STORE_PRIMAL: epi.kind !== 'store' || epi.storePrimal !== false,
  };
  const direct = tile.variant === 'direct';
  // The direct kernel reads B as vec4s when every row of its 8-column blocks starts 16-byte aligned.
  const vecB = direct && !o.b.transpose && o.n >= DIRECT_BLOCK && o.n % 4 === 0 && ldb % 4 === 0 && bOff % 4 === 0 &&
    gpuBuffer(o.b.buffer).size % 16 === 0 && (!o.b.dot || gpuBuffer(o.b.dot).size % 16 === 0);
  const file = direct ? 'matmul_direct.wgsl' : 'matmul.wgsl';
  const bindings = direct ? DIRECT_BINDINGS : BINDINGS;
  const product = {
    ...(direct ? { WG: tile.wgN, TM: directRows(tile), VEC_B: vecB } : { WG_M: tile.wgM, WG_N: tile.wgN, TILE_K: tile.tileK }),
    TRANS_A: !!o.a.transpose, TRANS_B: !!o.b.transpose, A_DOT: aDot, B_DOT: bDot,
  };
  const uniform = gpu.uniform(fields, op);
  const operands = [
    uniform,
    gpuBuffer(o.a.buffer),
    gpuBuffer(o.b.buffer),
    o.a.dot ? gpuBuffer(o.a.dot) : gpu.placeholder('read'),
    o.b.dot ? gpuBuffer(o.b.dot) : gpu.placeholder('read'),
  ];
  const outputs = [
    o.out.buffer ? gpuBuffer(o.out.buffer) : gpu.placeholder('write'),
    o.out.dot ? gpuBuffer(o.out.dot) : gpu.placeholder('write', 1),
  ];
  // The direct kernel also sees B (and Ḃ) as vec4s; bound to placeholders when it reads scalars.
  const vec4Views = direct
    ? [vecB ? gpuBuffer(o.b.buffer) : gpu.placeholder('read'), vecB && o.b.dot ? gpuBuffer(o.b.dot) : gpu.placeholder('read')]
    : [];
  if (splits === 1) {
    const kernel = await gpu.kernel({ file, entry: 'main', bindings, overrides: { ...product, ...epilogue } });
    return gpu.dispatch(kernel, [...operands, aux, auxDot, ...outputs, ...vec4Views], tiles);
  }

  // Split K: raw partials into scratch (the epilogue overrides do not matter there, so one
  // pipeline serves every epilogue), then the reduction applies the epilogue to their sum.
  const bytes = 4 * splits * o.m * o.n;
  if (bytes > gpu.limits.maxStorageBufferBindingSize) {
    throw new LimitError(`${op}: ${splits} K splits of a ${o.m}×${o.n} output need ${bytes} bytes of scratch, over maxStorageBufferBindingSize ${gpu.limits.maxStorageBufferBindingSize}. Fix: pass splitK: 1 or fewer splits.`);
  }
  const scratch = (label: string) => gpu.device.createBuffer({ label, size: bytes, usage: GPUBufferUsage.STORAGE });
  const partial = scratch('matmul split-K partials');
  const partialDot = dual ? scratch('matmul split-K tangent partials') : gpu.placeholder('write', 1);
  const [splitKernel, reduceKernel] = await Promise.all([
    gpu.kernel({ file, entry: 'main', bindings, overrides: { ...product, SPLIT_K: true } }),
    gpu.kernel({ file: 'matmul_reduce.wgsl', entry: 'main', bindings: BINDINGS, overrides: epilogue }),
  ]);
  const placeholders = [gpu.placeholder('read'), gpu.placeholder('read')];
  const first = gpu.dispatch(splitKernel, [...operands, ...placeholders, partial, partialDot, ...vec4Views], tiles * splits, dual ? [partial, partialDot] : [partial]);
  const reduce = gpu.dispatch(reduceKernel, [
    uniform, partial, gpuBuffer(o.b.buffer), dual ? partialDot : gpu.placeholder('read'),
    o.b.dot ? gpuBuffer(o.b.dot) : gpu.placeholder('read'), aux, auxDot, ...outputs,
  ], Math.ceil((o.m * o.n) / REDUCE_WG));
  reduce.owned.length = 0; // the uniform is owned (and freed) by the first dispatch
  return { ...first, then: [reduce] };
}

/** Threads per workgroup of the split-K reduction (its WG override default). */
const REDUCE_WG = 64;
