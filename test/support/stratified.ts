/** The split's promise, checked the same way on constructed and real data. */
import { expect } from 'vitest';
import { classCounts, type Dataset } from '../../src/data/dataset';

/** Every prefix of m samples holds m·n_c/N ± 1 of each class c (n_c of N in the whole half). */
export function expectStratifiedPrefixes(half: Dataset, sizes?: number[]): void {
  const total = classCounts(half);
  const counts = new Array<number>(half.classes).fill(0);
  const check = new Set(sizes ?? Array.from({ length: half.count }, (_, i) => i + 1));
  let worst = 0;
  for (let m = 1; m <= half.count; m++) {
    counts[half.labels[m - 1]]++;
    if (!check.has(m)) continue;
    for (let c = 0; c < half.classes; c++) worst = Math.max(worst, Math.abs(counts[c] - (m * total[c]) / half.count));
  }
  expect(worst, `${half.name}: the largest deviation of a prefix's class count from proportion`).toBeLessThanOrEqual(1);
}
