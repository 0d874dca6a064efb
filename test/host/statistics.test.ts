/**
 * The study's statistics module (src/study/statistics.ts), pure, on constructed runs: each result
 * against the bootstrap or the formula it is defined by, computed here on the same data, or against
 * what the construction makes exact (a perfect ranking, an exact power law, disjoint groups).
 */
import { describe, expect, it } from 'vitest';
import { bootstrapInterval, meanInterval } from '../../src/util/bootstrap';
import { kendallTau, mean, spearmanRho } from '../../src/util/stats';
import {
  EDGE, INTERVALS, MEASURES, TARGETS, configurationMeans, correlations, edgeBehaviour, extremes, finiteMean, logLogSlope, mainCorrelation,
  meanEstimate, rankCorrelation, separatedPairs, stabilityRatios, verdictOf,
} from '../../src/study/statistics';
import { pooledSlopes, predictionVerdict } from '../../src/measures/noise-fits';
import type { NoiseDirection, NoiseResult } from '../../src/measures/noise';
import type { RunResult } from '../../src/study/results';
import { studyRun } from '../support/study-runs';

describe('means over seeds', () => {
  it('meanEstimate is the percentile bootstrap of the mean at the report\'s settings, over the finite values', () => {
    const v = [0.91, 0.87, 0.95, 0.9];
    const ci = meanInterval(v, INTERVALS);
    expect(meanEstimate([...v, NaN])).toEqual({ value: ci.estimate, low: ci.low, high: ci.high });
    const one = meanEstimate([3]);
    expect(one.value).toBe(3);
    expect(one.low).toBeNaN();
    expect(meanEstimate([]).value).toBeNaN();
  });

  it('finiteMean skips what was not measured', () => {
    expect(finiteMean([1, undefined, 3, null, NaN])).toBe(2);
    expect(finiteMean([undefined, NaN])).toBeNaN();
  });
});

describe('rank correlations', () => {
  it('τ, ρ and τ\'s interval are the bootstrap of Kendall τ over pairs kept together', () => {
    const x = [1, 4, 2, 8, 5, 7, 3, 6];
    const y = [0.1, 0.3, 0.4, 0.9, 0.2, 0.6, 0.5, 0.7];
    const c = rankCorrelation(x, y);
    const pick = (v: number[], cases: ArrayLike<number>) => Array.from(cases, (i) => v[i]);
    const ci = bootstrapInterval(x.length, (cases) => kendallTau(pick(x, cases), pick(y, cases)), INTERVALS);
    expect(c).toEqual({ n: 8, kendallTau: kendallTau(x, y), spearmanRho: spearmanRho(x, y), tauInterval: { value: ci.estimate, low: ci.low, high: ci.high } });
  });

  it('a perfect ranking has τ = 1 in every resample that defines it, so its interval is [1, 1]', () => {
    const c = rankCorrelation([1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60]);
    expect(c.kendallTau).toBe(1);
    expect(c.tauInterval).toEqual({ value: 1, low: 1, high: 1 });
    expect(verdictOf(c.tauInterval)).toBe('supported');
  });

  it('correlations pair every measure with every target over converged, probed runs with both numbers', () => {
    const runs: RunResult[] = [0, 1, 2, 3, 4].map((s) => studyRun('A', s, 1 + s, 0.9 - 0.01 * s));
    runs.push(studyRun('Slow', 0, 50, 0.5, false));
    runs.push({ ...studyRun('Unprobed', 0, 1, 0.8), sharpness: null });
    const corr = correlations(runs);
    expect(corr.map((c) => `${c.measure}/${c.target}`)).toEqual(MEASURES.flatMap((m) => TARGETS.map((t) => `${m.name}/${t.name}`)));
    const main = mainCorrelation(corr)!;
    expect(main).toMatchObject({ measure: 'λmax', target: 'test error', n: 5, kendallTau: 1 });
    // Adaptive sharpness and relative flatness were not measured on these runs: no pairs, no numbers.
    expect(corr.find((c) => c.measure === 'relative flatness')!.n).toBe(0);
    expect(corr.find((c) => c.measure === 'relative flatness')!.kendallTau).toBeNaN();
  });
});

