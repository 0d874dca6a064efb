/**
 * Seeded, class-stratified train/test split. Uses the project's Rng (pure integer
 * arithmetic), so one seed gives the same split in Node and in the browser. Both halves
 * come out in shuffled order, so class-major inputs (mnist-10k) are safe to take() from.
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
  // Walking one global permutation keeps both halves shuffled; within each class, the
  // first quota[c] samples it meets are a uniformly random choice of that class.
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
  return makeSplit(select(ds, train, `${ds.name}/train`), select(ds, test, `${ds.name}/test`));
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
