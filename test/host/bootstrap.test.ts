/**
 * Bootstrap intervals against known distributions: the mean's 95 % interval covers the true mean
 * in about 95 % of repeated normal samples (a coverage count over many trials, not one draw), a
 * slope's interval covers the true slope of a noisy line, quantiles match numpy's 'linear' method,
 * and undefined or invalid inputs give NaN or a clear error.
 */
import { describe, expect, it } from 'vitest';
import { bootstrapInterval, meanInterval, olsSlope, quantile } from '../../src/util/bootstrap';
import { kendallTau } from '../../src/util/stats';
import { Rng } from '../../src/util/rng';
import { freshSeed } from '../support/random';

const seed = freshSeed();

describe(`bootstrap intervals (seed ${seed})`, () => {
  it("quantile matches numpy's linear interpolation", () => {
    const v = [0.5, 1, 2, 3, 7];
    // np.quantile([0.5, 1, 2, 3, 7], [0, 0.025, 0.3, 0.975, 1])
    const numpy = [0.5, 0.55, 1.2, 6.6, 7];
    [0, 0.025, 0.3, 0.975, 1].forEach((q, i) => expect(quantile(v, q)).toBeCloseTo(numpy[i], 12));
  });

  it('the mean interval covers the true mean in about 95 % of normal samples', () => {
    const rng = new Rng(seed);
    const trials = 400;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const x = Float64Array.from({ length: 40 }, () => 3 + 2 * rng.normal());
      const ci = meanInterval(x, { resamples: 500, seed: seed + t });
      expect(ci.low).toBeLessThanOrEqual(ci.estimate);
      expect(ci.high).toBeGreaterThanOrEqual(ci.estimate);
      if (ci.low <= 3 && 3 <= ci.high) covered++;
    }
    // Binomial(400, ~0.94): the percentile method under-covers slightly at n = 40; ±4 sd band.
    expect(covered / trials).toBeGreaterThan(0.87);
    expect(covered / trials).toBeLessThan(0.99);
  });

  it('the slope interval covers the true slope of noisy lines about 95 % of the time and narrows with more points', () => {
    const rng = new Rng(seed + 1);
    const fit = (n: number, t: number) => {
      const x = Float64Array.from({ length: n }, () => rng.uniform() * 4 - 2);
      const y = x.map((xi) => 1.5 * xi - 0.7 + 0.3 * rng.normal());
      return bootstrapInterval(n, (c) => olsSlope(x, y, c), { resamples: 400, seed: seed + t });
    };
    const trials = 200;
    let covered = 0;
    let widthSmall = 0;
    let widthLarge = 0;
    for (let t = 0; t < trials; t++) {
      const small = fit(30, t);
      if (small.low <= 1.5 && 1.5 <= small.high) covered++;
      widthSmall += small.high - small.low;
      const large = fit(480, t);
      widthLarge += large.high - large.low;
    }
    expect(covered / trials).toBeGreaterThan(0.85);
    expect(covered / trials).toBeLessThan(0.995);
    // Width shrinks like 1/√n: 16× the points, a quarter of the width on average.
    expect(widthLarge / widthSmall).toBeGreaterThan(0.18);
    expect(widthLarge / widthSmall).toBeLessThan(0.33);
  });

  it('olsSlope recovers an exact line and is NaN for constant x', () => {
    expect(olsSlope([1, 2, 4], [1, 3, 7])).toBeCloseTo(2, 14);
    expect(olsSlope([2, 2, 2], [1, 3, 7])).toBeNaN();
  });

  it('keeps pairs together and reports undefined resamples', () => {
    const x = [1, 2, 3, 4, 5, 6];
    const y = [2, 1, 4, 3, 6, 5];
    const ci = bootstrapInterval(x.length, (c) => kendallTau(Array.from(c, (i) => x[i]), Array.from(c, (i) => y[i])), { seed });
    expect(ci.estimate).toBeCloseTo(kendallTau(x, y), 14);
    expect(ci.undefinedResamples).toBeGreaterThanOrEqual(0);
    expect(ci.low).toBeLessThanOrEqual(ci.high);
    // One case: every resample is that case, the interval is undefined, never a zero-width claim.
    expect(meanInterval([4]).low).toBeNaN();
  });

  it('rejects bad input', () => {
    expect(() => meanInterval([1, NaN])).toThrow(/x\[1\] is NaN/);
    expect(() => bootstrapInterval(3, () => 0, { level: 1.2 })).toThrow(/level/);
    expect(() => bootstrapInterval(3, () => 0, { resamples: 0 })).toThrow(/resamples/);
  });
});
