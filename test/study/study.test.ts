import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, mergeConfig, validateConfig, type StudyConfig } from '../../src/study/config';
import { runStudy } from '../../src/study/run-study';
import { writeStudyOutputs } from '../../src/study/write-report';
import type { StudyResult } from '../../src/study/results';
import { useGpu } from '../support/gpu';

const gpu = useGpu();

/** The default pipeline, shrunk: same code path, tiny sizes. */
const TINY: StudyConfig = mergeConfig(DEFAULT_CONFIG, {
  hidden: [8], epochs: 1, seeds: [0, 1], batchSize: 100, logEvery: 20,
  data: { source: 'mnist-10k', testFraction: 0.05, splitSeed: 0 },
  probe: {
    samples: 300, chunkSize: 300, maxIter: 20, topK: 2, lanczosSteps: 6, traceSamples: 3, densitySteps: 6,
    perturbation: { rho: 0.05, samples: 2 }, slice: { from: -0.5, to: 0.5, steps: 3 }, duringEvery: 40, duringSamples: 100, duringMaxIter: 3,
  },
});

describe('the study pipeline', () => {
  it('runs end to end and writes a report consistent with results.json; a re-run resumes', async () => {
    const g = gpu();
    const out = await mkdtemp(join(tmpdir(), 'study-'));
    const result = await runStudy(g, TINY, out, { log: () => {} });
    const files = await writeStudyOutputs(result, out);
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual([
      'lambda-during-training.svg', 'lambda-vs-accuracy.svg', 'report.md', 'results.json', 'slice-top-eigenvector.svg', 'spectral-density.svg',
    ]);
    const saved = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as StudyResult;
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(saved.runs).toHaveLength(6);
    expect(saved.adapter.description).toBe(g.adapter.description);
    expect(report).toContain(g.adapter.description);
    for (const name of ['Adam_Default', 'Sharp_SGD_HighLR', 'Flat_SGD_LowLR']) {
      const runs = saved.runs.filter((r) => r.configuration === name && !r.diverged);
      const row = report.split('\n').find((l) => l.startsWith(`| ${name}`))!;
      expect(row, `${name} row`).toBeDefined();
      const cells = row.split('|').map((c) => c.trim());
      // Test accuracy and λmax cells show the mean over seeds of what results.json holds.
      const meanAcc = runs.reduce((s, r) => s + 100 * r.test.accuracy, 0) / runs.length;
      const meanLambda = runs.reduce((s, r) => s + r.sharpness!.lambdaMax, 0) / runs.length;
      expect(cells[3].split(' ± ')[0]).toBe(meanAcc.toFixed(2));
      expect(cells[6].split(' ± ')[0]).toBe(meanLambda.toFixed(2));
      for (const r of runs) {
        expect(Number.isFinite(r.sharpness!.lambdaMax)).toBe(true);
        expect(r.sharpness!.topK[0]).toBeGreaterThanOrEqual(r.sharpness!.topK[1]);
        expect(r.sharpness!.perLayer).toHaveLength(2);
        expect(r.slice!.loss).toHaveLength(3);
        expect(r.duringTraining.length).toBeGreaterThan(0);
      }
    }
    for (const c of saved.correlations) expect(report).toContain(`| ${c.measure} | ${c.target} | ${c.n} |`);
    for (const f of saved.findings) expect(report).toContain(f);
    const svg = await readFile(join(out, 'lambda-vs-accuracy.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);

    // Finished runs are reused: a second call trains nothing and returns the same numbers.
    const again = await runStudy(g, TINY, out, { log: () => {} });
    expect(again.runs.map((r) => r.test.accuracy)).toEqual(saved.runs.map((r) => r.test.accuracy));
    expect((await readdir(join(out, 'checkpoints'))).sort()).toHaveLength(6);
  });

  it('ships config files that match the embedded default and validate', async () => {
    const read = async (name: string) => JSON.parse(await readFile(new URL(`../../configs/${name}`, import.meta.url), 'utf8'));
    expect(await read('default.json')).toEqual(JSON.parse(JSON.stringify(DEFAULT_CONFIG)));
    const full = mergeConfig(DEFAULT_CONFIG, await read('full.json'));
    expect(() => validateConfig(full)).not.toThrow();
    expect(full.data).toEqual({ source: 'mnist' });
    expect(full.configurations.map((c) => c.name)).toEqual(['Adam_Default', 'Sharp_SGD_HighLR', 'Flat_SGD_LowLR']);
  });

  it('rejects bad config values at start-up, naming the field', () => {
    const bad = (patch: unknown) => () => validateConfig(mergeConfig(DEFAULT_CONFIG, patch));
    expect(bad({ configurations: [{ name: 'X', optimizer: { kind: 'rmsprop', lr: 0.1 } }] })).toThrow(/configurations\[0\]\.optimizer\.kind.*'sgd', 'adam', 'adamw'/);
    expect(bad({ configurations: [{ name: 'X', optimizer: { kind: 'sgd', lr: -0.1 } }] })).toThrow(/configurations\[0\]\.optimizer\.lr' must be a positive number/);
    expect(bad({ data: { source: 'idx', path: '' } })).toThrow(/'data\.path'/);
    expect(bad({ hidden: [64, 0] })).toThrow(/'hidden\[1\]' must be a positive integer/);
    expect(bad({ activation: 'sigmoid' })).toThrow(/'activation'/);
    expect(bad({ probe: { lanczosSteps: 2, topK: 5 } })).toThrow(/'probe\.lanczosSteps'/);
    expect(bad({ data: { source: 'cifar' } })).toThrow(/'data\.source'.*valid values/);
  });

  it('fails at start-up on a missing data path and on data that does not match the architecture', async () => {
    const g = gpu();
    const out = await mkdtemp(join(tmpdir(), 'study-'));
    const missing = mergeConfig(TINY, { data: { source: 'idx', path: '/nonexistent/mnist' } });
    await expect(runStudy(g, missing, out, { log: () => {} })).rejects.toThrow(/'data\.path' \/nonexistent\/mnist does not exist/);
  });
});
