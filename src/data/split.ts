/**
 * Seeded, class-stratified train/test split. Uses the project's Rng (pure integer
 * arithmetic), so one seed gives the same split in Node and in the browser. Both halves come
 * out in stratified order: every prefix holds each class in proportion (within one sample),
 * so the configs' "first N samples" (data.trainSamples, probe.samples, eos.samples) are
 * class-balanced subsets, whatever N.
 */
import { Rng } from '../util/rng';
import { classCounts, makeSplit, select, type Dataset, type Split } from './dataset';

export type SplitOptions = { seed: number } & (
  | { testFraction: number; testCount?: undefined }
  | { testCount: number; testFraction?: undefined }
);

export function splitDataset(ds: Dataset, options: SplitOptions): Split {
  const { seed, testFraction, testCount } = options;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`splitDataset('${ds.name}'): seed ${seed} must be an integer in 0..2^32-1.`);
  }
  if ((testFraction === undefined) === (testCount === undefined)) {
    throw new Error(`splitDataset('${ds.name}'): give exactly one of testFraction or testCount.`);
  }
  const total = testCount ?? Math.round(testFraction! * ds.count);
  if (!Number.isInteger(total) || total < 1 || total >= ds.count) {
    const asked = testCount !== undefined ? `testCount ${testCount}` : `testFraction ${testFraction} (= ${total} samples)`;
    throw new Error(`splitDataset('${ds.name}'): ${asked} must leave at least one sample in each half of ${ds.count}.`);
  }
  const quota = stratifiedQuota(classCounts(ds), total, ds.count);
  // Within each class, the first quota[c] samples one seeded permutation meets are a uniformly
  // random choice of that class for the test half.
  const order = new Rng(seed).permutation(ds.count);
  const train: number[] = [];
  const test: number[] = [];
  for (const i of order) {
    const c = ds.labels[i];
    if (quota[c] > 0) {
      quota[c]--;
      test.push(i);
    } else {
      train.push(i);
    }
  }
  // The walk's own order is not fit for prefixes: the train half starts with the classes whose
  // test quota filled first (the first 500 of mnist-10k's seed-0 train half held 17 sixes and 77 ones).
  return makeSplit(
    select(ds, stratifiedOrder(train, ds.labels, ds.classes), `${ds.name}/train`),
    select(ds, stratifiedOrder(test, ds.labels, ds.classes), `${ds.name}/test`),
  );
}

/**
 * `indices` (already shuffled within each class) reordered so that every prefix is stratified:
 * the j-th of a class's n_c samples goes to position key (j + ½)/n_c, ties to the lower class.
 * A prefix of m samples then holds ⌊m·n_c/N⌉ ± 1 of class c. Compared as integer cross-products
 * ((2j+1)·n_d against (2k+1)·n_c), so no float rounding can reorder it on any platform.
 */
function stratifiedOrder(indices: readonly number[], labels: Uint8Array, classes: number): number[] {
  const size = new Array<number>(classes).fill(0);
  for (const i of indices) size[labels[i]]++;
  const seen = new Array<number>(classes).fill(0);
  const keyed = indices.map((i) => ({ i, c: labels[i], j: seen[labels[i]]++ }));
  keyed.sort((a, b) => (2 * a.j + 1) * size[b.c] - (2 * b.j + 1) * size[a.c] || a.c - b.c);
  return keyed.map((k) => k.i);
}

/**
 * Test samples per class, proportional to class size and summing exactly to `total`:
 * floors first, then the leftover to the largest remainders (ties to the lower class),
 * in integer arithmetic so no platform's float rounding can change the split.
 */
function stratifiedQuota(counts: number[], total: number, n: number): number[] {
  const remainder = counts.map((k) => (k * total) % n);
  const quota = counts.map((k, c) => (k * total - remainder[c]) / n);
  let left = total - quota.reduce((a, b) => a + b, 0);
  const byRemainder = counts.map((_, c) => c).sort((a, b) => remainder[b] - remainder[a] || a - b);
  for (const c of byRemainder) {
    if (left === 0) break;
    quota[c]++;
    left--;
  }
  return quota;
}
