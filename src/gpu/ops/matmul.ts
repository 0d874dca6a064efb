/**
 * prepareMatmul: one GEMM (shaders/matmul.wgsl) with its bind groups built once, in three steps —
 * matmulShape (operands and epilogue checked, strides resolved), matmulTiling (tile and K split)
 * and bindMatmul (uniform, pipelines, dispatches).
 * Covers the MLP's three products — forward (NT), weight gradient (TN), δ propagation (NN) —
 * their tangents by the product rule, and the bias/activation/gate epilogues.
 * Tiles come from the adapter's table (matmul-tiles.ts) unless the caller gives one. When the
 * output has too few tiles to keep the adapter busy and K is long (the weight gradient over a
 * 2,048-row chunk), K is split: the returned dispatch writes partial products to scratch and
 * carries, in `then`, the fixed-order reduction (matmul_reduce.wgsl) that applies the epilogue.
 * The split is planned from the shape and the adapter's shipped entry only (splitPlan), so the
 * bits of a result never depend on which tile runs it.
 */
import type { Dispatch, Gpu, KernelDescriptor } from '../context';
import { LimitError, ShapeError } from '../errors';
import { uniformLayout, type ValuesOf } from '../uniform';
import { checkDims, checkExtent, gpuBuffer, type BufferLike } from './operand';
import {
  DIRECT_BLOCK, checkTile, directRows, entryFor, fitTile, loadTileTables, narrowTile, productClass, tileExtent, tileFor,
  type MatmulTile, type TangentProducts, type TileEntry,
} from './matmul-tiles';

export { tileBytes, type MatmulTile, type TangentProducts } from './matmul-tiles';

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

/** The adapter's tangent-product form for the single HVP's backward (TileEntry.tangentProducts). */
export async function tangentProductsFor(gpu: Gpu): Promise<TangentProducts> {
  return (await matmulTuning(gpu)).shipped.tangentProducts ?? 'dual';
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

/** shaders/matmul_io.wgsl's Shape, shared by the GEMM kernels and the split-K reduction. */
const SHAPE = uniformLayout('Shape', {
  M: 'u32', N: 'u32', K: 'u32', a_off: 'u32', lda: 'u32', b_off: 'u32', ldb: 'u32', c_off: 'u32', ldc: 'u32',
  z_off: 'u32', bias_off: 'u32', alpha: 'f32', splits: 'u32', k_chunk: 'u32',
});
const BINDINGS = ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'storage', 'storage'] as const;
const STAGED = { file: 'matmul.wgsl', bindings: BINDINGS, uniform: SHAPE } as const satisfies KernelDescriptor;
/** The direct kernel also sees B (and Ḃ) as vec4s at bindings 9 and 10. */
const DIRECT = { file: 'matmul_direct.wgsl', bindings: [...BINDINGS, 'read', 'read'], uniform: SHAPE } as const satisfies KernelDescriptor;
const REDUCE = { file: 'matmul_reduce.wgsl', bindings: BINDINGS, uniform: SHAPE } as const satisfies KernelDescriptor;

/** A product's checked operands: stored strides and offsets, which tangents it carries, its epilogue's inputs. */
export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  lda: number;
  ldb: number;
  ldc: number;
  aOff: number;
  bOff: number;
  cOff: number;
  aDot: boolean;
  bDot: boolean;
  /** The tile table's product class (transposes, tangents). */
  cls: string;
  epilogue: Epilogue;
  zOff: number;
  biasOff: number;
  act: number;
  /** The gate's z and ż (unset: the kernel's read placeholders). */
  aux?: GPUBuffer;
  auxDot?: GPUBuffer;
}

