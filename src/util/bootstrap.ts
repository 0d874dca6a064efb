/**
 * Bootstrap confidence intervals (Efron's percentile method) for any statistic of a sample, and
 * the least-squares slope that the noise/curvature fits report. Resampling is seeded (Rng), so an
 * interval is the same number on every machine and in the browser.
 *
 * Cases are resampled whole: for a statistic of pairs (a rank correlation, a slope) pass the pair
 * index as the case and read x[i], y[i] inside the statistic, so each resample keeps pairs intact.
 * A resample on which the statistic is undefined (NaN: e.g. a constant input to a correlation) is
 * dropped and counted; the interval is NaN when more than half are dropped, never silently narrow.
 *
 * For the mean of a few skewed draws — a stochastic estimator's probes (Hutchinson's zᵀAz, a loss
 * increase under random perturbations) — the percentile interval under-covers: it is first-order
 * accurate and inherits the sample's missing tail. studentizedMeanInterval (bootstrap-t, Efron &
 * Tibshirani 1993 §12.5) resamples the t statistic instead, which corrects for skewness to second
 * order; test/host/coverage.test.ts measures both on skewed probe distributions.
 */
import { Rng } from './rng';

/** Bootstrap settings of every interval the study reports (means over seeds, correlations, slopes): fixed, so a report is reproducible to the digit. */
export const INTERVALS = { level: 0.95, resamples: 2000, seed: 0 } as const;

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

/**
 * Bootstrap-t interval of the mean of x: t* = (m* − m)/se* over resamples, then
 * [m − t*_{1−α/2}·se, m − t*_{α/2}·se], with se the sample standard deviation / √n. Resamples
 * with se* = 0 (all cases equal) are undefined and dropped, as in bootstrapInterval.
 */
export function studentizedMeanInterval(x: ArrayLike<number>, opts: BootstrapOptions = {}): Interval {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`studentizedMeanInterval: x[${i}] is ${x[i]}; all values must be finite`);
  }
  const moments = (cases: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[cases[i]];
    const m = s / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (x[cases[i]] - m) ** 2;
    return { m, se: Math.sqrt(ss / (n - 1) / n) };
  };
  const whole = moments(Uint32Array.from({ length: n }, (_, i) => i));
  const t = bootstrapInterval(n, (cases) => {
    const { m, se } = moments(cases);
    return se > 0 ? (m - whole.m) / se : NaN;
  }, opts);
  const estimate = n > 0 ? whole.m : NaN;
  // Every draw equal: no spread to resample, the mean is exact as far as these draws can tell.
  if (whole.se === 0) return { ...t, estimate, low: estimate, high: estimate };
  if (!(whole.se > 0) || !Number.isFinite(t.low)) return { ...t, estimate, low: NaN, high: NaN };
  return { ...t, estimate, low: whole.m - t.high * whole.se, high: whole.m - t.low * whole.se };
}

/** The 95 % bootstrap-t bounds of the mean of one estimator's per-probe values, as stored with each estimate. */
export function probeBounds(values: ArrayLike<number>): { low: number; high: number } {
  const { low, high } = studentizedMeanInterval(values);
  return { low, high };
}

/** (high − low) / 2 / |estimate|: the relative half-width adaptive estimators stop on (Infinity when undefined). */
export function relativeHalfWidth(i: Pick<Interval, 'estimate' | 'low' | 'high'>): number {
  const w = (i.high - i.low) / 2 / Math.abs(i.estimate);
  return Number.isFinite(w) ? w : Infinity;
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

/** A least-squares slope with its bootstrap 95 % interval over the points (NaN bounds when undefined). */
export interface SlopeFit {
  slope: number;
  /** Bootstrap 95 % percentile interval over directions (NaN when undefined). */
  low: number;
  high: number;
  /** Directions in the fit. */
  n: number;
}

/** Least-squares slope of log y on log x over the pairs with both positive, with a bootstrap 95 % interval. */
export function logLogSlope(pairs: [number, number][], seed: number): SlopeFit {
  const ok = pairs.filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y));
  const x = ok.map(([a]) => Math.log(a));
  const y = ok.map(([, b]) => Math.log(b));
  const iv = bootstrapInterval(ok.length, (cases) => olsSlope(x, y, cases), { ...INTERVALS, seed });
  return { slope: iv.estimate, low: iv.low, high: iv.high, n: ok.length };
}

/** Linear interpolation between order statistics (numpy's default 'linear' method) of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}
