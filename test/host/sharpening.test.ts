/** The low-learning-rate sharpening trend is read off the during-training checks, whichever way it goes. */
import { describe, expect, it } from 'vitest';
import { sharpeningTrends, trendVerdict } from '../../src/study/sharpening';
import type { RunResult } from '../../src/study/results';

/** A finished run whose λmax checks follow λ0·exp(rate·step). */
function run(configuration: string, seed: number, lambda0: number, rate: number, steps: number[]): RunResult {
  return {
    configuration, seed, diverged: null,
    duringTraining: steps.map((step) => ({ step, lambdaMax: lambda0 * Math.exp(rate * step) })),
  } as unknown as RunResult;
}

const checks = [100, 200, 300, 400];
const sgd = (name: string) => (name === 'Low' ? 2000 : null);

describe('sharpening trend over the during-training checks', () => {
  it('recovers the slope of ln λmax per 1,000 steps exactly, and its mean over seeds', () => {
    const runs = [run('Low', 0, 5, 0.0004, checks), run('Low', 1, 6, 0.0006, checks), run('Low', 2, 7, 0.0005, checks)];
    const [t] = sharpeningTrends(runs, sgd);
    expect(t.configuration).toBe('Low');
    expect(t.runs).toBe(3);
    expect(t.twoOverEta).toBe(2000);
    expect(t.logSlopePer1000.value).toBeCloseTo(0.5, 12);
    expect(t.logSlopePer1000.low).toBeGreaterThanOrEqual(0.4 - 1e-12);
    expect(t.logSlopePer1000.high).toBeLessThanOrEqual(0.6 + 1e-12);
    expect(trendVerdict(t.logSlopePer1000)).toBe('sharpening');
    expect([t.firstStep, t.lastStep]).toEqual([100, 400]);
    expect(t.firstLambda).toBeCloseTo((5 * Math.exp(0.04) + 6 * Math.exp(0.06) + 7 * Math.exp(0.05)) / 3, 12);
  });

  it('calls a falling trace flattening and a mixed one undecided', () => {
    const falling = sharpeningTrends([run('A', 0, 5, -0.001, checks), run('A', 1, 5, -0.002, checks)], sgd)[0];
    expect(trendVerdict(falling.logSlopePer1000)).toBe('flattening');
    const mixed = sharpeningTrends([run('B', 0, 5, -0.001, checks), run('B', 1, 5, 0.001, checks)], sgd)[0];
    expect(trendVerdict(mixed.logSlopePer1000)).toBe('undecided');
  });

  it('leaves out a configuration where some run has too few checks, and ignores diverged runs', () => {
    const runs = [run('Short', 0, 5, 0.001, checks), run('Short', 1, 5, 0.001, [100, 200]),
      run('Kept', 0, 5, 0.001, checks), { ...run('Kept', 1, 5, 0.001, [100]), diverged: { step: 150, reason: 'nan' } } as unknown as RunResult];
    expect(sharpeningTrends(runs, sgd).map((t) => [t.configuration, t.runs])).toEqual([['Kept', 1]]);
  });
});
