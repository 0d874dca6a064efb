/**
 * Matmul tile choice per adapter. A small table keyed by adapter — a regular expression over
 * "vendor architecture description" — gives the workgroup tile for each product class (nn, nt,
 * tn, tt; '-dual' for the tangent kernels) and when to split K. The shipped table is
 * matmul-tiles.json next to this file; in Node a user's own sweep (`npm run bench -- kernels
 * --tune`) at $HESSIAN_GPU_TILES or ~/.config/hessian-gpu/matmul-tiles.json is consulted first
 * (found and read by src/util/user-config.ts; this module only parses it).
 * Tables load lazily on the first matmul of a device. Every tile, whatever its source, passes
 * checkTile against the device's limits before a pipeline is built.
 *
 * A tile decides speed, never bits: every variant sums k in ascending order with one fma per term,
 * so a product's result is fixed by how K is split, and the split is decided from the product's
 * shape and the *shipped* entry for the adapter alone (splitPlan) — a user's sweep, written by a
 * timed tune at any moment, or a caller's tile cannot change a result.
 */
import type { AdapterReport } from '../context';
import { LimitError } from '../errors';
import { fetchText } from '../shader-source';
import { readUserConfig } from '../../util/user-config';

/** The user's table: its file name under the config directory, and the variable that overrides its path. */
export const USER_TABLE = { file: 'matmul-tiles.json', env: 'HESSIAN_GPU_TILES' } as const;

export interface MatmulTile {
  /**
   * 'staged' (default, matmul.wgsl): k tiles staged in workgroup memory, each thread a 4×4 block,
   * output tile 4·wgM × 4·wgN. 'direct' (matmul_direct.wgsl): no workgroup memory, wgM = 1,
   * each thread a rows×8 block read straight from global memory, output tile rows × 8·wgN.
   */
  variant?: 'staged' | 'direct';
  /** Rows of a direct thread's block, 1–8 (default 8); 4 keeps a dual block quick to compile on LLVM. */
  rows?: number;
  /** Threads along M and N. */
  wgM: number;
  wgN: number;
  /** Depth of the k tile staged in workgroup memory per barrier pair (1 for 'direct'). */
  tileK: number;
}

/** Columns of a direct thread's block, and the most rows it may have (TN, MAX_TM in matmul_direct.wgsl). */
export const DIRECT_BLOCK = 8;

/** Rows of a direct thread's block. */
export function directRows(t: MatmulTile): number {
  return t.rows ?? DIRECT_BLOCK;
}

/** Output rows and columns one workgroup covers. */
export function tileExtent(t: MatmulTile): { rows: number; cols: number } {
  return t.variant === 'direct'
    ? { rows: directRows(t), cols: DIRECT_BLOCK * t.wgN }
    : { rows: THREAD_BLOCK * t.wgM, cols: THREAD_BLOCK * t.wgN };
}

export interface SplitKRule {
  /** Split K when the output has fewer tiles than this (the adapter idles otherwise). */
  minWorkgroups: number;
  /** Never make a split's k range shorter than this. */
  minChunk: number;
}

export interface TileEntry {
  name: string;
  /** Case-insensitive regular expression over `${vendor} ${architecture} ${description}`; '' matches any adapter. */
  pattern: string;
  tiles: { default: MatmulTile } & Partial<Record<string, MatmulTile>>;
  splitK: SplitKRule;
  /**
   * How the single HVP's backward forms its tangent products (src/autograd/pass.ts): 'dual' GEMMs
   * (one product writes both outputs) or 'split' into plain GEMMs and a gate. Read from the shipped
   * entry only, like K splits, because it changes the rounding; absent means 'dual'.
   */
  tangentProducts?: TangentProducts;
}

export type TangentProducts = 'split' | 'dual';

export interface TileTable {
  comment?: string;
  entries: TileEntry[];
}

/** Per-thread block fixed in shaders/matmul.wgsl (TM × TN). */
export const THREAD_BLOCK = 4;

