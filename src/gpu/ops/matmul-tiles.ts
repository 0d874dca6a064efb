/**
 * Matmul tile choice per adapter. A small table keyed by adapter — a regular expression over
 * "vendor architecture description" — gives the workgroup tile for each product class (nn, nt,
 * tn, tt; '-dual' for the tangent kernels) and when to split K. The shipped table is
 * matmul-tiles.json next to this file; in Node a user's own sweep (`npm run bench -- kernels
 * --tune`) at $HESSIAN_GPU_TILES or ~/.config/hessian-gpu/matmul-tiles.json is consulted first.
 * Tables load lazily on the first matmul of a device. Every tile, whatever its source, passes
 * checkTile against the device's limits before a pipeline is built.
 */
import type { AdapterReport } from '../context';
import { LimitError } from '../errors';
import { fetchText } from '../shader-source';

export interface MatmulTile {
  /** Threads along M and N; each thread computes a 4×4 block, so the output tile is 4·wgM × 4·wgN. */
  wgM: number;
  wgN: number;
  /** Depth of the k tile staged in workgroup memory per barrier pair. */
  tileK: number;
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
}

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
  const a = (THREAD_BLOCK * t.wgM + 1) * t.tileK;
  const b = (THREAD_BLOCK * t.wgN + 1) * t.tileK;
  return 4 * (a + b + (aDot ? a : 1) + (bDot ? b : 1));
}

type Limits = Pick<GPUSupportedLimits, 'maxComputeWorkgroupStorageSize' | 'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX' | 'maxComputeWorkgroupSizeY'>;

/** Throws a LimitError naming the limit and the tile (and where the tile came from) unless the device can run it. */
export function checkTile(limits: Limits, tile: MatmulTile, aDot: boolean, bDot: boolean, source: string): void {
  const name = `matmul tile ${tile.wgM}×${tile.wgN}×${tile.tileK} (${source})`;
  for (const [k, v] of Object.entries(tile)) {
    if (!Number.isInteger(v) || v < 1) throw new LimitError(`${name}: ${k} = ${v} must be a positive integer`);
  }
  const fail = (what: string, need: number, limit: string, have: number) => {
    throw new LimitError(`${name} needs ${what} ${need} but this device's ${limit} is ${have}. Fix: use a smaller tile (or rerun \`npm run bench -- kernels --tune\` on this adapter).`);
  };
  const threads = tile.wgM * tile.wgN;
  if (threads > limits.maxComputeInvocationsPerWorkgroup) fail('invocations', threads, 'maxComputeInvocationsPerWorkgroup', limits.maxComputeInvocationsPerWorkgroup);
  if (tile.wgN > limits.maxComputeWorkgroupSizeX) fail('workgroup size x (wgN)', tile.wgN, 'maxComputeWorkgroupSizeX', limits.maxComputeWorkgroupSizeX);
  if (tile.wgM > limits.maxComputeWorkgroupSizeY) fail('workgroup size y (wgM)', tile.wgM, 'maxComputeWorkgroupSizeY', limits.maxComputeWorkgroupSizeY);
  const bytes = tileBytes(tile, aDot, bDot);
  if (bytes > limits.maxComputeWorkgroupStorageSize) {
    fail(`${bytes} bytes of workgroup memory${aDot || bDot ? ' (dual: tangent tiles too)' : ''}`, bytes, 'maxComputeWorkgroupStorageSize', limits.maxComputeWorkgroupStorageSize);
  }
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

let tables: Promise<TileTable[]> | undefined;

/** The user's table (if any) then the shipped one, read once per process. */
export function loadTileTables(): Promise<TileTable[]> {
  tables ??= (async () => {
    const shipped = parseTable(await fetchText(new URL('./matmul-tiles.json', import.meta.url)), 'src/gpu/ops/matmul-tiles.json');
    const user = await readUserTable();
    return user ? [user, shipped] : [shipped];
  })();
  return tables;
}

/** Where a user's sweep lives (Node only): $HESSIAN_GPU_TILES, else ~/.config/hessian-gpu/matmul-tiles.json. */
export function userTablePath(): string | null {
  const env = typeof process !== 'undefined' ? process.env : undefined;
  if (!env) return null;
  if (env.HESSIAN_GPU_TILES) return env.HESSIAN_GPU_TILES;
  const home = env.XDG_CONFIG_HOME ?? (env.HOME ? `${env.HOME}/.config` : null);
  return home ? `${home}/hessian-gpu/matmul-tiles.json` : null;
}

async function readUserTable(): Promise<TileTable | null> {
  const path = userTablePath();
  if (!path || typeof process === 'undefined' || !process.versions?.node) return null;
  const fsModule = 'node:fs/promises';
  const fs: typeof import('node:fs/promises') = await import(/* @vite-ignore */ fsModule);
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    return null;
  }
  return parseTable(text, path);
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
