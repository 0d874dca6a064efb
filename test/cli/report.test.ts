/**
 * `hessian-gpu report`: report.md and the charts re-rendered from a results.json without a GPU. The
 * committed docs/study/results.json re-renders to the committed report.md and charts byte for byte;
 * a version-1 file's stored prose is ignored (every sentence is rendered from the numbers); a newer
 * schema version, a file that is not a study's and a folder this engine did not write are refused
 * before anything is written.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { rerenderReport } from '../../src/cli/report-command';
import { RESULTS_SCHEMA_VERSION, parseStudyResults } from '../../src/study/results-schema';
import { storedJson } from '../../src/study/rounding';
import { OUTPUT_MARKER } from '../../src/util/output-dir';

const run = promisify(execFile);
const cli = (...args: string[]) => run('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], { maxBuffer: 1 << 24 })
  .then((r) => ({ code: 0, stdout: r.stdout, stderr: '' }), (e: { code: number; stdout: string; stderr: string }) => e);
const temp = () => mkdtempSync(join(tmpdir(), 'hessian-report-'));
const DOCS = 'docs/study';
const committed = () => JSON.parse(readFileSync(join(DOCS, 'results.json'), 'utf8')) as Record<string, unknown>;

describe('report re-renders a results file', { timeout: 300_000 }, () => {
  it('reproduces the committed report.md and charts from the committed results.json', async () => {
    const out = join(temp(), 'again');
    const r = await cli('report', join(DOCS, 'results.json'), '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const written = readdirSync(out).filter((f) => f !== OUTPUT_MARKER).sort();
    expect(written).toEqual(readdirSync(DOCS).filter((f) => f !== 'results.json').sort());
    for (const f of written) expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(DOCS, f), 'utf8'));
    // The results file is read, never written.
    expect(existsSync(join(out, 'results.json'))).toBe(false);
  });

  it('reads a version-1 file by its numbers: the prose it stored is ignored', async () => {
    const { schemaVersion: _v, ...v1 } = committed();
    const dir = temp();
    const file = join(dir, 'old.json');
    writeFileSync(file, JSON.stringify({ ...v1, answer: 'A stale answer.', findings: ['A stale finding.'] }));
    const { result, files } = await rerenderReport(file, join(dir, 'out'));
    expect(result.schemaVersion).toBe(RESULTS_SCHEMA_VERSION);
    expect(Object.keys(result)).not.toContain('answer');
    const report = readFileSync(files[0], 'utf8');
    expect(report).toBe(readFileSync(join(DOCS, 'report.md'), 'utf8'));
    expect(report).not.toContain('stale');
  });

  it('reads the current version as written: the same report from the same numbers', async () => {
    const dir = temp();
    const file = join(dir, 'results.json');
    const current = parseStudyResults(readFileSync(join(DOCS, 'results.json'), 'utf8'), 'committed');
    writeFileSync(file, storedJson({ ...current, partial: current.missing.length > 0 }) + '\n');
    expect(JSON.parse(readFileSync(file, 'utf8')).schemaVersion).toBe(RESULTS_SCHEMA_VERSION);
    const { files } = await rerenderReport(file, join(dir, 'out'));
    expect(readFileSync(files[0], 'utf8')).toBe(readFileSync(join(DOCS, 'report.md'), 'utf8'));
  });

  it('writes beside the file by default only in a folder this engine wrote', async () => {
    const own = temp();
    writeFileSync(join(own, OUTPUT_MARKER), '{}');
    writeFileSync(join(own, 'results.json'), readFileSync(join(DOCS, 'results.json')));
    const { files } = await rerenderReport(join(own, 'results.json'), undefined);
    expect(files).toContain(join(own, 'report.md'));
    const foreign = temp();
    writeFileSync(join(foreign, 'thesis.tex'), 'mine');
    writeFileSync(join(foreign, 'results.json'), readFileSync(join(DOCS, 'results.json')));
    await expect(rerenderReport(join(foreign, 'results.json'), undefined))
      .rejects.toThrow(/choose another with --out DIR.*holds files this engine did not write \(results\.json, thesis\.tex\)/);
    expect(readdirSync(foreign).sort()).toEqual(['results.json', 'thesis.tex']);
  });

  it('refuses a newer schema version, a file that is not a study\'s results and broken JSON, writing nothing', async () => {
    const dir = temp();
    const out = join(dir, 'out');
    const newer = join(dir, 'newer.json');
    writeFileSync(newer, JSON.stringify({ ...committed(), schemaVersion: RESULTS_SCHEMA_VERSION + 1 }));
    const r = await cli('report', newer, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`has results schema version ${RESULTS_SCHEMA_VERSION + 1}, written by a newer hessian-gpu; this one \\(.*\\) reads versions 1 to ${RESULTS_SCHEMA_VERSION}\\. Fix: update hessian-gpu`));
    const cases: [string, RegExp][] = [
      [JSON.stringify({ checkpoint: 'x.ckpt', probe: {} }), /is not a study's results\.json: it has no config, runs, correlations/],
      [JSON.stringify({ ...committed(), schemaVersion: 1.5 }), /schemaVersion is 1\.5; it must be a positive integer/],
      ['[1, 2]', /holds an array, not a study's results/],
      ['{"runs": [', /is not valid JSON/],
    ];
    for (const [text, message] of cases) {
      const file = join(dir, 'bad.json');
      writeFileSync(file, text);
      await expect(rerenderReport(file, out)).rejects.toThrow(message);
    }
    await expect(rerenderReport(join(dir, 'absent.json'), out)).rejects.toThrow(/absent\.json cannot be read \(ENOENT\)/);
    await expect(rerenderReport(undefined, out)).rejects.toThrow(/report needs a results file/);
    expect(existsSync(out)).toBe(false);
  });
});
