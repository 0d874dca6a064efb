/** Node only: checkpoints on disk, written atomically (temp file + rename). */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-write';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint';

export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(checkpoint));
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw new Error(`cannot read checkpoint ${path}: ${(err as Error).message}`);
  }
  return decodeCheckpoint(bytes, path);
}