/** Step 1: every operand checked against its buffer (a ShapeError naming the operand), before any GPU work. */
export function matmulShape(o: MatmulOptions): MatmulShape {
  const op = 'matmul';
  checkDims(op, { m: o.m, n: o.n, k: o.k });
  const epilogue = o.epilogue ?? { kind: 'store' };
  const aDot = o.a.dot !== undefined;
  const bDot = o.b.dot !== undefined;
  const dual = aDot || bDot;
  if (dual && !o.out.dot) throw new ShapeError(`${op}: a tangent operand was given but out.dot is missing`);
  if (!dual && o.out.dot) throw new ShapeError(`${op}: out.dot needs a.dot or b.dot`);
  if (o.splitK !== undefined && (!Number.isInteger(o.splitK) || o.splitK < 1)) throw new ShapeError(`${op}: splitK = ${o.splitK} must be a positive integer`);

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
  const cExtent = extent(o.m, o.n, ldc);
  checkExtent(op, 'A', o.a.buffer, aOff, extent(aRows, aCols, lda));
  checkExtent(op, 'B', o.b.buffer, bOff, extent(bRows, bCols, ldb));
  const skipPrimal = epilogue.kind === 'store' && epilogue.storePrimal === false;
  if (!o.out.buffer && !skipPrimal) throw new ShapeError(`${op}: out.buffer is required unless storePrimal is false`);
  if (o.out.buffer) checkExtent(op, 'C', o.out.buffer, cOff, cExtent);
  if (o.a.dot) checkExtent(op, 'A.dot', o.a.dot, aOff, extent(aRows, aCols, lda));
  if (o.b.dot) checkExtent(op, 'B.dot', o.b.dot, bOff, extent(bRows, bCols, ldb));
  if (o.out.dot) checkExtent(op, 'C.dot', o.out.dot, cOff, cExtent);

  const shape: MatmulShape = {
    m: o.m, n: o.n, k: o.k, lda, ldb, ldc, aOff, bOff, cOff, aDot, bDot,
    cls: productClass(!!o.a.transpose, !!o.b.transpose, dual), epilogue, zOff: 0, biasOff: 0, act: 0,
  };
  if (epilogue.kind === 'layer') {
    shape.zOff = epilogue.zOffset;
    shape.biasOff = epilogue.biasOffset;
    shape.act = ACTIVATION_CODE[epilogue.activation];
    checkExtent(op, 'z', o.out.buffer!, shape.zOff, cExtent);
    checkExtent(op, 'bias', o.b.buffer, shape.biasOff, o.n);
    if (o.b.dot) checkExtent(op, 'bias.dot', o.b.dot, shape.biasOff, o.n);
  } else if (epilogue.kind === 'gate') {
    shape.zOff = epilogue.zOffset;
    shape.act = ACTIVATION_CODE[epilogue.activation];
    checkExtent(op, 'aux z', epilogue.aux, shape.zOff, cExtent);
    shape.aux = gpuBuffer(epilogue.aux);
    if (dual) {
      if (!epilogue.auxDot) throw new ShapeError(`${op}: a tangent gate needs auxDot (ż)`);
      checkExtent(op, 'aux ż', epilogue.auxDot, shape.zOff, cExtent);
      shape.auxDot = gpuBuffer(epilogue.auxDot);
    }
  }
  return shape;
}

/** How a product runs: its tile, workgroups, K split and (direct tiles) whether B is read as vec4s. */
export interface MatmulTiling {
  tile: MatmulTile;
  direct: boolean;
  vecB: boolean;
  /** Output tiles (workgroups of an unsplit product). */
  tiles: number;
  splits: number;
  kChunk: number;
}

/** Step 2: the tile (the caller's, else the adapter's table entry fitted to the device) and the K split. */
export function matmulTiling(gpu: Gpu, tuning: MatmulTuning, s: MatmulShape, o: Pick<MatmulOptions, 'tile' | 'splitK' | 'b'>): MatmulTiling {
  const workgroupBytes = gpu.limits.maxComputeWorkgroupStorageSize;
  const tile = o.tile ?? fitTile(narrowTile(tileFor(tuning.entry, s.cls), s.n), s.aDot, s.bDot, workgroupBytes);
  checkTile(gpu.limits, tile, s.aDot, s.bDot, o.tile ? 'given by the caller' : `table entry '${tuning.entry.name}'`);
  const span = tileExtent(tile);
  const tiles = Math.ceil(s.m / span.rows) * Math.ceil(s.n / span.cols);
  const { splits, kChunk } = splitPlan(tuning.shipped, { m: s.m, n: s.n, k: s.k, cls: s.cls, aDot: s.aDot, bDot: s.bDot, workgroupBytes }, o.splitK);
  const direct = tile.variant === 'direct';
  // The direct kernel reads B as vec4s when every row of its 8-column blocks starts 16-byte aligned.
  const vecB = direct && !o.b.transpose && s.n >= DIRECT_BLOCK && s.n % 4 === 0 && s.ldb % 4 === 0 && s.bOff % 4 === 0 &&
    gpuBuffer(o.b.buffer).size % 16 === 0 && (!o.b.dot || gpuBuffer(o.b.dot).size % 16 === 0);
  return { tile, direct, vecB, tiles, splits, kChunk };
}

export async function prepareMatmul(gpu: Gpu, o: MatmulOptions): Promise<Dispatch> {
  const shape = matmulShape(o);
  const tiling = matmulTiling(gpu, await matmulTuning(gpu), shape, o);
  return bindMatmul(gpu, shape, tiling, o);
}

/**
 * Step 3: the uniform, the pipelines and the dispatch (with its split-K reduction in `then`).
 * The scratch of a split product is made last, after every pipeline, and freed if binding fails.
 */
