/**
 * The invariant measures in the study: every probed run carries them, they are correlated with
 * generalisation, and the Dinh rescaling check runs once on the first finished minimum — its
 * invariant measures unmoved and λmax moved — or, on a non-ReLU network, says why it did not run.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, mergeConfig, validateConfig, type StudyConfig } from '../../src/study/config';
import { runStudy } from '../../src/study/run-study';
import { writeStudyOutputs } from '../../src/study/write-report';
import type { StudyResult } from '../../src/study/results';
import { useGpu } from '../support/gpu';

const gpu = useGpu();

/** One configuration, one seed, tiny probes (the shape of study.test.ts's MICRO study). */
const MICRO: StudyConfig = mergeConfig(DEFAULT_CONFIG, {
  hidden: [8], epochs: 1, seeds: [0], batchSize: 100, logEvery: 20,
  data: { source: 'mnist-10k', testFraction: 0.05, splitSeed: 0 },
  configurations: [{ name: 'Adam_Default', optimizer: { kind: 'adam', lr: 1e-3 } }],
  probe: {
    samples: 300, chunkSize: 300, maxIter: 40, topK: 2, traceSamples: 3, densitySteps: 6,
    perturbation: { rho: 0.05, samples: 2 }, slice: { from: -0.5, to: 0.5, steps: 3 }, duringEvery: 0,
    invariant: { samples: 4, steps: 2, flatnessSamples: 4 },
  },
});