/** The class a product's tile is looked up by: transposes of A and B, and whether it carries tangents. */
export function productClass(transA: boolean, transB: boolean, dual: boolean): string {
  return `${transA ? 't' : 'n'}${transB ? 't' : 'n'}${dual ? '-dual' : ''}`;
}

export function adapterText(a: Pick<AdapterReport, 'vendor' | 'architecture' | 'description'>): string {
  return `${a.vendor} ${a.architecture} ${a.description}`;
}

/** Bytes of workgroup memory a tile stages: A and B tiles (rows padded by one word), plus tangent tiles when present (1 float when absent). */
export function tileBytes(t: MatmulTile, aDot: boolean, bDot: boolean): number {
  if (t.variant === 'direct') return 0;
  const a = (THREAD_BLOCK * t.wgM + 1) * t.tileK;
  const b = (THREAD_BLOCK * t.wgN + 1) * t.tileK;
  return 4 * (a + b + (aDot ? a : 1) + (bDot ? b : 1));
}

type Limits = Pick<GPUSupportedLimits, 'maxComputeWorkgroupStorageSize' | 'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX' | 'maxComputeWorkgroupSizeY'>;

/** Throws a LimitError naming the limit and the tile (and where the tile came from) unless the device can run it. */
export function checkTile(limits: Limits, tile: MatmulTile, aDot: boolean, bDot: boolean, source: string): void {
  const name = `matmul tile ${describeTile(tile)} (${source})`;
  for (const k of ['wgM', 'wgN', 'tileK'] as const) {
    if (!Number.isInteger(tile[k]) || tile[k] < 1) throw new LimitError(`${name}: ${k} = ${tile[k]} must be a positive integer`);
  }
  if (tile.variant !== undefined && tile.variant !== 'staged' && tile.variant !== 'direct') {
    throw new LimitError(`${name}: variant '${String(tile.variant)}' is neither 'staged' nor 'direct'`);
  }
  if (tile.variant === 'direct' && (tile.wgM !== 1 || tile.tileK !== 1)) {
    throw new LimitError(`${name}: the direct variant has one row of threads and no k tile; use wgM = 1 and tileK = 1`);
  }
  if (tile.rows !== undefined && (tile.variant !== 'direct' || !Number.isInteger(tile.rows) || tile.rows < 1 || tile.rows > DIRECT_BLOCK)) {
    throw new LimitError(`${name}: rows = ${tile.rows} is for the direct variant only and must be an integer from 1 to ${DIRECT_BLOCK}`);
  }
  const fail = (what: string, need: number, limit: string, have: number) => {
    throw new LimitError(`${name} needs ${what} ${need} but this device's ${limit} is ${have}. Fix: use a smaller tile (or rerun \`npm run bench -- kernels --tune\` on this adapter).`);
  };
  if (tile.wgN > limits.maxComputeWorkgroupSizeX) fail('workgroup size x (wgN)', tile.wgN, 'maxComputeWorkgroupSizeX', limits.maxComputeWorkgroupSizeX);
  if (tile.wgM > limits.maxComputeWorkgroupSizeY) fail('workgroup size y (wgM)', tile.wgM, 'maxComputeWorkgroupSizeY', limits.maxComputeWorkgroupSizeY);
  const threads = tile.wgM * tile.wgN;
  if (threads > limits.maxComputeInvocationsPerWorkgroup) fail('invocations', threads, 'maxComputeInvocationsPerWorkgroup', limits.maxComputeInvocationsPerWorkgroup);
  const bytes = tileBytes(tile, aDot, bDot);
  if (bytes > limits.maxComputeWorkgroupStorageSize) {
    fail(`bytes of workgroup memory${aDot || bDot ? ' (dual: tangent tiles too)' : ''}`, bytes, 'maxComputeWorkgroupStorageSize', limits.maxComputeWorkgroupStorageSize);
  }
}