export async function bindMatmul(gpu: Gpu, s: MatmulShape, t: MatmulTiling, o: MatmulOptions): Promise<Dispatch> {
  const op = 'matmul';
  const { tile, direct, vecB, tiles, splits, kChunk } = t;
  const dual = s.aDot || s.bDot;
  const epi = s.epilogue;
  const fields: ValuesOf<typeof SHAPE> = {
    M: s.m, N: s.n, K: s.k, a_off: s.aOff, lda: s.lda, b_off: s.bOff, ldb: s.ldb, c_off: s.cOff, ldc: s.ldc,
    z_off: s.zOff, bias_off: s.biasOff, alpha: o.alpha ?? 1, splits, k_chunk: splits > 1 ? kChunk : s.k,
  };
  const epilogue = {
    A_DOT: s.aDot, B_DOT: s.bDot,
    EPILOGUE: epi.kind === 'store' ? 0 : epi.kind === 'layer' ? 1 : 2,
    ACT: s.act,
    ACCUMULATE: epi.kind === 'store' && !!epi.accumulate,
    STORE_PRIMAL: epi.kind !== 'store' || epi.storePrimal !== false,
  };
  const kernel = direct ? DIRECT : STAGED;
  const product = {
    ...(direct ? { WG: tile.wgN, TM: directRows(tile), VEC_B: vecB } : { WG_M: tile.wgM, WG_N: tile.wgN, TILE_K: tile.tileK }),
    TRANS_A: !!o.a.transpose, TRANS_B: !!o.b.transpose, A_DOT: s.aDot, B_DOT: s.bDot,
  };
  const bytes = 4 * splits * s.m * s.n;
  if (splits > 1 && bytes > gpu.limits.maxStorageBufferBindingSize) {
    throw new LimitError(`${op}: ${splits} K splits of a ${s.m}×${s.n} output need ${bytes} bytes of scratch, over maxStorageBufferBindingSize ${gpu.limits.maxStorageBufferBindingSize}. Fix: pass splitK: 1 or fewer splits.`);
  }
  // Pipelines first: nothing is allocated until every one of them is built.
  const [main, reduce] = splits === 1
    ? [await gpu.kernel({ ...kernel, entry: 'main', overrides: { ...product, ...epilogue } })]
    // Split K: raw partials into scratch (the epilogue overrides do not matter there, so one
    // pipeline serves every epilogue), then the reduction applies the epilogue to their sum.
    : await Promise.all([
      gpu.kernel({ ...kernel, entry: 'main', overrides: { ...product, SPLIT_K: true } }),
      gpu.kernel({ ...REDUCE, entry: 'main', overrides: epilogue }),
    ]);
  const read = () => gpu.placeholder('read');
  const aux = s.aux ?? read();
  const auxDot = s.auxDot ?? read();
  const operands = [
    gpuBuffer(o.a.buffer), gpuBuffer(o.b.buffer),
    o.a.dot ? gpuBuffer(o.a.dot) : read(), o.b.dot ? gpuBuffer(o.b.dot) : read(),
  ];
  const outputs = [
    o.out.buffer ? gpuBuffer(o.out.buffer) : gpu.placeholder('write'),
    o.out.dot ? gpuBuffer(o.out.dot) : gpu.placeholder('write', 1),
  ];
  // Bound to placeholders when the direct kernel reads B as scalars.
  const vec4Views = direct ? [vecB ? gpuBuffer(o.b.buffer) : read(), vecB && o.b.dot ? gpuBuffer(o.b.dot) : read()] : [];
  // Products summed: the primal unless the epilogue drops it, and one per tangent operand (as cost.ts counts them).
  const storesPrimal = epi.kind !== 'store' || epi.storePrimal !== false;
  const gemm = { m: s.m, n: s.n, k: s.k, products: Number(storesPrimal) + Number(s.aDot) + Number(s.bDot), dual };
  const owned: GPUBuffer[] = [gpu.uniform(SHAPE, fields, op)];
  try {
    if (!reduce) return { ...gpu.dispatch(main, [owned[0], ...operands, aux, auxDot, ...outputs, ...vec4Views], tiles), gemm };
    const scratch = (label: string) => {
      const b = gpu.createBuffer({ label, size: bytes, usage: GPUBufferUsage.STORAGE });
      owned.push(b);
      return b;
    };
    const partial = scratch('matmul split-K partials');
    const partialDot = dual ? scratch('matmul split-K tangent partials') : gpu.placeholder('write', 1);
    const first = gpu.dispatch(main, [owned[0], ...operands, read(), read(), partial, partialDot, ...vec4Views], tiles * splits, owned.slice(1));
    const finish = gpu.dispatch(reduce, [
      owned[0], partial, gpuBuffer(o.b.buffer), dual ? partialDot : read(),
      o.b.dot ? gpuBuffer(o.b.dot) : read(), aux, auxDot, ...outputs,
    ], Math.ceil((s.m * s.n) / REDUCE_WG));
    finish.owned.length = 0; // the uniform is owned (and freed) by the first dispatch
    return { ...first, then: [finish], gemm };
  } catch (err) {
    for (const b of owned) b.destroy();
    throw err;
  }
}

/** Threads per workgroup of the split-K reduction (its WG override default). */
const REDUCE_WG = 64;
