/**
 * The up-front cost bound's arithmetic (no GPU): the work counted from the configuration, priced
 * by per-pass times. The study test checks the bound against what a real study then spent.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, mergeConfig } from '../../src/study/config';
import { passKey, priceWork, studyWork, type WorkItem } from '../../src/study/cost-estimate';
import { formatDuration } from '../../src/util/words';

const count = (work: WorkItem[], stage: string) => work.filter((w) => w.stage === stage).reduce((s, w) => s + w.count, 0);

describe('the cost estimate', () => {
  const config = DEFAULT_CONFIG;
  const [adam, sgd] = config.configurations;

  it('counts every run to its epoch budget, at its own batch size', () => {
    const wide = { ...sgd, name: 'Wide', batchSize: 128 };
    const work = studyWork(config, 500, [adam, wide], { probed: false });
    const steps = work.filter((w) => w.stage === 'training steps');
    expect(steps.map((w) => [w.pass, w.count])).toEqual([
      [{ kind: 'step', batch: config.batchSize }, config.train.maxEpochs * Math.floor(500 / config.batchSize)],
      [{ kind: 'step', batch: 128 }, config.train.maxEpochs * Math.floor(500 / 128)],
    ]);
    // The train command probes nothing.
    expect(new Set(work.map((w) => w.stage))).toEqual(new Set(['training steps', 'training evaluations']));
  });

  it('charges SGD runs the stationary-spread continuation and Adam runs the preconditioned checks', () => {
    const one = (run: typeof adam) => studyWork({ ...config, eos: { ...config.eos, enabled: false }, probe: { ...config.probe, invariant: { ...config.probe.invariant, rescaleAlpha: 0 } } }, 500, [run]);
    expect(count(one(sgd), 'probe: stationary spread (SGD continuation)')).toBe(config.probe.noise.steps + config.probe.noise.burnIn);
    expect(count(one(adam), 'probe: stationary spread (SGD continuation)')).toBe(0);
    const withEos = (run: typeof adam) => studyWork(config, 500, [run]);
    expect(count(withEos(adam), 'preconditioned λmax during training')).toBeGreaterThan(0);
    expect(count(withEos(sgd), 'mini-batch λmax during training')).toBeGreaterThan(0);
    // Per-run work adds up; the study-level checks (rescaling, EoS) are counted once.
    const perRun = (w: WorkItem[]) => w.filter((x) => !x.stage.startsWith('rescaling') && !x.stage.startsWith('edge-of-stability'));
    const both = perRun(studyWork(config, 500, [adam, sgd]));
    const sum = [...perRun(studyWork(config, 500, [adam])), ...perRun(studyWork(config, 500, [sgd]))];
    expect(both.reduce((s, w) => s + w.count, 0)).toBe(sum.reduce((s, w) => s + w.count, 0));
  });

  it('prices the work by pass and says which pass has no timing', () => {
    const tiny = mergeConfig(DEFAULT_CONFIG, { probe: { duringEvery: 0, noise: { directions: 0 } }, eos: { enabled: false } });
    const work = studyWork(tiny, 500, [adam]);
    const times = new Map(work.map((w) => [passKey(w.pass), 0.5]));
    const cost = priceWork(work, times, 1);
    expect(cost.seconds).toBeCloseTo(0.5 * work.reduce((s, w) => s + w.count, 0), 9);
    expect(cost.stages.map((s) => s.seconds)).toEqual([...cost.stages.map((s) => s.seconds)].sort((a, b) => b - a));
    times.delete(passKey(work[0].pass));
    expect(() => priceWork(work, times, 1)).toThrow(`no timing for ${passKey(work[0].pass)}`);
  });

  it('writes durations for a reader', () => {
    expect([0.2, 59, 61, 3700, 200_000].map(formatDuration)).toEqual(['1 s', '59 s', '1 min', '1 h 2 min', '2.3 days']);
  });
});
