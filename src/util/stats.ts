/**
 * Summary statistics and rank correlations for comparing geometry measurements
 * across seeds and checkpoints (e.g. does sharpness order runs the same way as the
 * generalisation gap?). Rank correlations are used because those relations are
 * monotone but rarely linear. Tie handling matches scipy (tau-b, average ranks) so
 * results can be checked against the usual Python tooling.
 *
 * Every function rejects NaN or ±Infinity: a non-finite measurement means a run
 * diverged, and silently ranking or averaging it would hide that. Statistics that
 * are undefined for the given data (fewer than two points, or a constant input to a
 * correlation) return NaN, as scipy does.
 */

/** Arithmetic mean; NaN for an empty input. */
export function mean(x: ArrayLike<number>): number {
  checkFinite(x, 'mean');
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  return sum / x.length;
}

/** Sample standard deviation (n − 1 denominator); NaN for fewer than two points. */
export function std(x: ArrayLike<number>): number {
  checkFinite(x, 'std');
  if (x.length < 2) return NaN;
  const m = mean(x);
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i] - m) ** 2;
  return Math.sqrt(ss / (x.length - 1));
}

/** Pearson correlation; NaN for fewer than two points or a constant input. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPair(x, y, 'pearson');
  if (x.length < 2) return NaN;
  // Centring first avoids the cancellation of the Σxy − n·x̄ȳ shortcut.
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  // Clamp: rounding can push a perfect correlation a hair past ±1.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** 1-based ranks, tied values sharing the average of the ranks they span (scipy's 'average'). */
export function ranks(x: ArrayLike<number>): Float64Array {
  checkFinite(x, 'ranks');
  const order = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(x.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && x[order[end]] === x[order[start]]) end++;
    // Positions start..end−1 hold equal values; their 1-based ranks average to this.
    const shared = (start + end + 1) / 2;
    for (let k = start; k < end; k++) r[order[k]] = shared;
    start = end;
  }
  return r;
}

/** Spearman's rho: Pearson correlation of average ranks. NaN for fewer than two points or a constant input. */
export function spearmanRho(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPair(x, y, 'spearmanRho');
  return pearson(ranks(x), ranks(y));
}

/**
 * Kendall's tau-b, which corrects the denominator for ties in either variable.
 * NaN for fewer than two points or when either input is constant. O(n²), which is
 * fine for the tens to thousands of runs or checkpoints it is meant for.
 */
export function kendallTau(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPair(x, y, 'kendallTau');
  const n = x.length;
  let score = 0;
  let tiedX = 0;
  let tiedY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const sx = Math.sign(x[i] - x[j]);
      const sy = Math.sign(y[i] - y[j]);
      if (sx === 0) tiedX++;
      if (sy === 0) tiedY++;
      score += sx * sy;
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const denom = Math.sqrt((pairs - tiedX) * (pairs - tiedY));
  if (denom === 0) return NaN;
  return Math.max(-1, Math.min(1, score / denom));
}

function checkFinite(x: ArrayLike<number>, fn: string, name = 'input'): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`${fn}: ${name}[${i}] is ${x[i]}; all values must be finite`);
  }
}

function checkPair(x: ArrayLike<number>, y: ArrayLike<number>, fn: string): void {
  if (x.length !== y.length) throw new Error(`${fn}: x has ${x.length} values but y has ${y.length}`);
  checkFinite(x, fn, 'x');
  checkFinite(y, fn, 'y');
}
