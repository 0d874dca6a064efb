/**
 * Node only: output paths checked before any work, and a study folder this engine owns. A folder
 * the engine writes into carries a marker file; `--fresh` clears only such a folder, and only the
 * entries the engine writes there, so a mistyped `--out` can never delete a user's files.
 */
import { constants } from 'node:fs';
import { access, mkdir, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ENGINE_VERSION } from '../version';

/** The marker file of a study output folder. */
export const OUTPUT_MARKER = '.hessian-gpu-study';

/** What a study writes into its folder (src/study/write-report.ts, run-study.ts, merge-shards.ts), the only entries --fresh removes. */
const OWNED = [OUTPUT_MARKER, 'runs', 'checkpoints', 'results.json', 'report.md', 'shard.json'];
const owned = (name: string) => OWNED.includes(name) || name.endsWith('.svg');

async function kind(path: string): Promise<'missing' | 'file' | 'dir'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') throw new Error(`${path}: a part of this path is a file, not a folder; choose another path.`);
    throw err;
  }
}

/** The nearest existing folder at or above `path` must be writable (a real write, since root passes access() checks). */
async function checkWritable(path: string, flag: string): Promise<void> {
  let dir = path;
  while ((await kind(dir)) === 'missing') dir = dirname(dir);
  if ((await kind(dir)) === 'file') throw new Error(`${flag} ${path}: ${dir} is a file, not a folder; choose another path.`);
  const probe = join(dir, `.hessian-gpu-write-check-${process.pid}`);
  try {
    await access(dir, constants.W_OK);
    await writeFile(probe, '');
    await unlink(probe);
  } catch (err) {
    throw new Error(`${flag} ${path}: cannot write in ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
      'choose a folder you can write to.');
  }
}

/**
 * A study's output folder, checked before any work: it may be new, empty, or one this engine
 * wrote (its marker present); anything else is refused, naming what is there. Changes nothing.
 */
export async function checkStudyDir(dir: string, flag = '--out'): Promise<void> {
  const k = await kind(dir);
  if (k === 'file') throw new Error(`${flag} ${dir} is a file; a study writes a folder. Choose a new folder name.`);
  if (k === 'dir') {
    const entries = await readdir(dir);
    if (entries.length > 0 && !entries.includes(OUTPUT_MARKER)) {
      const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? `, … (${entries.length} entries)` : '');
      throw new Error(`${flag} ${dir} holds files this engine did not write (${shown}); it writes and clears only its own folders. ` +
        'Choose a new or empty folder.');
    }
  }
  await checkWritable(dir, flag);
}

/** Claims the folder checked by checkStudyDir: with `fresh`, first removes what the engine wrote there; then writes the marker. */
export async function claimStudyDir(dir: string, fresh: boolean): Promise<void> {
  await checkStudyDir(dir);
  if (fresh && (await kind(dir)) === 'dir') {
    for (const name of await readdir(dir)) if (owned(name)) await rm(join(dir, name), { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, OUTPUT_MARKER), JSON.stringify({ engine: ENGINE_VERSION }) + '\n');
}

/** An output file checked before any work: not a folder, and its folder writable. */
export async function checkOutputFile(path: string, flag: string): Promise<void> {
  if ((await kind(path)) === 'dir') throw new Error(`${flag} ${path} is a folder; give a file name, e.g. ${join(path, 'probe.json')}.`);
  await checkWritable(dirname(path), flag);
}

/** An output folder that may already hold files (probe --weights --out): it must not be a file, and must be writable. */
export async function checkOutputFolder(path: string, flag: string): Promise<void> {
  if ((await kind(path)) === 'file') throw new Error(`${flag} ${path} is a file; this writes a folder (results.json, report.md, plots). Choose a folder name.`);
  await checkWritable(path, flag);
}
