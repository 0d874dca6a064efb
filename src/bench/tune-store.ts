/**
 * Stores a tile sweep's winners in the user's matmul tile table (src/gpu/ops/matmul-tiles.ts reads
 * it before the shipped one): the entry for this adapter is replaced, others are kept, and the
 * file is written atomically.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-write';
import { parseTable, USER_TABLE, type TileEntry, type TileTable } from '../gpu/ops/matmul-tiles';
import { userConfigPath } from '../util/user-config';

export async function saveTuning(entry: TileEntry): Promise<string> {
  const path = userConfigPath(USER_TABLE.file, USER_TABLE.env);
  if (!path) throw new Error('no place for the user tile table: set HESSIAN_GPU_TILES or HOME');
  let table: TileTable = { comment: 'Matmul tiles from `npm run bench -- kernels --tune` on this machine (format: src/gpu/ops/matmul-tiles.json).', entries: [] };
  try {
    table = parseTable(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  table.entries = [entry, ...table.entries.filter((e) => e.pattern !== entry.pattern)];
  await writeFileAtomic(path, JSON.stringify(table, null, 2) + '\n');
  return path;
}
