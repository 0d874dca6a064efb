/**
 * Bootstrap confidence intervals (Efron's percentile method) for any statistic of a sample, and
 * the least-squares slope that the noise/curvature fits report. Resampling is seeded (Rng), so an
 * interval is the same number on every machine and in the browser.
 *
 * Cases are resampled whole: for a statistic of pairs (a rank correlation, a slope) pass the pair
 * index as the case and read x[i], y[i] inside the statistic, so each resample keeps pairs intact.
 * A resample on which the statistic is undefined (NaN: e.g. a constant input to a correlation) is
 * dropped and counted; the interval is NaN when more than half are dropped, never silently narrow.
 */
import { Rng } from './rng';

export interface Interval {
  /** The statistic on the sample itself. */
  estimate: number;
  /** Lower and upper percentile bounds at the given level (NaN when undefined). */
  low: number;
  high: number;
  level: number;
  resamples: number;
  /** Resamples on which the statistic was NaN (dropped). */
  undefinedResamples: number;
}

export interface BootstrapOptions {
  resamples?: number;
  /** Coverage, e.g. 0.95. */
  level?: number;
  seed?: number;
}

/** Percentile bootstrap of `statistic` over the case indices 0..n−1. */
export function bootstrapInterval(n: number, statistic: (cases: ArrayLike<number>) => number, opts: BootstrapOptions = {}): Interval {
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(n) || n < 0) throw new Error(`bootstrapInterval: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`bootstrapInterval: resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrapInterval: level must be in (0, 1), got ${level}`);
  const identity = Uint32Array.from({ length: n }, (_, i) => i);
  const estimate = n > 0 ? statistic(identity) : NaN;
  const rng = new Rng(opts.seed ?? 0);
  const values: number[] = [];
  const cases = new Uint32Array(n);
  for (let r = 0; r < resamples && n > 0; r++) {
    for (let i = 0; i < n; i++) cases[i] = rng.int(n);
    const v = statistic(cases);
    if (!Number.isNaN(v)) values.push(v);
  }
  const undefinedResamples = (n > 0 ? resamples : 0) - values.length;
  if (n < 2 || values.length < resamples / 2) {
    return { estimate, low: NaN, high: NaN, level, resamples, undefinedResamples };
  }
  values.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return { estimate, low: quantile(values, alpha), high: quantile(values, 1 - alpha), level, resamples, undefinedResamples };
}

/** Bootstrap interval of the mean of x. */
export function meanInterval(x: ArrayLike<number>, opts: BootstrapOptions = {}): Interval {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`meanInterval: x[${i}] is ${x[i]}; all values must be finite`);
  }
  return bootstrapInterval(x.length, (c) => {
    let s = 0;
    for (let i = 0; i < c.length; i++) s += x[c[i]];
    return s / c.length;
  }, opts);
}

/** Least-squares slope of y on x over the given cases; NaN when the x's are all equal. */
export function olsSlope(x: ArrayLike<number>, y: ArrayLike<number>, cases: ArrayLike<number> = Uint32Array.from({ length: x.length }, (_, i) => i)): number {
  if (x.length !== y.length) throw new Error(`olsSlope: x has ${x.length} values but y has ${y.length}`);
  const n = cases.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[cases[i]];
    my += y[cases[i]];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[cases[i]] - mx;
    sxy += dx * (y[cases[i]] - my);
    sxx += dx * dx;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

/** Linear interpolation between order statistics (numpy's default 'linear' method) of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}
