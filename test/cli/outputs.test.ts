/**
 * Output paths are checked before any work, and `--fresh` clears only a folder this engine wrote,
 * only after the whole configuration has passed: through the CLI as a user runs it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { OUTPUT_MARKER, checkOutputFile, checkOutputFolder, checkStudyDir, claimStudyDir } from '../../src/util/output-dir';
import { exportTrainedRuns } from '../../src/cli/import-model';

const run = promisify(execFile);
const cli = (...args: string[]) => run('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], { maxBuffer: 1 << 24 })
  .then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
const temp = () => mkdtempSync(join(tmpdir(), 'hessian-out-'));

describe('output folders', () => {
  it('a study folder may be new, empty or the engine\'s own; a folder of other files, or a file, is refused without touching it', async () => {
    const dir = temp();
    await expect(checkStudyDir(join(dir, 'new', 'study'))).resolves.toBeUndefined();
    await expect(checkStudyDir(dir)).resolves.toBeUndefined();
    writeFileSync(join(dir, 'thesis.tex'), 'mine');
    await expect(checkStudyDir(dir)).rejects.toThrow(/holds files this engine did not write \(thesis\.tex\).*Choose a new or empty folder/);
    await expect(claimStudyDir(dir, true)).rejects.toThrow(/did not write/);
    expect(readFileSync(join(dir, 'thesis.tex'), 'utf8')).toBe('mine');
    await expect(checkStudyDir(join(dir, 'thesis.tex'))).rejects.toThrow(/thesis\.tex is a file; a study writes a folder/);
    await expect(checkStudyDir(join(dir, 'thesis.tex', 'study'))).rejects.toThrow(/a part of this path is a file|thesis\.tex is a file, not a folder/);
  });

  it('--fresh removes only what the engine writes in its own folder', async () => {
    const dir = join(temp(), 'study');
    await claimStudyDir(dir, false);
    mkdirSync(join(dir, 'runs'));
    writeFileSync(join(dir, 'runs', 'Adam_Default-s0.json'), '{}');
    writeFileSync(join(dir, 'report.md'), 'old');
    writeFileSync(join(dir, 'lambda-vs-accuracy.svg'), '<svg/>');
    writeFileSync(join(dir, 'notes.txt'), 'a user note');
    await claimStudyDir(dir, true);
    expect(['runs', 'report.md', 'lambda-vs-accuracy.svg'].filter((f) => existsSync(join(dir, f)))).toEqual([]);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('a user note');
    expect(existsSync(join(dir, OUTPUT_MARKER))).toBe(true);
  });

  it('output files and folders: a folder given for a file, a file for a folder, or a path through a file are refused', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'f'), '');
    await expect(checkOutputFile(dir, '--out')).rejects.toThrow(/--out .* is a folder; give a file name, e\.g\. .*probe\.json/);
    await expect(checkOutputFile(join(dir, 'f', 'x.json'), '--out')).rejects.toThrow(/is a file, not a folder|a part of this path is a file/);
    await expect(checkOutputFile(join(dir, 'new', 'x.json'), '--out')).resolves.toBeUndefined();
    await expect(checkOutputFolder(join(dir, 'f'), '--out')).rejects.toThrow(/--out .*f is a file; this writes a folder/);
  });

  it('train --export with no run to export fails instead of printing an empty list', async () => {
    await expect(exportTrainedRuns(temp(), [{ configuration: 'X', seed: 0, diverged: { step: 3, reason: 'loss is NaN', lastLoss: 2 } } as never], join(temp(), 'w.safetensors')))
      .rejects.toThrow(/no run finished without diverging, so there are no weights to export/);
  });
});

describe('the CLI checks outputs before any work', { timeout: 300_000 }, () => {
  it('study --fresh with a configuration refused by the data check leaves the earlier study as it was', async () => {
    const dir = join(temp(), 'study');
    await claimStudyDir(dir, false);
    writeFileSync(join(dir, 'report.md'), 'the earlier report');
    const config = join(temp(), 'c.json');
    writeFileSync(config, JSON.stringify({ probe: { samples: 100000 } }));
    const err = await cli('study', '--config', config, '--out', dir, '--fresh');
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/'probe\.samples' asks for 100000 samples but there are 500/);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toBe('the earlier report');
  });

  it('study --fresh on a folder of the user\'s files refuses and deletes nothing; --out on a file fails at once', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'data.csv'), '1,2,3');
    const err = await cli('study', '--out', dir, '--fresh');
    expect(err.stderr).toMatch(/holds files this engine did not write \(data\.csv\)/);
    expect(readFileSync(join(dir, 'data.csv'), 'utf8')).toBe('1,2,3');
    const file = await cli('study', '--out', join(dir, 'data.csv'));
    expect(file.stderr).toMatch(/data\.csv is a file; a study writes a folder/);
  });

  it('probe --out pointing at a folder fails before the checkpoint is even read', async () => {
    const err = await cli('probe', '--checkpoint', 'no-such.ckpt', '--out', temp());
    expect(err.stderr).toMatch(/--out .* is a folder; give a file name/);
  });

  it('a truncated saved run is named, with the two ways out', async () => {
    const dir = join(temp(), 'study');
    await claimStudyDir(dir, false);
    mkdirSync(join(dir, 'runs'));
    writeFileSync(join(dir, 'runs', 'Adam_Default-s0.json'), '{"configuration": "Adam_Def');
    const err = await cli('study', '--out', dir);
    expect(err.stderr).toMatch(/Adam_Default-s0\.json cannot be read as a saved run \(.*\)\. Fix: delete that file to rerun Adam_Default seed 0, or re-run with --fresh/);
  });

  it('a config file that is not an object says what it must hold; a byte-order mark is not an error', async () => {
    const dir = temp();
    for (const [name, text] of [['null.json', 'null'], ['list.json', '[]'], ['five.json', '5']]) {
      writeFileSync(join(dir, name), text);
      const err = await cli('study', '--config', join(dir, name), '--out', join(dir, 'out'));
      expect(err.stderr).toMatch(new RegExp(`${name} holds ${text.replace(/[[\]]/g, '\\$&')}; it must hold a JSON object of settings`));
      expect(err.stderr.length).toBeLessThan(400);
    }
    writeFileSync(join(dir, 'bom.json'), '\uFEFF{"seed": [1]}');
    const bom = await cli('study', '--config', join(dir, 'bom.json'), '--out', join(dir, 'out'));
    expect(bom.stderr).toMatch(/'seed' is not a known setting \(did you mean 'seeds'\?\)/);
  });

  it('--labels with a named dataset is refused', async () => {
    const err = await cli('probe', '--weights', 'test/fixtures/ours-6-4-3-tanh.safetensors', '--data', 'mnist-10k', '--labels', 'test/fixtures/labels.npy',
      '--out', join(temp(), 'p'));
    expect(err.stderr).toMatch(/--labels is for a features \.npy; --data mnist-10k is a named dataset, which brings its own labels/);
  });
});
