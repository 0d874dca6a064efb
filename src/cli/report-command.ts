/**
 * `hessian-gpu report <results.json> [--out DIR]`: report.md and the charts re-rendered from a
 * study's results file, without a GPU — by this engine's report, so an older file (any schema
 * version this engine reads, results-schema.ts) reads as a study run today would. The file is read
 * and checked, the output folder checked (new, empty, or this engine's own: output-dir.ts) and
 * everything rendered before anything is written; each file is written atomically and results.json is never changed.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseStudyResults } from '../study/results-schema';
import type { StudyResult } from '../study/results';
import { renderReport, writeAll } from '../study/write-report';
import { checkStudyDir, claimStudyDir } from '../util/output-dir';

/** Re-renders `file`'s report into `out` (default: the file's own folder); the files written. */
export async function rerenderReport(file: string | undefined, out: string | undefined): Promise<{ result: StudyResult; files: string[] }> {
  if (!file) throw new Error('report needs a results file: report RESULTS.json [--out DIR] (the results.json a study or merge wrote)');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass the results.json a study or merge wrote.`);
  }
  const result = parseStudyResults(text, file);
  const dir = out ?? dirname(file);
  // Beside the file only in a folder this engine wrote; a results.json copied among other files needs --out.
  await checkStudyDir(dir, out ? '--out' : `the folder of ${file} (choose another with --out DIR):`);
  const rendered = await renderReport(result);
  await claimStudyDir(dir, false);
  return { result, files: (await writeAll(dir, rendered)).map((f) => join(dir, f)) };
}