describe('configurations', () => {
  const runs = [0, 1, 2].flatMap((s) => [studyRun('Sharp', s, 10 + s, 0.9 + 0.01 * s), studyRun('Flat', s, 1 + 0.1 * s, 0.95), studyRun('Mid', s, [0.5, 12, 3][s], 0.92)]);

  it('means over seeds, sharpest first; pairs separated only where the intervals are disjoint', () => {
    const groups = configurationMeans(runs);
    expect(groups.map((g) => g.name)).toEqual(['Sharp', 'Mid', 'Flat']);
    expect(groups[0].lambdaMax).toEqual(meanEstimate([10, 11, 12]));
    expect(groups[0].accuracy).toEqual(meanEstimate([0.9, 0.91, 0.92]));
    expect(separatedPairs(groups)).toEqual([['Sharp', 'Flat']]);
  });

  it('the sharpest and the most accurate configuration by their point means; unconverged runs do not count', () => {
    const all = [...runs, studyRun('Slope', 0, 100, 0.99, false)];
    expect(extremes(all)).toEqual({ sharpest: { name: 'Sharp', lambdaMax: mean([10, 11, 12]) }, best: { name: 'Flat', accuracy: mean([0.95, 0.95, 0.95]) } });
    expect(extremes([])).toBeUndefined();
  });

  it('λmax / (2/η) averaged over the runs that have an SGD threshold', () => {
    const sgd = [0, 1].map((s) => {
      const r = studyRun('SGD', s, 4 + 2 * s, 0.9);
      r.sharpness!.twoOverEta = 20;
      return r;
    });
    expect(stabilityRatios([...runs, ...sgd])).toEqual([{ name: 'SGD', ratio: (4 / 20 + 6 / 20) / 2 }]);
  });
});

describe('slope fits', () => {
  const direction = (kind: 'eigen' | 'bulk', lambda: number, c: number): NoiseDirection => ({ kind, lambda, c, gradient: 0, spread: null });
  const withNoise = (r: RunResult, directions: NoiseDirection[]): RunResult => ({ ...r, noise: { optimizer: 'adam', directions } as unknown as NoiseResult });

  it('recovers an exact power law and decides by the interval', () => {
    const lambda = [0.01, 0.1, 0.5, 2, 7];
    const fit = logLogSlope(lambda.map((l) => [l, 3 * l ** 1.5]), 0);
    expect(fit.n).toBe(5);
    for (const v of [fit.slope, fit.low, fit.high]) expect(Math.abs(v - 1.5)).toBeLessThan(1e-9);
    // Non-positive values cannot enter a log-log fit and are left out.
    expect(logLogSlope([[1, 1], [2, 4], [0, 3], [3, -1], [4, 16]], 0).n).toBe(3);
    const iv = { slope: 1.2, low: 0.9, high: 1.6, n: 10 };
    expect(predictionVerdict(iv, [1, 1])).toBe('consistent');
    expect(predictionVerdict(iv, [0, 0])).toBe('rejected');
    expect(predictionVerdict(iv, [1.5, 2])).toBe('consistent');
    expect(predictionVerdict({ ...iv, low: NaN }, [1, 1])).toBe('undecided');
    expect(predictionVerdict(null, [1, 1])).toBe('undecided');
  });

  it('pools the directions of every seed of a configuration into one fit per slope', () => {
    const a = [0, 1].map((s) => withNoise(studyRun('A', s, 1, 0.9), [direction('eigen', 2 + s, 4 + s), direction('eigen', 5, 20 + s), direction('bulk', 0.01 * (s + 1), 0.001)]));
    const b = [withNoise(studyRun('B', 0, 1, 0.9), [direction('eigen', 1, 1), direction('bulk', 0.1, 0.2), direction('bulk', 0.2, 0.3)])];
    const pooled = pooledSlopes([...a, studyRun('NoNoise', 0, 1, 0.9), ...b]);
    expect(pooled.map((p) => p.configuration)).toEqual(['A', 'B']);
    const dirs = a.flatMap((r) => r.noise!.directions);
    expect(pooled[0].noise).toEqual(logLogSlope(dirs.map((d) => [d.lambda, d.c]), 0));
    expect(pooled[0].noiseTop).toEqual(logLogSlope(dirs.filter((d) => d.kind === 'eigen').map((d) => [d.lambda, d.c]), 0));
    expect(pooled[0].spread).toBeNull();
    expect(pooled[1].noise).toEqual(logLogSlope(b[0].noise!.directions.map((d) => [d.lambda, d.c]), 1));
  });
});

describe('edge of stability', () => {
  it('classifies a trace by its ratios to the threshold', () => {
    const t = 10;
    expect(edgeBehaviour([], t)).toEqual({ kind: 'none' });
    expect(edgeBehaviour([4, 5], t)).toEqual({ kind: 'few', ratios: [0.4, 0.5] });
    expect(edgeBehaviour([5, 6, 7.5], t)).toMatchObject({ kind: 'below', peak: 0.75 });
    expect(edgeBehaviour([5, 8, 10.5, 9.8, 10.1, 9.9], t)).toMatchObject({ kind: 'hovered', atEdge: 2, tail: 2 });
    expect(edgeBehaviour([5, 9, 12, 9, 7, 6], t)).toMatchObject({ kind: 'fell', peak: 1.2, end: 0.6 });
    expect(edgeBehaviour([9, 11, 13, 15], t)).toMatchObject({ kind: 'above', end: 1.5 });
    // Ends inside the band, but not the whole last third.
    const near = edgeBehaviour([5, 9, 13, 13, 13, 10], t);
    expect(near).toMatchObject({ kind: 'near', atEdge: 1, tail: 2 });
    expect(EDGE.low).toBeLessThan(1);
    expect(EDGE.high).toBeGreaterThan(1);
  });
});
