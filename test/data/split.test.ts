/** The seeded stratified split and the dataset helpers it is built on, on a dataset whose pixels trace each sample. */
import { describe, expect, it } from 'vitest';
import { classCounts, makeDataset, select, take } from '../../src/data/dataset';
import { expectStratifiedPrefixes } from '../support/stratified';
import { splitDataset, type SplitOptions } from '../../src/data/split';
import { sourceIndices, tracedDataset } from './make-idx';

// Unequal, class-major classes (like mnist-10k): 0 has 50, 1 has 30, 2 has 20, 3 has 7.
const labels = [...Array(50).fill(0), ...Array(30).fill(1), ...Array(20).fill(2), ...Array(7).fill(3)];
const ds = tracedDataset(labels, 4);

describe('splitDataset', () => {
  it('is disjoint and covers every sample exactly once', () => {
    const { train, test } = splitDataset(ds, { testCount: 27, seed: 1 });
    expect([train.count, test.count]).toEqual([80, 27]);
    const all = [...sourceIndices(train), ...sourceIndices(test)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: ds.count }, (_, i) => i));
    for (const part of [train, test]) {
      sourceIndices(part).forEach((src, k) => expect(part.labels[k]).toBe(ds.labels[src]));
    }
  });

  it('is stratified: each class in proportion, the total exact', () => {
    const { train, test } = splitDataset(ds, { testFraction: 0.2, seed: 3 });
    // 0.2 * 107 = 21.4 -> 21; quotas 10, 6, 4, 1.4 -> floors 10, 6, 4, 1 = 21.
    expect(classCounts(test)).toEqual([10, 6, 4, 1]);
    expect(classCounts(train)).toEqual([40, 24, 16, 6]);
    // 30 test of 107: exact quotas 14.02, 8.41, 5.61, 1.96 -> floors 14, 8, 5, 1 and the
    // two leftover go to the largest remainders (class 3, then class 2).
    expect(classCounts(splitDataset(ds, { testCount: 30, seed: 3 }).test)).toEqual([14, 8, 6, 2]);
  });

  it('shuffles both halves, so a class-major input is not class-major after', () => {
    const { train } = splitDataset(ds, { testCount: 10, seed: 5 });
    expect(classCounts(take(train, 30)).filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('is a pure function of the seed', () => {
    const a = splitDataset(ds, { testCount: 20, seed: 42 });
    const b = splitDataset(ds, { testCount: 20, seed: 42 });
    const c = splitDataset(ds, { testCount: 20, seed: 43 });
    expect(sourceIndices(a.test)).toEqual(sourceIndices(b.test));
    expect(sourceIndices(a.train)).toEqual(sourceIndices(b.train));
    expect(sourceIndices(c.test)).not.toEqual(sourceIndices(a.test));
    expect(new Set(sourceIndices(c.test))).not.toEqual(new Set(sourceIndices(a.test)));
  });

  it('pins the split for a seed', () => {
    // Regression anchor: if this changes, every recorded mnist-10k experiment changed its data.
    // The membership predates the stratified order (which only reordered each half).
    const test = sourceIndices(splitDataset(ds, { testCount: 8, seed: 0 }).test);
    expect([...test].sort((a, b) => a - b)).toEqual([14, 16, 40, 45, 58, 59, 95, 105]);
    expect(test).toEqual([40, 59, 45, 95, 105, 14, 58, 16]);
  });

  it('orders both halves so that every prefix is stratified within one sample per class', () => {
    for (const seed of [0, 1, 2, 3]) {
      const split = splitDataset(ds, { testFraction: 0.25, seed });
      for (const half of [split.train, split.test]) expectStratifiedPrefixes(half);
    }
  });

  it('names train and test after the source', () => {
    const { train, test } = splitDataset(ds, { testCount: 10, seed: 0 });
    expect([train.name, test.name]).toEqual(['traced/train', 'traced/test']);
  });

  it.each([
    [{ testCount: 0, seed: 0 }, /testCount 0 must leave at least one sample in each half of 107/],
    [{ testCount: 107, seed: 0 }, /testCount 107 must leave/],
    [{ testFraction: 0.001, seed: 0 }, /testFraction 0.001 \(= 0 samples\)/],
    [{ testFraction: 0.5, testCount: 3, seed: 0 }, /exactly one of testFraction or testCount/],
    [{ seed: 0 }, /exactly one of testFraction or testCount/],
    [{ testCount: 5, seed: -1 }, /seed -1 must be an integer/],
    [{ testCount: 5, seed: 1.5 }, /seed 1.5 must be an integer/],
  ])('rejects bad options %j', (options, message) => {
    expect(() => splitDataset(ds, options as SplitOptions)).toThrow(message);
  });
});

describe('dataset helpers', () => {
  it('take is the deterministic prefix', () => {
    const t = take(ds, 3);
    expect(t).toMatchObject({ name: 'traced', count: 3, features: 4 });
    expect(sourceIndices(t)).toEqual([0, 1, 2]);
    expect(() => take(ds, 0)).toThrow('take(0) from \'traced\': count must be an integer in 1..107');
    expect(() => take(ds, 108)).toThrow('1..107');
  });

  it('select copies the chosen samples in order', () => {
    const s = select(ds, [106, 0, 50], 'picked');
    expect(sourceIndices(s)).toEqual([106, 0, 50]);
    expect(Array.from(s.labels)).toEqual([3, 0, 1]);
    expect(() => select(ds, [107], 'x')).toThrow('index 107 is outside 0..106');
  });

  it('makeDataset refuses empty datasets, labels >= classes and size mismatches', () => {
    const base = { name: 'm', rows: 1, cols: 2, classes: 3 };
    expect(() => makeDataset({ ...base, count: 0, pixels: new Uint8Array(), labels: new Uint8Array() })).toThrow(
      "dataset 'm': has 0 samples",
    );
    expect(() => makeDataset({ ...base, count: 1, pixels: new Uint8Array(2), labels: Uint8Array.of(3) })).toThrow(
      "dataset 'm': label 3 at sample 0 is out of range 0..2",
    );
    expect(() => makeDataset({ ...base, count: 2, pixels: new Uint8Array(3), labels: new Uint8Array(2) })).toThrow(
      '3 pixel bytes, expected 2 samples x 2 = 4',
    );
  });
});