/**
 * The small-N path: a table tile narrowed to the output's width (threads along N halved while a
 * whole row of threads would still cover N), so a 10-class layer does not leave most of a 256-wide
 * tile idle; the rows of work per workgroup stay, and more workgroups share the output.
 */
export function narrowTile(t: MatmulTile, n: number): MatmulTile {
  const block = t.variant === 'direct' ? DIRECT_BLOCK : THREAD_BLOCK;
  let wgN = t.wgN;
  while (wgN > 1 && block * (wgN / 2) >= n) wgN /= 2;
  if (wgN === t.wgN) return t;
  // The staged kernel keeps its thread count by growing along M, where the MLP's narrow products are long.
  return t.variant === 'direct' ? { ...t, wgN } : { ...t, wgN, wgM: Math.floor((t.wgM * t.wgN) / wgN) };
}

export function describeTile(t: MatmulTile): string {
  return t.variant === 'direct' ? `direct ${directRows(t)}×${DIRECT_BLOCK}·${t.wgN}` : `${t.wgM}×${t.wgN}×${t.tileK}`;
}

/** Halve the tile depth until the staged tiles fit the device's workgroup memory (dual kernels stage twice as much). */
export function fitTile(tile: MatmulTile, aDot: boolean, bDot: boolean, limit: number): MatmulTile {
  let t = tile;
  while (tileBytes(t, aDot, bDot) > limit && t.tileK > 1) t = { ...t, tileK: Math.max(1, Math.floor(t.tileK / 2)) };
  return t;
}

/** The entry for an adapter: the first match in the user's table, else in the shipped one. */
export function entryFor(tables: TileTable[], adapter: Pick<AdapterReport, 'vendor' | 'architecture' | 'description'>): TileEntry {
  const text = adapterText(adapter);
  for (const table of tables) {
    for (const e of table.entries) if (new RegExp(e.pattern, 'i').test(text)) return e;
  }
  throw new Error(`no matmul tile entry matches adapter '${text}' (the shipped table ends with a catch-all; is src/gpu/ops/matmul-tiles.json intact?)`);
}

export function tileFor(entry: TileEntry, cls: string): MatmulTile {
  return entry.tiles[cls] ?? entry.tiles[cls.replace('-dual', '')] ?? entry.tiles.default;
}

/** The tables an adapter's products consult: the user's (if any) then the shipped one, and the shipped one alone. */
export interface TileTables {
  /** Where tiles come from: the user's table first, then the shipped one. */
  tiles: TileTable[];
  /** Where K splits come from (they fix the summation order): the shipped table only. */
  shipped: TileTable;
}

let tables: Promise<TileTables> | undefined;

/** The user's table (if any) and the shipped one, read once per process. */
export function loadTileTables(): Promise<TileTables> {
  tables ??= (async () => {
    const shipped = parseTable(await fetchText(new URL('./matmul-tiles.json', import.meta.url)), 'src/gpu/ops/matmul-tiles.json');
    const found = await readUserConfig(USER_TABLE.file, USER_TABLE.env);
    const user = found ? parseTable(found.text, found.path) : null;
    return { tiles: user ? [user, shipped] : [shipped], shipped };
  })();
  return tables;
}

export function parseTable(text: string, where: string): TileTable {
  let t: TileTable;
  try {
    t = JSON.parse(text) as TileTable;
  } catch (err) {
    throw new Error(`matmul tile table ${where} is not valid JSON (${(err as Error).message}). Fix: delete it or rerun \`npm run bench -- kernels --tune\`.`);
  }
  const ok = Array.isArray(t.entries) && t.entries.every((e) =>
    typeof e.pattern === 'string' && e.tiles?.default !== undefined && typeof e.splitK?.minWorkgroups === 'number' && typeof e.splitK?.minChunk === 'number');
  if (!ok) throw new Error(`matmul tile table ${where} lacks entries[] with pattern, tiles.default and splitK. Fix: delete it or rerun \`npm run bench -- kernels --tune\`.`);
  return t;
}