describe('invariant sharpness in the study', { timeout: 900_000 }, () => {
  it('records the invariant measures per run, correlates them, and runs the rescaling check once', async () => {
    const out = await mkdtemp(join(tmpdir(), 'study-inv-'));
    const result = await runStudy(gpu(), MICRO, out, { log: () => {} });
    await writeStudyOutputs(result, out);
    const saved = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as StudyResult;
    const report = await readFile(join(out, 'report.md'), 'utf8');
    const s = saved.runs[0].sharpness!;
    for (const key of ['adaptiveAverage', 'adaptiveWorst', 'relativeFlatness', 'relativeFlatnessNormalized'] as const) {
      expect(Number.isFinite(s[key]), key).toBe(true);
    }
    expect(s.relativeFlatnessDecay, 'Adam without weight decay: no regulariser term').toBe(0);
    for (const [value, bounds] of [
      [s.adaptiveAverage!, s.adaptiveAverageInterval!], [s.relativeFlatness!, s.relativeFlatnessInterval!],
      [s.relativeFlatnessNormalized!, s.relativeFlatnessNormalizedInterval!],
    ] as const) {
      expect(bounds.low).toBeLessThanOrEqual(value);
      expect(bounds.high).toBeGreaterThanOrEqual(value);
    }
    expect(s.adaptiveWorst!).toBeGreaterThan(0);
    for (const m of ['adaptive sharpness (avg)', 'adaptive sharpness (worst)', 'relative flatness', "relative flatness (authors' protocol)"]) {
      expect(saved.correlations.filter((c) => c.measure === m)).toHaveLength(2);
    }
    const r = saved.rescaling!;
    expect(r).toMatchObject({ configuration: 'Adam_Default', seed: 0, layer: 0, alpha: 5 });
    expect(r.error).toBeUndefined();
    expect(r.loss!.after).toBeCloseTo(r.loss!.before, 5);
    expect(r.loss!.neuronAfter).toBeCloseTo(r.loss!.before, 5);
    expect(r.neuronFactors!.max / r.neuronFactors!.min, 'per-neuron factors spread over [1/5, 5]').toBeGreaterThan(2);
    // "Before" is the run's own probe: the same numbers results.json holds.
    const byName = new Map(r.measures!.map((m) => [m.name, m]));
    expect(byName.get('λmax')!.before).toBe(s.lambdaMax);
    expect(byName.get('relative flatness')!.before).toBe(s.relativeFlatness);
    expect(byName.get("relative flatness (authors' protocol)")!.before).toBe(s.relativeFlatnessNormalized);
    for (const m of r.measures!) {
      const change = Math.abs(m.after / m.before - 1);
      if (m.invariant) expect(change, `${m.name}: ${m.before} → ${m.after}`).toBeLessThan(1e-3);
      else expect(change, `${m.name}: ${m.before} → ${m.after}`).toBeGreaterThan(0.5);
      if (m.neuronInvariant) expect(Math.abs(m.neuronAfter! / m.before - 1), `${m.name} per neuron: ${m.before} → ${m.neuronAfter}`).toBeLessThan(1e-3);
    }
    // Layer 0 makes the last layer's features here: plain κ is built to survive the whole-layer rescaling only, and moves.
    const kappa = byName.get('relative flatness')!;
    expect(kappa.neuronInvariant).toBe(false);
    expect(Math.abs(kappa.neuronAfter! / kappa.before - 1), `κ per neuron: ${kappa.before} → ${kappa.neuronAfter}`).toBeGreaterThan(1e-2);
    expect(r.measures!.map((m) => m.name)).toEqual([
      'λmax', 'trace', 'perturbation sharpness (filter-normalised)', 'adaptive sharpness (average)', 'adaptive sharpness (worst)', 'relative flatness',
      "relative flatness (authors' protocol)",
    ]);
    expect(report).toContain('## Sharpness that survives reparametrisation');
    expect(report).toContain('### The Dinh rescaling check');
    expect(report).toContain('Every measure survived each rescaling it is built to survive');
    expect(report).toMatch(/\| relative flatness \| [\d.e+-]+ \| [\d.e+-]+ \| -?[\d.e+-]+ % \| yes \| [\d.e+-]+ \| -?[\d.e+-]+ % \| no \| whole layer \|/);
    expect(report).toMatch(/\| relative flatness \(authors' protocol\) \| [\d.e+-]+ \| [\d.e+-]+ \| -?[\d.e+-]+ % \| yes \| [\d.e+-]+ \| -?[\d.e+-]+ % \| yes \| both \|/);
    expect(report).toMatch(/\| Adam_Default \| [\d.e+-]+ \| [\d.e+-]+ \| [\d.e+-]+ \| [\d.e+-]+ \|/);
  });

  it('refuses the rescaling check on a non-ReLU network, saying why in the report; the runs are unaffected', async () => {
    const out = await mkdtemp(join(tmpdir(), 'study-inv-'));
    const config = mergeConfig(MICRO, { activation: 'tanh', probe: { invariant: { flatnessSamples: 0, steps: 0 } } });
    const result = await runStudy(gpu(), config, out, { log: () => {} });
    await writeStudyOutputs(result, out);
    expect(result.runs[0].failure ?? null).toBeNull();
    expect(result.runs[0].sharpness!.adaptiveWorst).toBeUndefined();
    expect(result.runs[0].sharpness!.relativeFlatness).toBeUndefined();
    expect(result.rescaling!.error).toMatch(/positively homogeneous .* 'tanh'/);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toContain('The check did not run: Dinh rescaling needs a positively homogeneous activation');
  });

  it('rejects bad probe.invariant settings at start-up, naming the field', () => {
    const bad = (invariant: unknown) => () => validateConfig(mergeConfig(DEFAULT_CONFIG, { probe: { invariant } }));
    expect(bad({ rho: 0 })).toThrow(/'probe\.invariant\.rho' must be a positive number/);
    expect(bad({ averageRho: -1 })).toThrow(/'probe\.invariant\.averageRho' must be a positive number/);
    expect(bad({ eta: -0.01 })).toThrow(/'probe\.invariant\.eta' must be a finite number ≥ 0/);
    expect(bad({ samples: 0 })).toThrow(/'probe\.invariant\.samples' must be a positive integer/);
    expect(bad({ steps: -1 })).toThrow(/'probe\.invariant\.steps' must be a non-negative integer/);
    expect(bad({ rescaleAlpha: -5 })).toThrow(/'probe\.invariant\.rescaleAlpha' must be a finite number > 0, or 0 to skip/);
    expect(bad({ rescaleLayer: 1 })).toThrow(/'probe\.invariant\.rescaleLayer' is 1 but must be at most 0/);
    expect(bad({ rescaleAlpha: 0, rescaleLayer: 1 })).not.toThrow();
    expect(bad({ flatnesSamples: 3 })).toThrow(/'probe\.invariant\.flatnesSamples' is not a known setting \(did you mean 'flatnessSamples'\?\)/);
  });
});
