/**
 * A study's results.json as written by this engine or an earlier one: the layout version it declares
 * (`schemaVersion`; a file without one is version 1), a newer version than this engine knows refused
 * with what to do, and an older file brought to the current layout. Version 1 also stored the
 * report's answer and findings as text; they are dropped, since the report renders every sentence
 * from the numbers (so an old file reads as a newer report says it). Browser-safe: the CLI's
 * `report` command and the demo's dropped results files both read through here.
 */
import { ENGINE_VERSION } from '../version';
import type { StudyResult } from './results';

/** The results.json layout this engine writes and reads (results.ts StudyResult.schemaVersion). */
export const RESULTS_SCHEMA_VERSION = 2;

/** What every version of a study's results holds; a file without them is something else. */
const REQUIRED = ['config', 'runs', 'correlations'] as const;

/** A parsed results.json as the current StudyResult; `source` names the file in errors. */
export function studyResultsFrom(body: unknown, source: string): StudyResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error(`${source} holds ${Array.isArray(body) ? 'an array' : JSON.stringify(body)}, not a study's results (a JSON object with ${REQUIRED.join(', ')}).`);
  }
  const b = body as Record<string, unknown>;
  const version = b.schemaVersion ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new Error(`${source}: schemaVersion is ${JSON.stringify(version)}; it must be a positive integer (a file without it is version 1). ` +
      'Fix: restore the value the engine wrote, or remove the field from a file of version 1.');
  }
  if (version > RESULTS_SCHEMA_VERSION) {
    throw new Error(`${source} has results schema version ${version}, written by a newer hessian-gpu; this one (${ENGINE_VERSION}) reads versions ` +
      `1 to ${RESULTS_SCHEMA_VERSION}. Fix: update hessian-gpu (npm install hessian-gpu@latest) and run it again.`);
  }
  const absent = REQUIRED.filter((k) => k === 'config' ? typeof b[k] !== 'object' || b[k] === null : !Array.isArray(b[k]));
  if (absent.length) {
    throw new Error(`${source} is not a study's results.json: it has no ${absent.join(', ')}. (The results.json of \`probe --weights\` is ` +
      'not a study\'s; its report.md is written beside it.)');
  }
  // `partial` is written beside the numbers for readers of the file (write-report.ts); it is derived from `missing`.
  const { schemaVersion: _version, answer: _answer, findings: _findings, partial: _partial, ...numbers } = b;
  return { schemaVersion: RESULTS_SCHEMA_VERSION, ...numbers } as unknown as StudyResult;
}

/** results.json's text as the current StudyResult (a byte-order mark, as some editors save, is ignored). */
export function parseStudyResults(text: string, source: string): StudyResult {
  let body: unknown;
  try {
    body = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new Error(`${source} is not valid JSON (${(err as Error).message}); pass the results.json a study or merge wrote.`);
  }
  return studyResultsFrom(body, source);
}
