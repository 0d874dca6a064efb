/**
 * The registry (src/measures/registry.ts) as the runner uses it: every measure declares what it
 * reads and writes, a probed minimum holds every field the enabled measures write, the table and
 * the one-minimum report show each measure, a measure added through the registry API runs after
 * the registry's with their eigenpairs and λmax, and a failing measure is recorded with the fields
 * it writes left out and the measures after it skipped.
 */
import { describe, expect, it } from 'vitest';
import { MEASURES, probeLines, sharpnessLines } from '../../src/measures/registry';
import { measureMinimum, plannedStages } from '../../src/measures/probe-run';
import type { Measure, ProbeSettings, TrainingSettings } from '../../src/measures/measure';
import { importedReportMarkdown } from '../../src/study/imported-run';
import { DEFAULT_CONFIG } from '../../src/study/config';
import { STUDY_MEASURES, TRAINING_MEASURES } from '../../src/study/study-measures';
import { useGpu } from '../support/gpu';
import { freshSeed } from '../support/random';
import { makeProblem } from '../support/nets';

const gpu = useGpu();
const seed = freshSeed();

/** Every optional section on, budgets tiny: each registry measure runs. */
const settings: ProbeSettings = {
  ...DEFAULT_CONFIG.probe, chunkSize: 16, maxIter: 60, topK: 3, blockSize: 4, traceSamples: 4, traceMaxSamples: 8, densitySteps: 6, densityRuns: 2,
  lambdaMin: { pairs: 2, steps: 10, cycles: 2 }, perturbation: { rho: 0.05, samples: 2 }, slice: { from: -0.5, to: 0.5, steps: 3 },
  invariant: { ...DEFAULT_CONFIG.probe.invariant, samples: 2, steps: 1, flatnessSamples: 2 },
  noise: { directions: 2, bulk: 2, steps: 40, burnIn: 4, recordEvery: 2, batches: 4 },
};
const training: TrainingSettings = { optimizer: { kind: 'sgd', lr: 0.05 }, batchSize: 8, twoOverEta: 40 };

