/**
 * The report's verdicts on constructed result sets (no GPU): a verdict is read off the bootstrap
 * interval of Kendall τ — above 0 supported, below 0 contradicted, containing 0 undecided — and
 * unconverged runs never enter the correlations, the means or the answer.
 */
import { describe, expect, it } from 'vitest';
import { answerParagraph, findings, perLayerTable, summaryTable } from '../../src/study/report';
import { correlations, verdictOf } from '../../src/study/statistics';
import { convergedRuns } from '../../src/study/run-sets';
import type { RunResult } from '../../src/study/results';
import { studyRun as run } from '../support/study-runs';

const RULE = { maxEpochs: 40, lossTarget: 0.05 };

/** Eight converged runs in two configurations; test error follows `errorOf(λmax rank)`. */
function runsWith(errors: number[]): RunResult[] {
  return errors.map((e, i) => run(i < 4 ? 'Low' : 'High', i % 4, 1 + i, 1 - e));
}

const main = (runs: RunResult[]) => correlations(runs).find((c) => c.measure === 'λmax' && c.target === 'test error')!;

describe('verdicts are decided by the interval', () => {
  it('reads the interval, never the point estimate', () => {
    expect(verdictOf({ value: 0.4, low: 0.1, high: 0.7 })).toBe('supported');
    expect(verdictOf({ value: -0.4, low: -0.7, high: -0.1 })).toBe('contradicted');
    expect(verdictOf({ value: 0.6, low: -0.05, high: 0.9 })).toBe('undecided');
    expect(verdictOf({ value: -0.6, low: -0.9, high: 0.02 })).toBe('undecided');
    expect(verdictOf({ value: 0.5, low: 0, high: 0.8 })).toBe('undecided');
    expect(verdictOf({ value: 0.5, low: NaN, high: NaN })).toBe('undecided');
  });

  it('supported when sharper runs have higher test error throughout; contradicted when lower', () => {
    const up = runsWith([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]);
    const c = main(up);
    expect(c.n).toBe(8);
    expect(c.tauInterval.low).toBeGreaterThan(0);
    expect(verdictOf(c.tauInterval)).toBe('supported');
    expect(answerParagraph(up, correlations(up), RULE)).toMatch(/^\*\*Does flatness predict generalisation here\?\*\* Supported: across 8 converged runs/);
    expect(findings(up, correlations(up), RULE).join('\n')).toMatch(/"Flatter minima generalise better" is supported by this study/);
    const down = runsWith([0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01]);
    expect(main(down).tauInterval.high).toBeLessThan(0);
    expect(answerParagraph(down, correlations(down), RULE)).toMatch(/Contradicted: .*the opposite of the hypothesis/);
  });

  it('undecided when the interval straddles 0, even with a clearly positive point estimate', () => {
    // τ = +0.43 on eight runs, but a resample of eight pairs this noisy often has τ ≤ 0.
    const noisy = runsWith([0.02, 0.06, 0.01, 0.05, 0.08, 0.03, 0.07, 0.04]);
    const c = main(noisy);
    expect(c.kendallTau).toBeGreaterThan(0.1);
    expect(c.tauInterval.low).toBeLessThan(0);
    expect(c.tauInterval.high).toBeGreaterThan(0);
    expect(answerParagraph(noisy, correlations(noisy), RULE)).toMatch(/Undecided: .*the interval contains 0/);
  });

  it('too few converged runs: undecided, not a verdict from two points', () => {
    const two = [run('A', 0, 1, 0.9), run('B', 0, 2, 0.8)];
    expect(answerParagraph(two, correlations(two), RULE)).toMatch(/Undecided: only 2 converged, probed runs/);
  });
});

describe('unconverged runs are listed, never correlated', () => {
  it('leaves them out of the correlations, the means and the knobs, and says so', () => {
    const up = runsWith([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]);
    // Unconverged runs that would reverse the trend if they were counted.
    const slope = [0, 1, 2].map((s) => run('Slow', s, 100 + s, 0.99, false));
    const all = [...up, ...slope];
    expect(convergedRuns(all)).toHaveLength(8);
    const c = main(all);
    expect(c.n).toBe(8);
    expect(c).toEqual(main(up));
    const answer = answerParagraph(all, correlations(all), RULE);
    expect(answer).toMatch(/Left out: Slow \(3 of 3 seeds\) did not reach train loss ≤ 0\.05 within 40 epochs/);
    expect(answer).not.toMatch(/Slow —/);
    expect(findings(all, correlations(all), RULE).join('\n')).toMatch(/Slow: 3 of 3 seeds did not reach train loss ≤ 0\.05 within 40 epochs/);
    const table = summaryTable(all).split('\n');
    expect(table.find((l) => l.startsWith('| Slow (unconverged) |'))).toMatch(/\| 3 \| 1240 \|/);
    expect(table.find((l) => l.startsWith('| Slow |'))).toBeUndefined();
  });

  it('names the configurations whose mean-λmax intervals separate, and says none when they overlap', () => {
    const apart = [0, 1, 2].flatMap((s) => [run('Sharp', s, 10 + 0.1 * s, 0.9), run('Flat', s, 1 + 0.1 * s, 0.92)]);
    expect(answerParagraph(apart, correlations(apart), RULE)).toMatch(/mean λmax intervals over seeds separate Sharp over Flat/);
    const mixed = [0, 1, 2].flatMap((s) => [run('A', s, [1, 5, 3][s], 0.9), run('B', s, [2, 4, 6][s], 0.92)]);
    expect(answerParagraph(mixed, correlations(mixed), RULE)).toMatch(/None, by sharpness, at this number of seeds/);
  });
});

describe('the per-layer table', () => {
  it('averages each layer over the seeds, flags unconverged blocks and keeps unconverged runs apart', () => {
    const withLayers = (r: RunResult, values: number[], converged = true) => {
      r.sharpness!.perLayer = values.map((lambdaMax, layer) => ({ layer, params: 10 * (layer + 1), lambdaMax, converged: converged || layer > 0 }));
      return r;
    };
    const runs = [
      withLayers(run('A', 0, 4, 0.9), [1, 3]), withLayers(run('A', 1, 6, 0.9), [2, 5], false),
      withLayers(run('A', 2, 8, 0.5, false), [7, 1]),
    ];
    const rows = perLayerTable(runs).split('\n');
    expect(rows[0]).toBe('| Configuration | layer 1 (10 parameters) | layer 2 (20 parameters) | λmax / largest block |');
    const a = rows.find((l) => l.startsWith('| A (1 block NOT converged) |'))!.split('|').map((c) => c.trim());
    expect(a.slice(2, 5).map((c) => c.split(' [')[0])).toEqual([(1.5).toFixed(2), (4).toFixed(2), ((4 / 3 + 6 / 5) / 2).toFixed(2)]);
    expect(rows.find((l) => l.startsWith('| A (unconverged) |'))).toContain(`| ${(7).toFixed(2)} | ${(1).toFixed(2)} |`);
    expect(perLayerTable([run('B', 0, 1, 0.9)])).toBe('');
  });
});
