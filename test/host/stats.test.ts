/**
 * Statistics against hand-worked textbook values and scipy 1.17 outputs (quoted to
 * full precision), with ties, perfect ±1 correlations and the degenerate inputs
 * that must give NaN or a clear error.
 */
import { describe, expect, it } from 'vitest';
import { kendallTau, mean, pearson, ranks, spearmanRho, std } from '../../src/util/stats';

const close = (x: number) => expect.closeTo(x, 14);

describe('mean and std', () => {
  it('match the textbook example (population sd 2, sample sd √(32/7))', () => {
    const x = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(x)).toBe(5);
    expect(std(x)).toEqual(close(Math.sqrt(32 / 7)));
    expect(std(Float64Array.of(1e9 + 1, 1e9 + 2, 1e9 + 3))).toEqual(close(1));
  });

  it('return NaN when undefined', () => {
    expect(mean([])).toBeNaN();
    expect(mean([3])).toBe(3);
    expect(std([3])).toBeNaN();
    expect(std([])).toBeNaN();
  });

  it('reject non-finite input', () => {
    expect(() => mean([1, NaN])).toThrow(/mean: input\[1\] is NaN/);
    expect(() => std([Infinity, 1])).toThrow(/std: input\[0\] is Infinity/);
  });
});

describe('ranks', () => {
  it('averages tied ranks', () => {
    expect(Array.from(ranks([10, 20, 10, 30, 20, 20]))).toEqual([1.5, 4, 1.5, 6, 4, 4]);
    expect(Array.from(ranks([3, -1, 2]))).toEqual([3, 1, 2]);
    expect(Array.from(ranks([7, 7, 7]))).toEqual([2, 2, 2]);
    expect(Array.from(ranks([]))).toEqual([]);
  });
});

describe('pearson', () => {
  it('matches a hand-worked example (r = 6/√60 = √0.6)', () => {
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toEqual(close(Math.sqrt(0.6)));
  });

  it('is exactly ±1 for affine relations', () => {
    const x = [0.1, 0.7, 1.3, 2.9, 3.3];
    expect(pearson(x, x.map((v) => 3 * v - 2))).toBe(1);
    expect(pearson(x, x.map((v) => -0.5 * v + 7))).toBe(-1);
  });
});

describe('spearmanRho', () => {
  it('matches hand-worked values without ties', () => {
    // d = ranks differences (−2, −2, 2, 2, 0): ρ = 1 − 6·16 / (5·24) = 0.2.
    expect(spearmanRho([1, 2, 3, 4, 5], [3, 4, 1, 2, 5])).toEqual(close(0.2));
    // Wikipedia's IQ vs TV-hours example: ρ = −29/165.
    const iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110];
    const tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17];
    expect(spearmanRho(iq, tv)).toEqual(close(-29 / 165));
  });

  it('matches scipy.stats.spearmanr with ties', () => {
    // Average ranks (4.5, 2.5, 1, 4.5, 2.5) and (2.5, 4, 5, 2.5, 1) give −5/√85.5.
    expect(spearmanRho([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toEqual(close(-0.5407380704358752));
    expect(spearmanRho([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toEqual(close(0.8207826816681233));
    expect(spearmanRho([1, 1, 2, 2, 3, 3, 4], [1, 2, 1, 3, 3, 2, 5])).toEqual(close(0.69811320754717));
  });

  it('is ±1 for any monotone relation', () => {
    const x = [0.5, 1, 2, 3, 10, 11];
    expect(spearmanRho(x, x.map((v) => v ** 3))).toBe(1);
    expect(spearmanRho(x, x.map((v) => Math.exp(-v)))).toBe(-1);
  });
});

describe('kendallTau', () => {
  it('matches a hand-worked value without ties', () => {
    // 6 concordant and 4 discordant pairs of 10: τ = 2/10.
    expect(kendallTau([1, 2, 3, 4, 5], [3, 4, 1, 2, 5])).toEqual(close(0.2));
    const iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110];
    const tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17];
    expect(kendallTau(iq, tv)).toEqual(close(-1 / 9));
  });

  it('matches scipy.stats.kendalltau (tau-b) with ties', () => {
    // C = 2, D = 6, 2 pairs tied in x, 1 in y: τ_b = −4/√(8·9).
    expect(kendallTau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toEqual(close(-0.47140452079103173));
    expect(kendallTau([1, 1, 2, 2, 3, 3, 4], [1, 2, 1, 3, 3, 2, 5])).toEqual(close(0.6111111111111113));
  });

  it('is ±1 for any monotone relation, with ties shared by both sides', () => {
    const x = [1, 2, 2, 3, 5, 8];
    expect(kendallTau(x, x.map((v) => Math.log(v)))).toBe(1);
    expect(kendallTau(x, x.map((v) => -(v ** 2)))).toBe(-1);
  });
});

describe('correlation edge cases', () => {
  const all = { pearson, spearmanRho, kendallTau };
  for (const [name, fn] of Object.entries(all)) {
    it(`${name}: NaN for fewer than two points or a constant input`, () => {
      expect(fn([], [])).toBeNaN();
      expect(fn([1], [2])).toBeNaN();
      expect(fn([1, 2, 3], [4, 4, 4])).toBeNaN();
      expect(fn([5, 5], [1, 2])).toBeNaN();
    });

    it(`${name}: rejects length mismatch and non-finite values`, () => {
      expect(() => fn([1, 2, 3], [1, 2])).toThrow(new RegExp(`${name}: x has 3 values but y has 2`));
      expect(() => fn([1, 2, NaN], [1, 2, 3])).toThrow(/x\[2\] is NaN; all values must be finite/);
      expect(() => fn([1, 2, 3], [-Infinity, 2, 3])).toThrow(/y\[0\] is -Infinity/);
    });
  }
});
