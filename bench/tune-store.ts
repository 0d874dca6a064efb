/**
 * Stores a tile sweep's winners in the user's matmul tile table (src/gpu/ops/matmul-tiles.ts reads
 * it before the shipped one): the entry for this adapter is replaced, others are kept, and the
 * file is written atomically (temporary file, then rename).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseTable, userTablePath, type TileEntry, type TileTable } from '../src/gpu/ops/matmul-tiles';

export async function saveTuning(entry: TileEntry): Promise<string> {
  const path = userTablePath();
  if (!path) throw new Error('no place for the user tile table: set HESSIAN_GPU_TILES or HOME');
  let table: TileTable = { comment: 'Matmul tiles from `npm run bench -- kernels --tune` on this machine (format: src/gpu/ops/matmul-tiles.json).', entries: [] };
  try {
    table = parseTable(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  table.entries = [entry, ...table.entries.filter((e) => e.pattern !== entry.pattern)];
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(table, null, 2) + '\n');
  await rename(tmp, path);
  return path;
}
