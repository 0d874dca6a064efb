/** The study's noise measurement: config checks and measureNoise end to end on a tiny net (its slope fits and verdicts: test/host/statistics.test.ts). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig, validateConfig } from '../../src/study/config';
import { measureNoise, type NoiseResult } from '../../src/measures/noise';
import { noiseChartSpec, noiseSection, spreadNote } from '../../src/measures/noise-report';
import { renderSvg } from '../../src/study/render-svg';
import type { RunResult, StudyResult } from '../../src/study/results';
import { hessianBlockOperator } from '../../src/probe/block-operator';
import { blockEigen } from '../../src/probe/block-eigen';
import { train } from '../../src/train/trainer';
import { useGpu } from '../support/gpu';
import { freshSeed } from '../support/random';
import { makeProblem } from '../support/nets';

const gpu = useGpu();
const seed = freshSeed();

describe('probe.noise settings', () => {
  const bad = (noise: unknown) => () => validateConfig(mergeConfig(DEFAULT_CONFIG, { probe: { noise } }));
  it('rejects bad values, naming the field and the fix', () => {
    expect(bad({ steps: -1 })).toThrow(/'probe\.noise\.steps' must be a non-negative integer/);
    expect(bad({ recordEvery: 0 })).toThrow(/'probe\.noise\.recordEvery' must be a positive integer/);
    expect(bad({ batches: 1 })).toThrow(/'probe\.noise\.batches' must be an integer ≥ 2/);
    expect(bad({ directions: 1, bulk: 1 })).toThrow(/'probe\.noise' needs at least 3 directions.*set directions to 0 to turn it off/);
    expect(bad({ steps: 30, recordEvery: 2, batches: 10 })).toThrow(/'probe\.noise\.steps' \(30\) recorded every 2 gives 15 records.*raise steps to 40/);
    expect(bad({ stepz: 3 })).toThrow(/'probe\.noise\.stepz' is not a known setting \(did you mean 'steps'\?\)/);
  });
  it('accepts the off switches', () => {
    expect(bad({ directions: 0, bulk: 0 })).not.toThrow();
    expect(bad({ steps: 0 })).not.toThrow();
  });
});

describe(`measureNoise on a tiny trained net (seed ${seed})`, () => {
  it('measures c along eigen- and bulk directions, runs the SGD continuation, restores θ, and reports it', { timeout: 300_000 }, async () => {
    const g = gpu();
    const { model, data } = await makeProblem(g, [12, 9, 4], 'tanh', 64, seed);
    await train(model, data, { epochs: 20, batchSize: 16, optimizer: { kind: 'sgd', lr: 0.3 }, seed, evaluate: false, logEvery: 1000 });
    const P = model.layout.size;
    const op = await hessianBlockOperator(model, data, 4);
    const eig = await blockEigen(op, { want: 3, tol: 1e-4, maxIter: 100, seed, vectors: true });
    const vectors = (await eig.vectors!.read(0, 3 * P)) as Float32Array;
    eig.vectors!.destroy();
    op.destroy();
    const values = eig.groups[0].values;
    expect(values[0]).toBeGreaterThan(0);
    const before = await model.getParams();
    // ηλmax = 1: stable, and the top direction settles in 20 steps.
    const lr = 1 / values[0];
    const settings = { directions: 3, bulk: 2, steps: 400, burnIn: 20, recordEvery: 2, batches: 10 };
    const sgd = await measureNoise(model, data, settings, { optimizer: { kind: 'sgd', lr, weightDecay: 1e-3 }, batchSize: 16, seed }, { values, vectors });
    expect(await model.getParams()).toEqual(before);
    expect(sgd.directions.map((d) => d.kind)).toEqual(['eigen', 'eigen', 'eigen', 'bulk', 'bulk']);
    expect(sgd.directions.slice(0, 3).map((d) => d.lambda)).toEqual(values);
    expect(sgd.samples).toBe(64);
    expect(sgd.continuation).toMatchObject({ steps: 400, burnIn: 20, stepsRun: 420 });
    for (const [i, d] of sgd.directions.entries()) {
      expect(d.c, `c of direction ${i}`).toBeGreaterThan(0);
      expect(Math.abs(sgd.correlation[i * 5 + i] - 1)).toBeLessThan(1e-9);
      const s = d.spread!;
      expect(s.lambdaRegularised).toBeCloseTo(d.lambda + 1e-3, 12);
      expect(s.variance).toBeGreaterThan(0);
      expect(s.stdError).toBeGreaterThan(0);
      if (s.predicted !== null) expect(s.ratio).toBeCloseTo(s.variance / s.predicted, 12);
    }
    expect(sgd.directions[0].spread!.equilibrated).toBe(true);
    expect(Number.isFinite(sgd.noiseSlope.slope)).toBe(true);
    expect(sgd.noiseSlopeTop.n).toBe(3);

    const adam = await measureNoise(model, data, settings, { optimizer: { kind: 'adam', lr: 1e-3 }, batchSize: 16, seed }, { values, vectors });
    expect(adam.continuation).toBeNull();
    // The record holds the reason, the report words it.
    expect(adam.spreadSkipped).toEqual({ reason: 'adaptive-optimizer' });
    expect(spreadNote(adam)).toMatch(/^adam preconditions its steps.*SGD prediction does not apply/);
    expect(adam.directions.every((d) => d.spread === null)).toBe(true);
    // The noise itself does not depend on the optimiser: same directions, same numbers.
    expect(adam.directions.map((d) => d.c)).toEqual(sgd.directions.map((d) => d.c));

    const slow = await measureNoise(model, data, settings, { optimizer: { kind: 'sgd', lr: 1e-4 }, batchSize: 16, seed }, { values, vectors });
    expect(slow.continuation).toBeNull();
    expect(slow.spreadSkipped).toMatchObject({ reason: 'too-slow', steps: 400, sharpest: Math.max(...slow.directions.map((d) => d.lambda)) });
    expect(spreadNote(slow)).toMatch(/relaxes too slowly for 400 steps \(it needs ≥ \d+\)/);

    // A near-degenerate pair (gap below its residual) is passed over: the directions are the resolved pairs, in order.
    const skip = await measureNoise(model, data, { ...settings, directions: 2, steps: 0 }, { optimizer: { kind: 'adam', lr: 1e-3 }, batchSize: 16, seed },
      { values, vectors, resolved: [false, true, true] });
    expect(skip.directions.filter((d) => d.kind === 'eigen').map((d) => d.lambda)).toEqual([values[1], values[2]]);
    // The same directions' noise, whatever else shares the pass (block width may change the rounding, not the value).
    skip.directions.filter((d) => d.kind === 'eigen').forEach((d, i) => expect(Math.abs(d.c - adam.directions[i + 1].c)).toBeLessThanOrEqual(1e-5 * adam.directions[i + 1].c));
    expect(skip.unresolvedSkipped).toBe(1);
    expect(adam.unresolvedSkipped).toBe(0);

    const run = (configuration: string, noise: NoiseResult) => ({ configuration, seed, noise }) as unknown as RunResult;
    const result = { config: mergeConfig(DEFAULT_CONFIG, { probe: { noise: settings } }), runs: [run('Sharp', sgd), run('Adam', adam)] } as StudyResult;
    const text = noiseSection(result.runs, result.config.probe).join('\n');
    expect(text).toContain("## Does SGD's noise follow the curvature?");
    expect(text).toMatch(/\*\*Sharp\*\* \(seeds pooled, 5 directions\)/);
    expect(text).toMatch(/- noise, C ≈ H\/B .*: \*\*(consistent|rejected|undecided)\*\*/);
    expect(text).toMatch(/\| Adam \| .* \| not run \(adaptive optimiser\) \|/);
    expect((await renderSvg(noiseChartSpec(result.runs))).startsWith('<svg')).toBe(true);
    model.destroy();
    data.destroy();
  });
});
