/**
 * Does a small learning rate climb to sharp minima? The reference study's Flat_SGD_LowLR ended with
 * λmax 246, far above its other configurations; progressive sharpening (Cohen et al. 2021) would
 * have plain SGD's λmax rise along training toward 2/η. This reads the trend off each run's
 * during-training λmax checks (the same sample set at every check, so the points are comparable):
 * per seed, the least-squares slope of ln λmax against the step, as the change of ln λmax per 1,000
 * steps; over seeds, its mean with a percentile-bootstrap interval. Numbers here, words in the
 * report section below; whatever the trend is, it is reported.
 */
import { meanInterval, olsSlope } from '../util/bootstrap';
import { mean } from '../util/stats';
import { formatEstimate } from './format';
import { INTERVALS } from './statistics';
import type { Estimate, RunResult, StudyResult } from './results';

/** Fewer checks than this per run give no trend (a slope through two points has no spread). */
export const MIN_CHECKS = 3;

export interface SharpeningTrend {
  configuration: string;
  /** 2/η for SGD, null for adaptive optimisers. */
  twoOverEta: number | null;
  /** Finished runs of the configuration (each with at least MIN_CHECKS during-training checks). */
  runs: number;
  /** Steps of the first and last check, and mean λmax there over those runs. */
  firstStep: number;
  lastStep: number;
  firstLambda: number;
  lastLambda: number;
  /** Mean over seeds of the slope of ln λmax per 1,000 steps, with its 95 % bootstrap interval over seeds. */
  logSlopePer1000: Estimate;
}

/** One trend per configuration whose every finished run has enough checks (a trend over some seeds only would mix protocols), in run order. */
export function sharpeningTrends(runs: RunResult[], twoOverEta: (configuration: string) => number | null): SharpeningTrend[] {
  const out: SharpeningTrend[] = [];
  for (const configuration of [...new Set(runs.map((r) => r.configuration))]) {
    const traced = runs.filter((r) => r.configuration === configuration && !r.diverged);
    if (traced.length === 0 || traced.some((r) => r.duringTraining.length < MIN_CHECKS)) continue;
    const slopes = traced.map((r) => 1000 * olsSlope(r.duringTraining.map((p) => p.step), r.duringTraining.map((p) => Math.log(p.lambdaMax))));
    const finite = slopes.filter(Number.isFinite);
    const ci = finite.length ? meanInterval(finite, INTERVALS) : null;
    out.push({
      configuration,
      twoOverEta: twoOverEta(configuration),
      runs: traced.length,
      firstStep: Math.min(...traced.map((r) => r.duringTraining[0].step)),
      lastStep: Math.max(...traced.map((r) => r.duringTraining.at(-1)!.step)),
      firstLambda: mean(traced.map((r) => r.duringTraining[0].lambdaMax)),
      lastLambda: mean(traced.map((r) => r.duringTraining.at(-1)!.lambdaMax)),
      logSlopePer1000: ci ? { value: ci.estimate, low: ci.low, high: ci.high } : { value: NaN, low: NaN, high: NaN },
    });
  }
  return out;
}

/** Sharpening when the slope's interval lies above 0, flattening below, undecided otherwise. */
export function trendVerdict(e: Estimate): 'sharpening' | 'flattening' | 'undecided' {
  if (e.low > 0) return 'sharpening';
  if (e.high < 0) return 'flattening';
  return 'undecided';
}

const twoOverEtaOf = (result: StudyResult) => (configuration: string): number | null => {
  const run = result.config.configurations.find((c) => c.name === configuration);
  return run && run.optimizer.kind === 'sgd' ? 2 / run.optimizer.lr : null;
};

export function sharpeningSection(result: StudyResult): string[] {
  const trends = sharpeningTrends(result.runs, twoOverEtaOf(result));
  if (trends.length === 0) return [];
  const f = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2));
  const ratio = (t: SharpeningTrend) => (t.twoOverEta ? (t.lastLambda / t.twoOverEta).toPrecision(2) : '—');
  const lowest = trends.filter((t) => t.twoOverEta !== null).sort((a, b) => b.twoOverEta! - a.twoOverEta!)[0];
  const lines = [
    '## Does a small learning rate climb to sharp minima?',
    '',
    `λmax at the during-training checks (the same ${result.config.probe.duringSamples} samples at every check), per configuration whose every run ` +
      `had at least ${MIN_CHECKS} checks: the trend is the least-squares slope of ln λmax against the step, per 1,000 steps, averaged over seeds ` +
      '(95 % bootstrap interval over seeds). Progressive sharpening would show as a positive slope carrying λmax toward 2/η.',
    '',
    '| Configuration | runs | 2/η | λmax at first check (step) | λmax at last check (step) | ln λmax per 1,000 steps | trend | last λmax / (2/η) |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- | ---: |',
    ...trends.map((t) => `| ${t.configuration} | ${t.runs} | ${t.twoOverEta === null ? '—' : f(t.twoOverEta)} | ${f(t.firstLambda)} (${t.firstStep}) | ` +
      `${f(t.lastLambda)} (${t.lastStep}) | ${formatEstimate(t.logSlopePer1000, 2)} | ${trendVerdict(t.logSlopePer1000)} | ${ratio(t)} |`),
    '',
  ];
  if (lowest) {
    const verdict = trendVerdict(lowest.logSlopePer1000);
    const distance = lowest.lastLambda / lowest.twoOverEta!;
    lines.push(`At the smallest SGD learning rate (${lowest.configuration}, 2/η = ${f(lowest.twoOverEta!)}), λmax went from ${f(lowest.firstLambda)} ` +
      `to ${f(lowest.lastLambda)} between steps ${lowest.firstStep} and ${lowest.lastStep}, a trend of ${formatEstimate(lowest.logSlopePer1000, 2)} ` +
      `in ln λmax per 1,000 steps (${verdict === 'undecided' ? 'undecided: the interval contains 0' : verdict}); it ended at ${distance.toPrecision(2)}× of 2/η, ` +
      (distance < 0.5 ? 'far below the threshold: within this budget it did not climb to the edge of stability.' : 'near the threshold.'), '');
  }
  return lines;
}