describe('the measure registry', () => {
  it('declares, for each measure, a unique name, the settings it reads, the fields it writes, its failure stage and its passes', () => {
    expect(new Set(MEASURES.map((m) => m.name)).size).toBe(MEASURES.length);
    for (const m of MEASURES) {
      expect(m.settings.length, m.name).toBeGreaterThan(0);
      expect(m.writes.length, m.name).toBeGreaterThan(0);
      expect(m.failure, m.name).not.toBe('');
      // Its passes at the default settings, for the bound the study states before it starts (an SGD run, so the noise measure's continuation counts).
      const work = m.work?.(DEFAULT_CONFIG.probe, { optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 32, twoOverEta: 20 }) ?? [];
      expect(work.length, m.name).toBeGreaterThan(0);
      for (const w of work) expect(Number.isInteger(w.count) && w.count > 0, `${m.name}: ${w.stage}`).toBe(true);
    }
  });

  it('names only settings the config has, per-minimum and study-level measures alike', () => {
    const at = (path: string) => path.split('.').reduce<unknown>((o, key) => {
      const record = o as Record<string, unknown>;
      return key.endsWith('[]') ? (record[key.slice(0, -2)] as unknown[])[0] : record[key];
    }, DEFAULT_CONFIG);
    for (const m of [...MEASURES, ...TRAINING_MEASURES, ...STUDY_MEASURES]) {
      for (const path of m.settings) expect(at(path), `${m.name}: ${path}`).toBeDefined();
    }
  });

  it(`fills every field the measures write, shows each in the table and report, and runs an added measure after them (seed ${seed})`, async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [6, 7, 4], 'relu', 33, seed);
    const seen: { lambdaMax?: number; eigenpairs?: number } = {};
    const extra: Measure = {
      name: 'test-extra', settings: ['probe.topK'], writes: ['sharpness'], failure: 'the extra measure',
      run: async (ctx) => {
        await ctx.stage('the extra measure');
        seen.lambdaMax = ctx.sharpness.lambdaMax;
        seen.eigenpairs = ctx.eigenpairs?.values.length;
        return { hvps: 1 };
      },
      table: { order: 5, rows: (s) => [{ measure: 'extra', value: `λmax seen ${s.lambdaMax}` }] },
    };
    const stages: string[] = [];
    const measures = [...MEASURES, extra];
    const r = await measureMinimum(model, data, settings, { seed, training, stage: (t) => void stages.push(t), measures });
    for (const m of MEASURES) {
      for (const field of m.writes) expect(r[field], `${m.name} writes ${field}`).toBeTruthy();
    }
    const s = r.sharpness!;
    // The fields of the Sharpness record, each measure's part of it among them.
    for (const key of ['lambdaMax', 'topK', 'trace', 'densityRuns', 'lambdaMin', 'perLayer', 'ggn', 'perturbationMean', 'adaptiveAverage', 'relativeFlatness', 'twoOverEta']) {
      expect(s[key as keyof typeof s], key).toBeDefined();
    }
    expect(Object.keys(s.solvers).sort()).toEqual(['density', 'lambdaMax', 'lambdaMin', 'topK', 'trace']);
    expect(r.noise!.directions).toHaveLength(4);
    expect(r.eigenpairs!.values).toHaveLength(3);
    // The added measure ran last, with what the registry's found, and its row leads the table (order 5).
    expect(seen).toEqual({ lambdaMax: s.lambdaMax, eigenpairs: 3 });
    expect(stages.at(-1)).toBe('the extra measure');
    expect(stages.length).toBeLessThanOrEqual(plannedStages(settings, training, measures));
    expect(sharpnessLines(s, measures)[0]).toBe(`extra: λmax seen ${s.lambdaMax}`);
    // Each measure's own section of the study report renders from a probed run: a heading and the run's configuration as a table row.
    for (const m of MEASURES) {
      const run = { configuration: 'A', seed, converged: true, diverged: null, sharpness: s, noise: r.noise };
      if (m.studySection) expect(m.studySection.render([run], settings).join('\n'), m.name).toMatch(/^## .*\n[^]*\n\| A \| /);
    }
    const lines = probeLines(r);
    for (const m of MEASURES) for (const row of m.table?.rows(s) ?? []) expect(lines, m.name).toContain(`${row.measure}: ${row.value}`);
    for (const m of MEASURES) for (const line of m.lines?.(r) ?? []) expect(lines, m.name).toContain(line);
    // The one-minimum report (probe --weights) holds every table row and each measure's section.
    const report = importedReportMarkdown({
      weights: { file: 'w.safetensors', format: 'safetensors', widths: [6, 7, 4], activation: 'relu', layers: [], notes: [] },
      data: { source: 'test', samples: data.count, features: 6, classes: 4, normalisation: 'none', warnings: [] },
      adapter: g.adapter.description, seed, seconds: 1, loss: await model.loss(data), probe: { sharpness: s, density: r.density, slice: r.slice, hvps: r.hvps }, noise: r.noise,
    }, []);
    for (const m of MEASURES) {
      for (const row of m.table?.rows(s) ?? []) expect(report, m.name).toContain(`| ${row.measure} | ${row.value} |`);
      for (const line of m.section?.(r) ?? []) expect(report, m.name).toContain(line);
    }
    model.destroy();
    data.destroy();
  });

  it(`records a failing measure: its fields left out, the measures after it skipped, or thrown by default (seed ${seed})`, async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [5, 6, 3], 'tanh', 20, seed);
    const failing: Measure = {
      name: 'test-failing', settings: ['probe.tol'], writes: ['sharpness'], failure: 'the failing measure',
      run: async () => {
        throw new Error('NaN on purpose');
      },
    };
    const after: Measure = { ...failing, name: 'test-after', writes: ['slice'], run: async () => ({ slice: { alphas: [0], loss: [0] } }) };
    const measures = [MEASURES[0], failing, after, ...MEASURES.slice(1)];
    const quick = { ...settings, noise: undefined, invariant: undefined };
    const r = await measureMinimum(model, data, quick, { seed, training, measures, onFailure: 'record' });
    expect(r.failure).toEqual({ stage: 'the failing measure', message: 'NaN on purpose' });
    expect(r.sharpness).toBeNull();
    expect(r.slice).toBeNull();
    expect(r.density).toBeNull();
    expect(r.eigenpairs!.values).toHaveLength(3);
    await expect(measureMinimum(model, data, quick, { seed, training, measures: [failing] })).rejects.toThrow('NaN on purpose');
    model.destroy();
    data.destroy();
  });
});
