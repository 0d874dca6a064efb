/** The reference table's reproduction: our equal-budget means beside the published numbers, and whether the orderings agree. */
import { describe, expect, it } from 'vitest';
import { orderAgreement, REFERENCE, reproducedRows, reproductionSection, type BudgetRun } from '../../src/study/reproduction';
import type { StudyResult } from '../../src/study/results';

const run = (configuration: string, seed: number, testAccuracy: number, lambdaMax: number, reachedTarget = true, reused = false): BudgetRun => ({
  configuration, seed, steps: 600, reachedTarget, trainLoss: reachedTarget ? 0.01 : 1.5, testAccuracy, lambdaMax, lambdaConverged: true, reused,
});

describe('the equal-budget reproduction of the reference table', () => {
  it('counts the pairs two orderings share, with Kendall τ', () => {
    expect(orderAgreement([3, 2, 1], [30, 20, 10])).toEqual({ tau: 1, agreeingPairs: 3, pairs: 3 });
    expect(orderAgreement([3, 2, 1], [10, 20, 30])).toEqual({ tau: -1, agreeingPairs: 0, pairs: 3 });
    expect(orderAgreement([3, 2, 1], [20, 30, 10])).toMatchObject({ agreeingPairs: 2, pairs: 3 });
  });

  it('means over seeds in the published order, runs above the target counted, and a section that states both orderings', () => {
    const runs = [
      run('Flat_SGD_LowLR', 0, 0.5, 6, false, true), run('Flat_SGD_LowLR', 1, 0.52, 8, false, true),
      run('Adam_Default', 0, 0.9, 3), run('Adam_Default', 1, 0.92, 4),
      run('Sharp_SGD_HighLR', 0, 0.88, 5), run('Sharp_SGD_HighLR', 1, 0.9, 5.5),
    ];
    const rows = reproducedRows({ epochs: 40, runs });
    expect(rows.map((r) => r.configuration)).toEqual(REFERENCE.map((r) => r.configuration));
    expect(rows[0].testAccuracy.value).toBeCloseTo(91, 10);
    expect(rows[2].lambdaMax.value).toBeCloseTo(7, 10);
    expect(rows.map((r) => r.aboveTarget)).toEqual([0, 0, 2]);
    const text = reproductionSection({ reproduction: { epochs: 40, runs } } as unknown as StudyResult).join('\n');
    expect(text).toContain('## The reference table, reproduced (equal budget)');
    expect(text).toContain('| Flat_SGD_LowLR | 91.72 | 51.00 [50.00, 52.00] | 246.19 | 7.00 [6.00, 8.00] | 2 of 2 |');
    // Published accuracy Adam > Sharp > Flat, ours the same; published λmax Flat > Sharp > Adam, ours Flat > Sharp > Adam.
    expect(text).toContain('- By test accuracy: published Adam_Default > Sharp_SGD_HighLR > Flat_SGD_LowLR; ours Adam_Default > Sharp_SGD_HighLR > Flat_SGD_LowLR — the same order (Kendall τ 1.00).');
    expect(text).toContain('- By λmax: published Flat_SGD_LowLR > Sharp_SGD_HighLR > Adam_Default; ours Flat_SGD_LowLR > Sharp_SGD_HighLR > Adam_Default — the same order');
    expect(text).toMatch(/the ratio of the same two is 2\.00×/);
    expect(reproductionSection({ reproduction: null } as unknown as StudyResult)).toEqual([]);
  });
});
