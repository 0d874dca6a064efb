/**
 * The CLI end to end on the real adapter: `train --export` writes safetensors; `probe --weights` on
 * that file measures the same λmax, top-k and loss, to the bit, as `probe --checkpoint` on the
 * checkpoint of the same run (same data, seed and settings), and writes the report and plots;
 * a file that is not an MLP fails with exit code 1 and a message naming it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'hessian-gpu-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => run('npx', ['tsx', 'src/cli/main.ts', ...args], { maxBuffer: 1 << 24 });

const CONFIG = {
  hidden: [8], train: { maxEpochs: 1, lossTarget: 0.01 }, batchSize: 128, seeds: [0],
  probe: {
    samples: 256, chunkSize: 2000, tol: 1e-4, maxIter: 200, topK: 3, traceSamples: 4, densitySteps: 12,
    perturbation: { rho: 0.05, samples: 2 }, slice: { from: -1, to: 1, steps: 5 }, duringEvery: 0, duringSamples: 256, duringMaxIter: 20,
  },
};

describe('CLI: train --export, probe --weights', () => {
  it('an exported run probes to the same numbers as its checkpoint, and the outputs are written', async () => {
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify(CONFIG));
    const weights = join(dir, 'adam.safetensors');
    const trained = await cli('train', '--config', config, '--configuration', 'Adam_Default', '--seed', '0', '--out', join(dir, 'train'), '--export', weights);
    expect(trained.stdout).toContain(`exported ${weights}`);
    const ckptJson = join(dir, 'checkpoint-probe.json');
    const fromCheckpoint = await cli('probe', '--checkpoint', join(dir, 'train', 'checkpoints', 'Adam_Default-s0.ckpt'), '--config', config, '--out', ckptJson);
    expect(fromCheckpoint.stdout).toMatch(/^trace \(95 % interval\): [\d.e+-]+ \[[\d.e+-]+, [\d.e+-]+\] \(deflated Hutchinson/m);
    expect(fromCheckpoint.stdout).toMatch(/^λmin: [\d.e+-]+ ± [\d.e+-]+ \((converged|NOT converged).*\|λmin\|\/λmax/m);
    const out = join(dir, 'imported');
    const probed = await cli('probe', '--weights', weights, '--data', 'mnist-10k', '--config', config, '--out', out);
    expect(probed.stdout).toMatch(/784-8-10 MLP \(relu\)/);
    // Both commands print the same measures (src/measures/table.ts), κ and adaptive sharpness included.
    const rows = (stdout: string) => stdout.split('\n').filter((l) => /^(λmax|top-\d|λmin|trace|spectral density|perturbation|adaptive|relative flatness)/.test(l)).map((l) => l.split(': ')[0]);
    expect(rows(probed.stdout)).toEqual(rows(fromCheckpoint.stdout));
    expect(rows(probed.stdout)).toContain('relative flatness κ, last layer (95 % interval)');
    expect(rows(probed.stdout)).toContain('adaptive sharpness, average (95 % interval)');
    for (const f of ['results.json', 'report.md', 'spectral-density.svg', 'slice-top-eigenvector.svg']) expect(existsSync(join(out, f))).toBe(true);
    const fromCkpt = JSON.parse(readFileSync(ckptJson, 'utf8'));
    const fromFile = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(fromFile.data.samples).toBe(256);
    expect(fromFile.loss.loss).toBe(fromCkpt.loss.loss);
    expect(fromFile.probe.sharpness.lambdaMax).toBe(fromCkpt.sharpness.lambdaMax);
    expect(fromFile.probe.sharpness.topK).toEqual(fromCkpt.sharpness.topK);
    expect(fromFile.probe.sharpness.relativeFlatness).toBe(fromCkpt.sharpness.relativeFlatness);
    expect(fromFile.probe.sharpness.adaptiveWorst).toBe(fromCkpt.sharpness.adaptiveWorst);
    expect(fromFile.probe.sharpness.trace).toBe(fromCkpt.sharpness.trace);
    expect(fromFile.probe.sharpness.lambdaMin).toBe(fromCkpt.sharpness.lambdaMin);
    expect(Number.isFinite(fromFile.probe.sharpness.lambdaMax)).toBe(true);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('| λmax |');
    expect(readFileSync(join(out, 'spectral-density.svg'), 'utf8')).toMatch(/^<svg/);
    // probe.noise (on by default): the same gradient noise either way; an Adam run and a model without --lr get no continuation.
    expect(fromFile.noise.directions.map((d: { c: number }) => d.c)).toEqual(fromCkpt.noise.directions.map((d: { c: number }) => d.c));
    expect(fromCkpt.noise.spreadSkipped).toEqual({ reason: 'adaptive-optimizer' });
    expect(fromFile.noise.spreadSkipped).toEqual({ reason: 'no-optimizer' });
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/note: no optimiser given \(an imported model: pass --lr and --batch-size/);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('## Gradient noise along the curvature');
  });

  it('--lr without --batch-size fails before any work, naming both flags', async () => {
    const err = await cli('probe', '--weights', 'test/fixtures/ours-6-4-3-tanh.safetensors', '--lr', '0.1').catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/--lr and --batch-size go together/);
  });

  it('a file that is not an MLP fails with exit code 1 and names the file', async () => {
    const err = await cli('probe', '--weights', 'test/fixtures/labels.npy').catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/test\/fixtures\/labels\.npy: holds a single \.npy array/);
  });
});
